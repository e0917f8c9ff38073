"""Process start-up fixes that every tfxkit command shares.

Why: google-api-core 2.29 (pulled in by Beam's GCP I/O, which ``import apache_beam`` loads)
checks the Python version on each ``google.cloud`` package's import, and each check calls
``importlib.metadata.packages_distributions()``: a scan of every installed distribution's file
list, 0.6 s here, made 4 times by one ``import apache_beam``. That was 2.3 s of every command
that runs Beam (``run``, ``predict``). The installed distributions cannot change inside a
process, so the scan is done once and its result reused.
"""

from __future__ import annotations

import functools
import importlib.metadata


def cache_distribution_scan() -> None:
    """Make ``importlib.metadata.packages_distributions`` scan once per process."""
    scan = importlib.metadata.packages_distributions
    if not isinstance(scan, functools._lru_cache_wrapper):
        importlib.metadata.packages_distributions = functools.cache(scan)
