"""The BatchScorer's verdict: how many rows were scored, by which version, and where they went.

Not a blessing (nothing waits on it); stored in the scores' folder for the run summary.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from tfxkit.components.verdicts import Verdict, register


@register
class BatchScoreVerdict(Verdict):
    ARTIFACT_TYPE: ClassVar[str] = "InferenceResult"

    kind: Literal["batch_scores"] = "batch_scores"
    passed: bool = True
    model_name: str = ""
    model_version: int | None = None
    rows_in: int = 0
    rows_out: int = 0
    rejected: int = 0
    output: str = ""  # the scores artifact's folder
    published: str | None = None  # batch.output, when set
    warnings: list[str] = []  # anomalies validation only warned about

    def lines(self) -> list[str]:
        if not self.judged:
            return [f"scored:    nothing: {'; '.join(self.reasons)}"]
        where = self.published or self.output
        lines = [
            f"scored:    {self.rows_out:,} of {self.rows_in:,} rows with {self.model_name} "
            f"version {self.model_version} -> {where} ({self.rejected:,} rejected)"
        ]
        return lines + [f"           warning: {w}" for w in self.warnings]
