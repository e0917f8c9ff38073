"""Rate gaps between slices and the fairness verdict, from confusion-matrix counts.

Pure Python on purpose: the rule that decides whether a model is fair enough to push is tested
directly on counts (no TFMA run needed), and the executor only turns TFMA's output into counts.

For each sensitive feature, every slice (``sex=Female``) is compared with a reference slice
(configured, or the whole evaluation set, ``overall``) on each configured rate:

- ``difference``: ``|slice - reference|`` must be at most ``max_difference``;
- ``ratio``: ``min(slice, reference) / max(slice, reference)`` must be at least ``min_ratio``
  (symmetric, so it reads the same for rates where lower is better; 0.8 is the four-fifths rule).

A slice with fewer labelled examples than ``min_slice_size`` is "too small to judge": reported,
never counted as fair or unfair. A rate whose denominator is 0 (no negatives for a false
positive rate) is undefined and not compared. A reference slice too small to judge is replaced
by the feature's largest slice, and the verdict says so. A sensitive feature with nothing
compared at all fails the gate: a gate that judged nothing never blesses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tfxkit.components.fairness_gate.verdict import FairnessRow, FairnessVerdict

OVERALL = "overall"


@dataclass(frozen=True)
class Counts:
    """Weighted confusion-matrix counts of one slice at the decision threshold."""

    tp: float
    fp: float
    tn: float
    fn: float

    @property
    def examples(self) -> float:
        return self.tp + self.fp + self.tn + self.fn


# rate -> (numerator, denominator, what the denominator counts), from the confusion matrix.
RATES: dict[str, tuple[Callable[[Counts], float], Callable[[Counts], float], str]] = {
    "false_positive_rate": (lambda c: c.fp, lambda c: c.fp + c.tn, "negatives"),
    "false_negative_rate": (lambda c: c.fn, lambda c: c.fn + c.tp, "positives"),
    "true_positive_rate": (lambda c: c.tp, lambda c: c.tp + c.fn, "positives"),
    "true_negative_rate": (lambda c: c.tn, lambda c: c.tn + c.fp, "negatives"),
    "positive_rate": (lambda c: c.tp + c.fp, lambda c: c.examples, "examples"),
    "precision": (lambda c: c.tp, lambda c: c.tp + c.fp, "predicted positives"),
    "accuracy": (lambda c: c.tp + c.tn, lambda c: c.examples, "examples"),
}


def rates(counts: Counts, names: list[str]) -> dict[str, float | None]:
    """Each rate, or None where its denominator is 0 (undefined)."""
    found = {}
    for name in names:
        numerator, denominator, _ = RATES[name]
        whole = denominator(counts)
        found[name] = numerator(counts) / whole if whole > 0 else None
    return found


def support(counts: Counts, name: str) -> tuple[float, str]:
    """How many examples a rate is computed from, and what they are ("positives")."""
    _, denominator, what = RATES[name]
    return denominator(counts), what


def gap(value: float, reference: float) -> dict[str, float]:
    high = max(value, reference)
    return {
        "difference": round(abs(value - reference), 6),
        "ratio": round(min(value, reference) / high, 6) if high > 0 else 1.0,
    }


def _violations(name: str, where: str, value: float, ref_name: str, ref: float, bound: dict):
    measured = gap(value, ref)
    found = []
    max_difference, min_ratio = bound.get("max_difference"), bound.get("min_ratio")
    if max_difference is not None and measured["difference"] > max_difference:
        found.append(
            f"difference {measured['difference']:.3g} above max_difference {max_difference:g}"
        )
    if min_ratio is not None and measured["ratio"] < min_ratio:
        found.append(f"ratio {measured['ratio']:.3g} below min_ratio {min_ratio:g}")
    return measured, [
        f"{name} on {where}: {value:.3g} vs {ref:.3g} on {ref_name}: {text}" for text in found
    ]


def judge(
    overall: Counts | None,
    slices: dict[str, dict[str, Counts]],
    settings: dict[str, Any],
) -> FairnessVerdict:
    """The gate's verdict: passed (blessed) when no judged slice breaks a bound.

    ``slices`` maps each sensitive feature key to ``{slice value: counts}``; ``settings`` holds
    ``sensitive_features``, ``metrics`` ({rate: {max_difference, min_ratio}}), ``reference``
    ({feature: value}), ``min_slice_size`` and ``decision_threshold``.
    """
    bounds: dict[str, dict] = settings["metrics"]
    names = sorted(bounds)
    min_size = settings["min_slice_size"]
    min_rate = settings.get("min_rate_examples", 0)
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    too_small: list[str] = []
    unjudged: list[str] = []
    if overall is not None:
        rows.append(_row(None, OVERALL, overall, names, "reference"))
    for feature in settings["sensitive_features"]:
        values = slices.get(feature, {})
        if not values:
            failures.append(
                f"{feature}: no slice in the evaluation data (all values missing?); "
                "fairness not judged, so not blessed"
            )
            continue
        ref_value = settings["reference"].get(feature)
        if ref_value is None:
            ref_name, ref_counts = OVERALL, overall
        else:
            ref_name, ref_counts = f"{feature}={ref_value}", values.get(ref_value)
        if ref_counts is None:
            failures.append(
                f"{feature}: the reference slice {ref_name} has no examples in the evaluation "
                f"data (slices: {', '.join(sorted(values))}); fairness cannot be judged"
            )
            continue
        if ref_counts.examples < min_size:
            # Judge against the largest slice instead, and say so: a gate that passes having
            # judged nothing would bless a model nobody checked (issue 31).
            largest = max(values, key=lambda v: (values[v].examples, v))
            small_ref = (
                f"{feature}: the reference slice {ref_name} has {ref_counts.examples:g} "
                f"examples, under min_slice_size {min_size}"
            )
            if values[largest].examples < min_size:
                failures.append(f"{small_ref}, and so has every slice: {feature} not judged")
                continue
            ref_value, ref_name, ref_counts = largest, f"{feature}={largest}", values[largest]
            unjudged.append(
                f"{small_ref}; judged against the largest slice {ref_name} "
                f"({ref_counts.examples:g} examples) instead"
            )
        ref_rates = rates(ref_counts, names)
        compared = False
        for value in sorted(values):
            counts = values[value]
            where = f"{feature}={value}"
            if ref_value is not None and value == ref_value:
                rows.append(_row(feature, where, counts, names, "reference"))
                continue
            if counts.examples < min_size:
                rows.append(_row(feature, where, counts, names, "too small to judge"))
                too_small.append(
                    f"{where} ({counts.examples:g} examples): under min_slice_size {min_size}"
                )
                continue
            row = _row(feature, where, counts, names, "pass")
            row["reference"] = ref_name
            for name in names:
                value_rate, ref_rate = row["rates"][name], ref_rates[name]
                if value_rate is None or ref_rate is None:
                    continue  # undefined (no positives / negatives): nothing to compare
                count, what = support(counts, name)
                ref_count, _ = support(ref_counts, name)
                if min(count, ref_count) < min_rate:  # e.g. a true positive rate from 3 positives
                    few = (
                        f"{count:g} {what}" if count < min_rate else f"{ref_count:g} on {ref_name}"
                    )
                    row["unjudged"][name] = few
                    too_small.append(
                        f"{name} on {where} ({few}): under min_rate_examples {min_rate}"
                    )
                    continue
                measured, found = _violations(
                    name, where, value_rate, ref_name, ref_rate, bounds[name]
                )
                compared = True
                row["gaps"][name] = measured
                row["failures"] += found
            if row["failures"]:
                row["status"] = "fail"
                failures += row["failures"]
            rows.append(row)
        if not compared:
            failures.append(
                f"{feature}: no slice could be compared with {ref_name} (every slice or rate "
                f"is under min_slice_size {min_size} or min_rate_examples {min_rate}, or "
                "undefined): fairness not judged, so not blessed"
            )
    blessed = not failures
    return FairnessVerdict(
        passed=blessed,
        judged=any(row["gaps"] for row in rows),  # a comparison was made
        reasons=failures,
        reason=_reason(blessed, failures, too_small, unjudged, settings),
        decision_threshold=settings["decision_threshold"],
        min_slice_size=min_size,
        min_rate_examples=min_rate,
        metrics=bounds,
        rows=[FairnessRow(**row) for row in rows],
        too_small=too_small,
        not_judged=unjudged,
    )


def _row(feature: str | None, where: str, counts: Counts, names: list[str], status: str) -> dict:
    return {
        "feature": feature,
        "slice": where,
        "examples": counts.examples,
        "rates": {
            k: (round(v, 6) if v is not None else None) for k, v in rates(counts, names).items()
        },
        "gaps": {},
        "unjudged": {},  # rate -> its few examples ("7 positives"), under min_rate_examples
        "status": status,
        "failures": [],
    }


def _reason(
    blessed: bool, failures: list[str], too_small: list[str], unjudged: list[str], settings
) -> str:
    if not blessed:
        more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
        return "not fair enough: " + "; ".join(failures[:3]) + more
    features = ", ".join(settings["sensitive_features"])
    notes = []
    if too_small:
        notes.append(f"{len(too_small)} slice(s) or rate(s) too small to judge")
    if unjudged:
        notes.append("; ".join(unjudged))
    tail = f" ({'; '.join(notes)})" if notes else ""
    return f"every judged slice of {features} is within its bounds{tail}"
