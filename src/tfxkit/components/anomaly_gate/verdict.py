"""The AnomalyGate's verdict: the data passed, and which anomalies were only warnings.

A failing gate raises ``AnomaliesFound`` instead (its rows reach the run summary through the
error), so a stored verdict always passed. Stored on the gated ``Schema`` as a property: that
folder must hold only the schema file (Transform reads it with ``get_only_uri_in_dir``).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from tfxkit.components.verdicts import Verdict, register
from tfxkit.errors import anomaly_table


class AnomalyRow(BaseModel):
    """One anomaly reason in one split (``executor.anomaly_rows``)."""

    model_config = ConfigDict(extra="forbid")

    split: str
    feature: str
    anomaly: str
    severity: str
    description: str


@register
class AnomalyVerdict(Verdict):
    ARTIFACT_TYPE: ClassVar[str] = "Schema"
    IN_FOLDER: ClassVar[bool] = False

    kind: Literal["anomalies"] = "anomalies"
    passed: bool = True
    warnings: list[AnomalyRow] = []  # reported, not stopping the run (validation.severity)

    def lines(self) -> list[str]:
        if not self.warnings:
            return []
        rows = [row.model_dump() for row in self.warnings]
        count = f"anomalies: {len(rows)} reported as warnings (validation.severity)"
        return [count, anomaly_table(rows)]


read = AnomalyVerdict.read
