"""The FairnessGate's verdict: the decision, its reason, and one row per slice (rates, gaps).

``gaps.judge`` makes it from confusion-matrix counts; ``reasons`` are the failed bounds; a slice
or rate too small to judge is listed, never counted as fair or unfair.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from tfxkit.components.verdicts import PASSED_PROPERTY, Verdict, register


class FairnessRow(BaseModel):
    """One slice: its rates, its gaps to the reference slice, and what failed there."""

    model_config = ConfigDict(extra="forbid")

    feature: str | None  # None for the overall row
    slice: str
    examples: float
    rates: dict[str, float | None]  # None: undefined (its denominator is 0)
    gaps: dict[str, dict[str, float]] = {}  # rate -> {difference, ratio}
    unjudged: dict[str, str] = {}  # rate -> its few examples ("7 positives")
    status: str  # reference | pass | fail | too small to judge
    failures: list[str] = []
    reference: str | None = None  # the slice it was compared with


@register
class FairnessVerdict(Verdict):
    BLESSING: ClassVar[bool] = True
    BLESSED_PROPERTY: ClassVar[str] = PASSED_PROPERTY  # not TFX's: see verdicts.PASSED_PROPERTY

    kind: Literal["fairness"] = "fairness"
    reason: str  # one line: the decision and why
    decision_threshold: float
    min_slice_size: int
    min_rate_examples: int = 0
    metrics: dict[str, dict[str, float]]  # rate -> its bounds (max_difference, min_ratio)
    rows: list[FairnessRow] = []
    too_small: list[str] = []
    not_judged: list[str] = []

    def headline(self) -> str:
        return self.reason

    def lines(self) -> list[str]:
        """The decision, its reason, and one table row per slice."""
        decision = "passed" if self.passed else "FAILED"
        bounds = ", ".join(
            f"{name} " + " and ".join(f"{k} {v:g}" for k, v in sorted(bound.items()))
            for name, bound in sorted(self.metrics.items())
        )
        lines = [
            f"fairness:  {decision}: {self.reason}",
            f"  decision threshold {self.decision_threshold:g}; bounds: {bounds}; "
            f"slices under {self.min_slice_size} examples and rates from under "
            f"{self.min_rate_examples} are not judged",
        ]
        names = sorted(self.metrics)
        header = ["slice", "examples", *names, "vs", "result"]
        table = [header]
        for row in self.rows:
            result = row.status
            if row.failures:
                result = "FAIL: " + "; ".join(f.split(": ")[-1] for f in row.failures)
            cells = [_cell(row.rates.get(n), row.gaps.get(n), row.unjudged.get(n)) for n in names]
            table.append([row.slice, f"{row.examples:g}", *cells, row.reference or "-", result])
        widths = [max(len(r[i]) for r in table) for i in range(len(header))]
        for r in table:
            lines.append(
                "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            )
        return lines + [f"  not judged: {note}" for note in self.not_judged]


def _cell(rate: float | None, gap: dict[str, float] | None, few: str | None) -> str:
    if rate is None:
        return "undefined"
    if few:
        return f"{rate:.3f} (from {few}: not judged)"
    if not gap:
        return f"{rate:.3f}"
    return f"{rate:.3f} (diff {gap['difference']:.3f}, ratio {gap['ratio']:.2f})"


read = FairnessVerdict.read
