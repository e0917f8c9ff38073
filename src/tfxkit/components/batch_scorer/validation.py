"""A batch against the schema of record: TFDV's anomalies, judged by the ``validation`` config.

Only the model's input features are held to the schema (the batch has no label, and columns
the model does not read need not be there); each anomaly row's action follows the anomaly
gate's rule (``severity`` by feature, then by type, then ``on_anomaly`` for errors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tfxkit.components.anomaly_gate.executor import action, anomaly_rows

AGAINST = "vs the schema of record"


def features_only(schema: Any, keys: Iterable[str]) -> Any:
    """A copy of ``schema`` holding only the features named by ``keys``."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    wanted = set(keys)
    restricted = schema_pb2.Schema.FromString(schema.SerializeToString())
    kept = [f for f in restricted.feature if f.name in wanted]
    del restricted.feature[:]
    restricted.feature.extend(kept)
    restricted.ClearField("dataset_constraints")
    return restricted


def validator(
    schema: Any, keys: Iterable[str], on_anomaly: str, severity: dict[str, str]
) -> Callable[[Any], list[dict[str, str]]]:
    """statistics -> anomaly rows, each with its ``action`` (fail | warn; ignored ones dropped)."""
    restricted = features_only(schema, keys)

    def validate(statistics: Any) -> list[dict[str, str]]:
        import tensorflow_data_validation as tfdv

        anomalies = tfdv.validate_statistics(statistics, restricted)
        rows = []
        for row in anomaly_rows("batch", anomalies, against=AGAINST):
            row["action"] = action(row, on_anomaly, severity)
            if row["action"] != "ignore":
                rows.append(row)
        return rows

    return validate
