"""FairnessGate executor: TFMA's per-slice confusion matrices -> rate gaps -> a blessing.

The verdict (``verdict.FairnessVerdict``: per-slice rates, gaps and the decision) is stored in
the ``ModelBlessing``, which also says ``blessed`` and ``reason`` (what ML Metadata keeps and a
push's condition tests) with a ``BLESSED``/``NOT_BLESSED`` marker file, as TFX's Evaluator
writes (``components.verdicts``). The rule itself is in ``gaps``.
"""

from __future__ import annotations

from typing import Any

import tensorflow_model_analysis as tfma
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils

from tfxkit.components.fairness_gate import gaps
from tfxkit.components.fairness_gate.verdict import FairnessVerdict
from tfxkit.components.verdicts import Artifacts, GateExecutor, load_settings

EVALUATION_KEY = "evaluation"
MODEL_KEY = "model"
BLESSING_KEY = "blessing"
SETTINGS_KEY = "settings"
_MATRIX = "confusion_matrix_at_thresholds"


def _slice_value(column: Any) -> str:
    kind = column.WhichOneof("kind")
    value = getattr(column, kind) if kind else ""
    return value.decode() if isinstance(value, bytes) else str(value)


def _counts_at(value: Any, threshold: float) -> gaps.Counts | None:
    matrices = value.confusion_matrix_at_thresholds.matrices
    if not matrices:
        return None
    nearest = min(matrices, key=lambda m: abs(m.threshold - threshold))
    return gaps.Counts(
        tp=nearest.true_positives,
        fp=nearest.false_positives,
        tn=nearest.true_negatives,
        fn=nearest.false_negatives,
    )


def read_counts(
    evaluation_uri: str, features: list[str], threshold: float
) -> tuple[gaps.Counts | None, dict[str, dict[str, gaps.Counts]]]:
    """Counts for the overall slice and each single-feature slice of ``features`` (candidate
    model only: with a baseline, TFMA reports both)."""
    overall: gaps.Counts | None = None
    slices: dict[str, dict[str, gaps.Counts]] = {feature: {} for feature in features}
    for per_slice in tfma.load_metrics(evaluation_uri):
        columns = list(per_slice.slice_key.single_slice_keys)
        if len(columns) > 1 or (columns and columns[0].column not in slices):
            continue
        for item in per_slice.metric_keys_and_values:
            if item.key.name != _MATRIX or item.key.is_diff or item.key.model_name == "baseline":
                continue
            counts = _counts_at(item.value, threshold)
            if counts is None:
                continue
            if columns:
                slices[columns[0].column][_slice_value(columns[0])] = counts
            else:
                overall = counts
    return overall, slices


class Executor(GateExecutor, base_executor.BaseExecutor):
    """Judges rate gaps between sensitive slices and blesses (or not) the model."""

    VERDICT_OUTPUT = BLESSING_KEY

    def decide(
        self, inputs: Artifacts, outputs: Artifacts, properties: dict[str, Any]
    ) -> FairnessVerdict:
        config = load_settings(properties, SETTINGS_KEY)
        evaluation_uri = artifact_utils.get_single_uri(inputs[EVALUATION_KEY])
        overall, slices = read_counts(
            evaluation_uri, config["sensitive_features"], config["decision_threshold"]
        )
        if overall is None:
            raise RuntimeError(
                f"{evaluation_uri}: no confusion matrix at the decision threshold in the "
                "evaluation; the Evaluator must compute ConfusionMatrixAtThresholds "
                "(pipeline.eval_config.build_eval_config adds it when fairness is configured)"
            )
        model = artifact_utils.get_single_instance(inputs[MODEL_KEY])
        blessing = artifact_utils.get_single_instance(outputs[BLESSING_KEY])
        blessing.set_string_custom_property("current_model", model.uri)
        blessing.set_int_custom_property("current_model_id", model.id)
        return gaps.judge(overall, slices, config)
