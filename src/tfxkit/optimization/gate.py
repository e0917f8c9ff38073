"""Accept or reject an optimized model from a ``measure.compare`` result.

A pure function over the comparison dict, so the decision and its reasons are testable without
a model and reproducible from a stored comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def gate(
    comparison: Mapping[str, Any],
    *,
    max_accuracy_drop: float,
    min_speedup: float | None = None,
    max_size_ratio: float | None = None,
    speedup_key: str = "speedup_b1",
    size_key: str = "gzip_size_ratio",
) -> tuple[bool, list[str]]:
    """(passed, reasons): every bound that failed, with measured and allowed values.

    ``max_accuracy_drop`` is in points (``accuracy_drop_points``); ``min_speedup`` applies to
    ``speedup_key`` (batch-1 p50 by default: online serving); ``max_size_ratio`` to ``size_key``
    (gzip by default: what is shipped, and the only size pruning reduces). None skips a bound;
    a bound whose measurement is missing fails.
    """
    reasons: list[str] = []
    checks = [
        ("accuracy_drop_points", "accuracy drop (points)", max_accuracy_drop, "max"),
        (speedup_key, "speedup", min_speedup, "min"),
        (size_key, "size ratio", max_size_ratio, "max"),
    ]
    for key, label, bound, kind in checks:
        if bound is None:
            continue
        measured = comparison.get(key)
        if measured is None:
            reasons.append(f"{label} [{key}] was not measured; {kind} allowed {bound:g}")
        elif kind == "max" and measured > bound:
            reasons.append(f"{label} [{key}] {measured:.4g} > max allowed {bound:g}")
        elif kind == "min" and measured < bound:
            reasons.append(f"{label} [{key}] {measured:.4g} < min allowed {bound:g}")
    return not reasons, reasons
