"""The LeakageGate's verdict: each configured feature's single-feature score, and which leak.

A gate set to ``fail`` that finds a leak raises ``LeakageFound`` instead (its message names
each column and score), so a stored verdict passed; with ``warn`` it lists the leaking columns
with their scores, which the run summary prints. Stored on the passed-on ``Schema`` as a
property: that folder must hold only the schema file (Transform reads it by listing).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from tfxkit.components.verdicts import Verdict, register
from tfxkit.errors import DataError

ADVICE = (
    "drop the column from features if it is recorded after the outcome; if it is known at "
    "prediction time, set validation.leakage: warn (or off)"
)


class LeakageRow(BaseModel):
    """One feature on its own against the label (``data.leakage.Score``)."""

    model_config = ConfigDict(extra="forbid")

    column: str
    metric: str
    score: float | None
    purity: float | None = None
    values: int = 0
    leaks: bool = False
    reason: str = ""

    def describe(self) -> str:
        return f"{self.metric} {self.score:.3f}" if self.score is not None else "not judged"


@register
class LeakageVerdict(Verdict):
    ARTIFACT_TYPE: ClassVar[str] = "Schema"
    IN_FOLDER: ClassVar[bool] = False

    kind: Literal["leakage"] = "leakage"
    passed: bool = True
    action: str = "warn"  # validation.leakage
    task: str = ""
    rows: int = 0  # labelled train rows scored
    columns: list[LeakageRow] = []  # leaking first, then by score
    note: str = ""  # why nothing was judged

    @property
    def leaking(self) -> list[LeakageRow]:
        return [row for row in self.columns if row.leaks]

    def lines(self) -> list[str]:
        if not self.judged:
            return [f"leakage:   not judged: {self.note}"]
        where = f"{self.rows} train rows, {self.task}"
        if not self.leaking:
            top = next((r for r in self.columns if r.score is not None), None)
            best = f"; the strongest alone: {top.column} ({top.describe()})" if top else ""
            return [f"leakage:   no feature alone predicts the label ({where}{best})"]
        count = len(self.leaking)
        lines = [
            f"leakage:   WARNING: {count} feature{'s' * (count > 1)} alone predict"
            f"{'s' * (count == 1)} the label: target leakage? ({where}; validation.leakage: "
            f"{self.action})"
        ]
        return lines + [f"  '{row.column}': {row.reason}" for row in self.leaking]


class LeakageFound(DataError):
    """validation.leakage is ``fail`` and a feature alone predicts the label.

    ``rows``: one anomaly-shaped row per leaking column, for the summary JSON's ``anomalies``.
    """

    hint = f"nothing was trained or pushed; {ADVICE}"

    def __init__(self, verdict: LeakageVerdict) -> None:
        leaking = verdict.leaking
        self.rows = [
            {
                "split": "train",
                "feature": row.column,
                "anomaly": "TARGET_LEAKAGE",
                "severity": "ERROR",
                "description": row.reason,
            }
            for row in leaking
        ]
        named = "; ".join(f"'{row.column}': {row.reason}" for row in leaking)
        super().__init__(
            f"target leakage (validation.leakage: fail): {len(leaking)} feature"
            f"{'s' * (len(leaking) > 1)} alone predict{'s' * (len(leaking) == 1)} the label "
            f"on {verdict.rows} train rows: {named}"
        )


read = LeakageVerdict.read
