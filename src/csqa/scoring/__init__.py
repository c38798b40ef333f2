"""Scoring: the scorer that runs a rule set over a call, and batches over processes."""
