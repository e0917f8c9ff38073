"""ML Metadata, where every run is recorded: the store (``store``), the run lock (``lock``),
and the cleanup of executions a dead run left behind (``recovery``)."""
