"""The distribution scan google-api-core repeats on each google.cloud import is done once."""

from __future__ import annotations

import importlib.metadata

import tfxkit  # noqa: F401 - importing tfxkit installs the cache


def test_the_distribution_scan_is_made_once_per_process(monkeypatch) -> None:
    from tfxkit import startup

    scans = []

    def scan() -> dict[str, list[str]]:
        scans.append(1)
        return {"google": ["google-api-core"]}

    monkeypatch.setattr(importlib.metadata, "packages_distributions", scan)
    startup.cache_distribution_scan()
    startup.cache_distribution_scan()  # idempotent: never a cache of a cache
    first = importlib.metadata.packages_distributions()
    assert importlib.metadata.packages_distributions() is first
    assert first == {"google": ["google-api-core"]} and len(scans) == 1


def test_importing_tfxkit_installs_it() -> None:
    import functools

    assert isinstance(importlib.metadata.packages_distributions, functools._lru_cache_wrapper)
