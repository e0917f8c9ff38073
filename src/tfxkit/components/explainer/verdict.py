"""The Explainer's verdict: global and per-slice importance of each raw column, in ML Metadata.

Not a gate (nothing waits on it); a verdict so that the runner finds it like the gates' (by its
kind) and the run summary, the report and the model card read it back without TensorFlow.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from tfxkit.components.verdicts import Verdict, register

ARTIFACT_TYPE = "TfxkitExplanation"


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

    def ranked(self, scores: dict[str, float] | None = None) -> list[str]:
        scores = self.importance if scores is None else scores
        return sorted(scores, key=lambda name: (-scores[name], name))

    def lines(self) -> list[str]:
        if not self.passed:
            return [f"explained: nothing: {'; '.join(self.reasons)}"]
        top = ", ".join(f"{n} {self.importance[n]:.3g}" for n in self.ranked()[:5])
        return [f"explained: {self.method} on {self.examples} examples: {top}"]


read = ExplanationVerdict.read
