"""AnomalyGate executor: anomalies -> rows -> fail (AnomaliesFound) or pass the schema on.

Each anomaly reason in each split becomes a row ``{split, feature, anomaly, severity,
description}``. Its action: ``severity[feature]``, else ``severity[anomaly type]``, else
``on_anomaly`` for TFDV's ERROR severity and ``warn`` for WARNING. Any ``fail`` row stops the
run; ``warn`` rows are recorded on the output schema artifact (``anomaly_warnings``, JSON) for
the run summary; ``ignore`` rows are dropped.
"""

from __future__ import annotations

import json
import os
from typing import Any

from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils
from tfx.utils import io_utils

from tfxkit.errors import AnomaliesFound

ANOMALIES_KEY = "anomalies"
SCHEMA_KEY = "schema"
GATED_SCHEMA_KEY = "gated_schema"
ON_ANOMALY_KEY = "on_anomaly"
SEVERITY_KEY = "severity"
CODE_FINGERPRINT_KEY = "code_fingerprint"
WARNINGS_PROPERTY = "anomaly_warnings"
ANOMALIES_FILE = "SchemaDiff.pb"  # what TFX's ExampleValidator writes per split


def anomaly_rows(split: str, anomalies: anomalies_pb2.Anomalies) -> list[dict[str, str]]:
    """One row per anomaly reason (a feature can have several), dataset-level ones included."""
    infos = [(feature, info) for feature, info in sorted(anomalies.anomaly_info.items())]
    if anomalies.HasField("dataset_anomaly_info"):
        infos.append(("(dataset)", anomalies.dataset_anomaly_info))
    rows = []
    for feature, info in infos:
        severity = anomalies_pb2.AnomalyInfo.Severity.Name(info.severity)
        for reason in info.reason or [None]:
            kind = anomalies_pb2.AnomalyInfo.Type.Name(reason.type) if reason else "UNKNOWN"
            text = (reason.description if reason else "") or info.description
            rows.append(
                {
                    "split": split,
                    "feature": feature,
                    "anomaly": kind,
                    "severity": severity,
                    "description": " ".join(text.split()),
                }
            )
    return rows


def action(row: dict[str, str], on_anomaly: str, severity: dict[str, str]) -> str:
    """fail | warn | ignore for one row (see the module docstring for the order)."""
    if row["feature"] in severity:
        return severity[row["feature"]]
    if row["anomaly"] in severity:
        return severity[row["anomaly"]]
    return on_anomaly if row["severity"] == "ERROR" else "warn"


def read_anomalies(anomalies: types.Artifact) -> list[dict[str, str]]:
    rows = []
    for split in artifact_utils.decode_split_names(anomalies.split_names):
        path = os.path.join(artifact_utils.get_split_uri([anomalies], split), ANOMALIES_FILE)
        if not fileio.exists(path):
            continue
        proto = anomalies_pb2.Anomalies.FromString(io_utils.read_bytes_file(path))
        rows += anomaly_rows(split, proto)
    return rows


class Executor(base_executor.BaseExecutor):
    """Raise AnomaliesFound on any ``fail`` row; otherwise copy the schema to the output."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        on_anomaly = exec_properties[ON_ANOMALY_KEY]
        severity = json.loads(exec_properties.get(SEVERITY_KEY) or "{}")
        rows = read_anomalies(artifact_utils.get_single_instance(input_dict[ANOMALIES_KEY]))
        decided = [(row, action(row, on_anomaly, severity)) for row in rows]
        failing = [row for row, verdict in decided if verdict == "fail"]
        if failing:
            raise AnomaliesFound(failing)
        warnings = [row for row, verdict in decided if verdict == "warn"]
        source = artifact_utils.get_single_uri(input_dict[SCHEMA_KEY])
        gated = artifact_utils.get_single_instance(output_dict[GATED_SCHEMA_KEY])
        for name in fileio.listdir(source):
            io_utils.copy_file(os.path.join(source, name), os.path.join(gated.uri, name))
        gated.set_string_custom_property(WARNINGS_PROPERTY, json.dumps(warnings))
