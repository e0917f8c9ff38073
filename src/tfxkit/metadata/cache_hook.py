"""The hook that puts ``cache_guard.screen`` in front of TFX's cache lookup during a local run.

Why a hook: TFX's launcher decides on the cache inside ``launch()`` (``tfx/orchestration/
portable/launcher.py``, step 8 "Should cache be used?") by calling
``cache_utils.get_cached_outputs`` through its module; tfxkit drives the launcher but has no
other point between "this component's cache key is known" and "its outputs are reused". Kept
apart from ``cache_guard`` so that module stays free of TFX (the re-run shortcut imports it).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from tfx.orchestration.portable import cache_utils

from tfxkit.metadata.cache_guard import Report, screen


@contextlib.contextmanager
def verified_cache(report: Report) -> Iterator[None]:
    """While a component launches in this thread, TFX's cache lookup screens its candidates
    first; ``report`` gets the damage and whether a cached result is reused all the same (an
    older intact one). Other threads and other TFX callers are untouched."""
    _install()
    previous = getattr(_ACTIVE, "report", None)
    _ACTIVE.report = report
    try:
        yield
    finally:
        _ACTIVE.report = previous


_ACTIVE = threading.local()
_INSTALLING = threading.Lock()


def _install() -> None:
    """Wrap ``cache_utils.get_cached_outputs`` once per process. It screens only in a thread
    inside ``verified_cache`` (a thread-local, not patch-and-restore: runs in two threads
    cannot restore each other's wrapper)."""
    with _INSTALLING:
        if getattr(cache_utils.get_cached_outputs, "tfxkit_screens", False):
            return
        original = cache_utils.get_cached_outputs

        def checked(metadata_handle, cache_context, *args, **kwargs):
            report = getattr(_ACTIVE, "report", None)
            damage = screen(metadata_handle.store, cache_context.id) if report else []
            outputs = original(metadata_handle, cache_context, *args, **kwargs)
            if damage:
                report(damage, outputs is not None)
            return outputs

        checked.tfxkit_screens = True
        cache_utils.get_cached_outputs = checked


__all__ = ["verified_cache"]
