"""The Evaluator's verdict: TFMA's blessing, the headline metrics, every failed bound, the slices
too small to judge, and (multiclass) per-class precision and recall.

Written by the executor from TFMA's output, so reading it back needs no TFMA. Without any
threshold TFX validates nothing and blesses nothing: ``judged`` is False and the reason says so.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from tfxkit.components.verdicts import Verdict, register

NO_THRESHOLDS = (
    "no thresholds are configured: TFX's Evaluator blesses only a model that passes at least "
    "one; add evaluation.thresholds (e.g. RootMeanSquaredError: {upper_bound: <the label's "
    "standard deviation>} for regression)"
)


class TooSmall(BaseModel):
    """A slice whose failed metrics were excused: under ``min_slice_size`` labelled examples."""

    model_config = ConfigDict(extra="forbid")

    slice: str
    examples: float | None
    metrics: list[str]


class ClassMetrics(BaseModel):
    model_config = ConfigDict(extra="forbid")

    examples: float
    precision: float | None  # None: no example was predicted (or is) this class
    recall: float | None


@register
class EvaluationVerdict(Verdict):
    BLESSING: ClassVar[bool] = True

    kind: Literal["evaluation"] = "evaluation"
    metrics: dict[str, float] = {}  # overall, the candidate model's (not the baseline's)
    min_slice_size: int = 0
    too_small: list[TooSmall] = []
    # Keyed by class id; the runner renames them to label values (the Transform's vocabulary).
    per_class: dict[str, ClassMetrics] = {}

    def too_small_text(self) -> list[str]:
        return [
            f"{e.slice} ({e.examples or 0:g} examples): {', '.join(e.metrics)} not judged, "
            f"under evaluation.min_slice_size {self.min_slice_size}"
            for e in self.too_small
        ]

    def lines(self) -> list[str]:
        lines = []
        if self.metrics:
            lines.append(
                "metrics:   " + ", ".join(f"{k}={v:g}" for k, v in sorted(self.metrics.items()))
            )
        if self.per_class:
            lines.append(
                "per class: " + "; ".join(_class_text(n, v) for n, v in self.per_class.items())
            )
        lines += [f"  failed:  {failure}" for failure in self.reasons]
        if self.passed and not self.judged:  # only evaluation.bless: always blesses so
            lines.append("  blessed:  evaluation.bless: always (no thresholds judged)")
        return lines + [f"  too small to judge: {small}" for small in self.too_small_text()]


def _class_text(name: str, values: ClassMetrics) -> str:
    def rate(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    return (
        f"{name} ({values.examples:g} examples) precision {rate(values.precision)}, "
        f"recall {rate(values.recall)}"
    )


read = EvaluationVerdict.read
