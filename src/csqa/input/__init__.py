"""Input: the call model (utterances, events, metadata) and the loaders that read exports into it."""
