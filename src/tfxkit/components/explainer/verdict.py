"""The Explainer's verdict: global and per-slice importance of each raw column, in ML Metadata.

Not a gate (nothing waits on it); a verdict so that the runner finds it like the gates' (by its
kind) and the run summary, the report and the model card read it back without TensorFlow.
``drift`` compares the importance with the previous blessed model's explanation.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel

from tfxkit.components.verdicts import Verdict, register

ARTIFACT_TYPE = "TfxkitExplanation"


class Change(BaseModel):
    """One raw column's importance before (baseline) and now, and its change in share (the
    column's fraction of the total importance: comparable across models whose output scales
    differ)."""

    feature: str
    before: float
    after: float
    share_change: float


class AttributionDrift(BaseModel):
    """This run's importance against the baseline model's (the previous blessed model)."""

    baseline_model_uri: str
    rank_correlation: float | None = None  # Spearman over the common columns; None: no baseline
    common: int = 0
    changes: list[Change] = []  # largest |share change| first
    note: str = ""  # why there is no comparison (the baseline was not explained)

    def line(self) -> str:
        if self.rank_correlation is None:
            return f"attribution drift: not measured: {self.note}"
        moved = ", ".join(
            f"{c.feature} {c.share_change:+.0%}" for c in self.changes[:3] if c.share_change
        )
        return (
            f"attribution drift vs the previous blessed model: rank correlation "
            f"{self.rank_correlation:.2f} over {self.common} features"
            + (f"; largest changes in share: {moved}" if moved else "")
        )


@register
class ExplanationVerdict(Verdict):
    ARTIFACT_TYPE: ClassVar[str] = ARTIFACT_TYPE

    kind: Literal["explanation"] = "explanation"
    method: str
    examples: int
    importance: dict[str, float]  # raw column -> mean |attribution| over the examples
    per_slice: dict[str, dict[str, float]] = {}  # "sex=Female" -> raw column -> importance
    slice_examples: dict[str, int] = {}
    completeness_gap: float = 0.0  # mean |sum of attributions - (F(x) - F(baseline))|
    model_uri: str = ""  # the explained model: how a later run finds this explanation
    drift: AttributionDrift | None = None  # None: no previous blessed model

    def ranked(self, scores: dict[str, float] | None = None) -> list[str]:
        scores = self.importance if scores is None else scores
        return sorted(scores, key=lambda name: (-scores[name], name))

    def lines(self) -> list[str]:
        if not self.passed:
            return [f"explained: nothing: {'; '.join(self.reasons)}"]
        top = ", ".join(f"{n} {self.importance[n]:.3g}" for n in self.ranked()[:5])
        found = [f"explained: {self.method} on {self.examples} examples: {top}"]
        return found + ([self.drift.line()] if self.drift else [])


read = ExplanationVerdict.read
