"""Text: normalisation with a map back to original offsets, tokenisation, and the phrase language and its index."""
