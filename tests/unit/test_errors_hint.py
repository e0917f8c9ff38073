"""AnomaliesFound's hint fits its rows (issue 22): a schema change points at `tfxkit schema
accept`; drift or skew alone at the approval each row names."""

from __future__ import annotations

from tfxkit.errors import SHIFT_ANOMALIES, AnomaliesFound, format_error


def _row(anomaly: str) -> dict[str, str]:
    return {"split": "train", "feature": "f", "anomaly": anomaly, "severity": "ERROR",
            "description": "d"}  # fmt: skip


def test_a_schema_anomaly_points_at_schema_accept() -> None:
    for rows in (
        [_row("SCHEMA_NEW_COLUMN")],
        [_row("SCHEMA_NEW_COLUMN"), _row(SHIFT_ANOMALIES[0])],
    ):
        text = format_error(AnomaliesFound(rows))
        assert "review and accept it into the schema of record: `tfxkit schema accept" in text


def test_drift_or_skew_alone_points_at_the_approval_not_schema_accept() -> None:
    text = format_error(AnomaliesFound([_row(SHIFT_ANOMALIES[0]), _row(SHIFT_ANOMALIES[1])]))
    assert "approve it as each row says" in text and "has nothing to accept" in text
    assert "review and accept it into the schema of record" not in text
