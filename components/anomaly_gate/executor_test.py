"""The gate on real TFDV anomalies: which rows stop a run, which only warn, and the output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import tensorflow_data_validation as tfdv
from tfx.types import artifact_utils, standard_artifacts

from tfxkit.components.anomaly_gate.executor import (
    ANOMALIES_FILE,
    WARNINGS_PROPERTY,
    Executor,
    action,
    anomaly_rows,
)
from tfxkit.errors import AnomaliesFound, format_error

GOOD = pd.DataFrame({"island": ["Biscoe", "Dream", "Torgersen"] * 20, "mass": [3.5, 4.0, 5.0] * 20})
BAD = pd.DataFrame({"island": ["Mars"] * 60, "mass": [3.5, 4.0, 5.0] * 20})


def _anomalies(data: pd.DataFrame):
    schema = tfdv.infer_schema(tfdv.generate_statistics_from_dataframe(GOOD))
    return tfdv.validate_statistics(tfdv.generate_statistics_from_dataframe(data), schema), schema


def test_rows_name_split_feature_type_and_a_readable_description() -> None:
    anomalies, _ = _anomalies(BAD)
    rows = anomaly_rows("train", anomalies)
    assert [(r["split"], r["feature"], r["severity"]) for r in rows] == [
        ("train", "island", "ERROR")
    ]
    assert rows[0]["anomaly"] == "ENUM_TYPE_UNEXPECTED_STRING_VALUES"
    assert "Mars" in rows[0]["description"]
    assert anomaly_rows("train", _anomalies(GOOD)[0]) == []


@pytest.mark.parametrize(
    ("on_anomaly", "severity", "expected"),
    [
        ("fail", {}, "fail"),
        ("warn", {}, "warn"),
        ("warn", {"ENUM_TYPE_UNEXPECTED_STRING_VALUES": "fail"}, "fail"),
        ("fail", {"island": "ignore"}, "ignore"),
        # A feature override wins over a type override.
        ("fail", {"island": "warn", "ENUM_TYPE_UNEXPECTED_STRING_VALUES": "fail"}, "warn"),
    ],
)
def test_action_order(on_anomaly: str, severity: dict, expected: str) -> None:
    row = {
        "feature": "island",
        "anomaly": "ENUM_TYPE_UNEXPECTED_STRING_VALUES",
        "severity": "ERROR",
    }
    assert action(row, on_anomaly, severity) == expected
    assert action({**row, "severity": "WARNING"}, "fail", {}) == "warn"


def _artifacts(tmp_path: Path, data: pd.DataFrame):
    anomalies_proto, schema_proto = _anomalies(data)
    anomalies = standard_artifacts.ExampleAnomalies()
    anomalies.uri = str(tmp_path / "anomalies")
    anomalies.split_names = artifact_utils.encode_split_names(["train", "eval"])
    for split in ("train", "eval"):
        os.makedirs(f"{anomalies.uri}/Split-{split}")
        Path(f"{anomalies.uri}/Split-{split}/{ANOMALIES_FILE}").write_bytes(
            anomalies_proto.SerializeToString()
        )
    schema = standard_artifacts.Schema()
    schema.uri = str(tmp_path / "schema")
    os.makedirs(schema.uri)
    tfdv.write_schema_text(schema_proto, f"{schema.uri}/schema.pbtxt")
    gated = standard_artifacts.Schema()
    gated.uri = str(tmp_path / "gated")
    os.makedirs(gated.uri)
    return {"anomalies": [anomalies], "schema": [schema]}, {"gated_schema": [gated]}


def test_fail_raises_a_table_and_writes_no_schema(tmp_path: Path) -> None:
    inputs, outputs = _artifacts(tmp_path, BAD)
    props = {"on_anomaly": "fail", "severity": "{}"}
    with pytest.raises(AnomaliesFound) as caught:
        Executor().Do(inputs, outputs, props)
    assert [r["split"] for r in caught.value.rows] == ["train", "eval"]
    text = format_error(caught.value)
    assert "island" in text and "ENUM_TYPE_UNEXPECTED_STRING_VALUES" in text and "Mars" in text
    assert "nothing was trained or pushed" in text
    assert os.listdir(outputs["gated_schema"][0].uri) == []


def test_warn_passes_the_schema_on_and_records_the_warnings(tmp_path: Path) -> None:
    inputs, outputs = _artifacts(tmp_path, BAD)
    Executor().Do(inputs, outputs, {"on_anomaly": "warn", "severity": "{}"})
    gated = outputs["gated_schema"][0]
    assert os.listdir(gated.uri) == ["schema.pbtxt"]  # Transform reads the only file there
    warnings = json.loads(gated.get_string_custom_property(WARNINGS_PROPERTY))
    assert {w["feature"] for w in warnings} == {"island"}
