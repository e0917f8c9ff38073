"""ML Metadata, where every run is recorded: the store (``store``), the run lock (``lock``),
the cleanup of executions a dead run left behind (``recovery``), and the digests that keep a
damaged output from being reused by the cache (``digests``, ``cache_guard``, ``cache_hook``)."""
