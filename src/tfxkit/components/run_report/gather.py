"""What the run report shows, read from a run's artifacts (no ML Metadata needed).

Why apart from the executor: the same readers serve the local report (``tfxkit.report``, which
finds the artifacts through ML Metadata) and the Kubeflow/Vertex component (which gets them as
inputs); each returns plain data, or None when its artifact is absent or unreadable.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

HISTORY_FILE = "history.json"  # tfxkit.training.history writes it into the ModelRun


def load_history(model_run_uri: str | None) -> dict[str, Any] | None:
    """The Trainer's fit history (``{"train": [...], "eval": [...]}``), or None."""
    if not model_run_uri:
        return None
    path = os.path.join(model_run_uri, HISTORY_FILE)
    try:
        text = read_text(path)
        data = json.loads(text) if text is not None else None
    except (OSError, ValueError) as exc:
        logging.warning("report: could not read the training history %s: %s", path, exc)
        return None
    return data if isinstance(data, dict) and (data.get("train") or data.get("eval")) else None


def read_text(path: str) -> str | None:
    """A file's text, None when absent. A local path is read directly: TensorFlow's gfile
    (for gs:// and other remote URIs) costs seconds of import, which ``tfxkit report`` on a
    local run need not pay."""
    if "://" not in path:
        return Path(path).read_text() if os.path.exists(path) else None
    from tensorflow.io import gfile

    if not gfile.exists(path):
        return None
    with gfile.GFile(path) as handle:
        return handle.read()


def confusion(evaluation_uri: str | None) -> dict[str, Any] | None:
    """The overall slice's confusion matrix from TFMA's output, as KFP's ClassificationMetrics
    metadata: ``confusionMatrix`` (multiclass: MultiClassConfusionMatrixAtThresholds; binary:
    ConfusionMatrixAtThresholds at its first threshold) and, for binary models,
    ``confidenceMetrics`` (one ROC point per threshold computed). None without either."""
    if not evaluation_uri:
        return None
    try:
        import tensorflow_model_analysis as tfma

        results = list(tfma.load_metrics(evaluation_uri))
    except Exception as exc:  # noqa: BLE001 - one panel of the report, never the run
        logging.warning("report: could not read TFMA's metrics at %s: %s", evaluation_uri, exc)
        return None
    for per_slice in results:
        if per_slice.slice_key.single_slice_keys:
            continue
        for item in per_slice.metric_keys_and_values:
            if item.key.model_name == "baseline" or item.key.is_diff:
                continue
            value = item.value
            if value.multi_class_confusion_matrix_at_thresholds.matrices:
                return multiclass_matrix(value.multi_class_confusion_matrix_at_thresholds)
            if value.confusion_matrix_at_thresholds.matrices:
                return binary_matrix(value.confusion_matrix_at_thresholds)
    return None


def multiclass_matrix(matrices: Any) -> dict[str, Any]:
    """KFP's ``confusionMatrix`` from TFMA's multi-class matrix (first threshold); rows are the
    actual classes, columns the predicted ones; class -1 (no prediction) is left out."""
    cells: dict[tuple[int, int], float] = {}
    for entry in matrices.matrices[0].entries:
        cells[(entry.actual_class_id, entry.predicted_class_id)] = entry.num_weighted_examples
    classes = sorted({c for pair in cells for c in pair} - {-1})
    return {
        "confusionMatrix": {
            "annotationSpecs": [{"displayName": str(c)} for c in classes],
            "rows": [{"row": [cells.get((a, p), 0.0) for p in classes]} for a in classes],
        }
    }


def binary_matrix(matrices: Any) -> dict[str, Any]:
    """KFP's ``confusionMatrix`` (classes 0 and 1 at the first threshold) and one ROC point
    (``confidenceMetrics``) per threshold."""
    first = matrices.matrices[0]
    points = []
    for m in matrices.matrices:
        positives, negatives = (
            m.true_positives + m.false_negatives,
            m.false_positives + m.true_negatives,
        )
        points.append(
            {
                "confidenceThreshold": m.threshold,
                "recall": m.true_positives / positives if positives else 0.0,
                "falsePositiveRate": m.false_positives / negatives if negatives else 0.0,
            }
        )
    return {
        "confusionMatrix": {
            "annotationSpecs": [{"displayName": "0"}, {"displayName": "1"}],
            "rows": [
                {"row": [first.true_negatives, first.false_positives]},
                {"row": [first.false_negatives, first.true_positives]},
            ],
        },
        "confidenceMetrics": points,
    }


def name_classes(metadata: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """Class ids -> label values (the Transform's label vocabulary) in a confusion matrix."""
    specs = metadata.get("confusionMatrix", {}).get("annotationSpecs", [])
    for spec in specs:
        i = spec["displayName"]
        if i.isdigit() and int(i) < len(names):
            spec["displayName"] = names[int(i)]
    return metadata


def load_schema(uri: str) -> Any:
    """The ``schema_pb2.Schema`` in a Schema artifact (``schema.pbtxt``, as SchemaGen writes)."""
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    path = uri if uri.endswith(".pbtxt") else os.path.join(uri, "schema.pbtxt")
    text = read_text(path)
    if text is None:
        raise FileNotFoundError(path)
    return text_format.Parse(text, schema_pb2.Schema())
