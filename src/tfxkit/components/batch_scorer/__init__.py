"""BatchScorer: a batch of files scored by the model just pushed (or a pushed version)."""
