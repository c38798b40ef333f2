"""Rules: each rule's declaration beside its logic (steps, taboos, restatement), the generic kinds site rules are
made of, the registry, rule files and their validation, rule documentation with examples, and the agent script."""
