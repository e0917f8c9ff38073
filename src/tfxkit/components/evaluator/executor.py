"""Evaluator executor: TFX's, then a verdict that excuses slices too small to judge.

The verdict (``verdict.EvaluationVerdict``) is stored in the blessing: the headline metrics,
every failed bound in words, the slices excused as too small and, for multiclass, per-class
precision and recall. A slice is too small when its ``example_count`` (weighted: rows with a
label) is below ``min_slice_size``; the overall slice is always judged.
"""

from __future__ import annotations

from typing import Any

import tensorflow_model_analysis as tfma
from tfx import types
from tfx.components.evaluator import constants
from tfx.components.evaluator import executor as tfx_executor
from tfx.types import artifact_utils, standard_component_specs

from tfxkit.components.evaluator.verdict import (
    NO_THRESHOLDS,
    ClassMetrics,
    EvaluationVerdict,
    TooSmall,
)
from tfxkit.components.verdicts import FINGERPRINT_KEY, bless
from tfxkit.serving.custom_ops import register_for

MIN_SLICE_SIZE_KEY = "min_slice_size"
BLESS_KEY = "bless"  # "always": no thresholds, every model blessed (evaluation.bless)
ALWAYS = "blessed: evaluation.bless is 'always' (no thresholds: every model that trains is blessed)"
CODE_FINGERPRINT_KEY = FINGERPRINT_KEY
_COUNT_METRIC = "example_count"


def register_model_ops(input_dict: dict[str, list[types.Artifact]]) -> None:
    """tensorflow-text's ops, when the model or the baseline uses them (a text model's
    Transform graph), before TFMA loads them in this process (``serving.custom_ops``)."""
    from tfx.utils import path_utils

    keys = (standard_component_specs.MODEL_KEY, standard_component_specs.BASELINE_MODEL_KEY)
    for artifact in (a for key in keys for a in input_dict.get(key) or []):
        old = path_utils.is_old_model_artifact(artifact)
        register_for(path_utils.serving_model_path(artifact.uri, old))


def _slice_id(slice_key: Any) -> bytes:
    return slice_key.SerializeToString(deterministic=True)


def _slice_name(slice_key: Any) -> str:
    parts = []
    for column in slice_key.single_slice_keys:
        kind = column.WhichOneof("kind")
        value = getattr(column, kind) if kind else ""
        parts.append(f"{column.column}={value.decode() if isinstance(value, bytes) else value}")
    return ", ".join(parts) or "overall"


def slice_example_counts(evaluation_uri: str) -> dict[bytes, float]:
    """``example_count`` per slice, keyed by the serialized slice key."""
    counts: dict[bytes, float] = {}
    for per_slice in tfma.load_metrics(evaluation_uri):
        for item in per_slice.metric_keys_and_values:
            if item.key.name == _COUNT_METRIC and not item.key.is_diff:
                value = item.value.double_value.value
                key = _slice_id(per_slice.slice_key)
                counts[key] = max(counts.get(key, 0.0), value)
    return counts


def judge(result: Any, counts: dict[bytes, float], min_slice_size: int) -> dict[str, Any]:
    """TFMA's validation result with failures on slices under ``min_slice_size`` excused."""
    failures, too_small = [], []
    for per_slice in result.metric_validations_per_slice:
        if not per_slice.failures:
            continue
        count = counts.get(_slice_id(per_slice.slice_key))
        entry = {
            "slice": _slice_name(per_slice.slice_key),
            "examples": count,
            "metrics": sorted({f.metric_key.name for f in per_slice.failures}),
        }
        small = per_slice.slice_key.single_slice_keys and (count or 0) < min_slice_size
        (too_small if small else failures).append(entry)
    blocked = (
        bool(failures)
        or result.missing_thresholds
        or bool(result.missing_slices)
        or bool(result.missing_cross_slices)
    )
    return {
        "min_slice_size": min_slice_size,
        "blessed": bool(result.validation_ok or not blocked),
        "failures": failures,
        "too_small": too_small,
    }


class Executor(tfx_executor.Executor):
    """Runs TFX's Evaluator, then re-decides the blessing with small slices excused."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        properties = dict(exec_properties)
        min_slice_size = int(properties.pop(MIN_SLICE_SIZE_KEY, 0) or 0)
        always = properties.pop(BLESS_KEY, None) == "always"
        properties.pop(CODE_FINGERPRINT_KEY, None)
        register_model_ops(input_dict)
        super().Do(input_dict, output_dict, properties)

        blessing = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.BLESSING_KEY]
        )
        evaluation_uri = artifact_utils.get_single_uri(
            output_dict[standard_component_specs.EVALUATION_KEY]
        )
        result = tfma.load_validation_result(evaluation_uri)
        if not blessing.has_custom_property(constants.ARTIFACT_PROPERTY_BLESSED_KEY):
            # No thresholds: TFX validated nothing and wrote no blessing; that is no blessing,
            # unless the config says every model is blessed (evaluation.bless: always).
            verdict = evaluation_verdict(evaluation_uri, result, None)
            if always:
                verdict = verdict.model_copy(update={"passed": True, "reasons": []})
                bless(blessing, True, ALWAYS)
            verdict.store(blessing)
            return
        judgement = judge(result, slice_example_counts(evaluation_uri), min_slice_size)
        verdict = evaluation_verdict(evaluation_uri, result, judgement)
        bless(blessing, verdict.passed, reason(judgement, result))  # as TFX's, or excused
        verdict.store(blessing)


def reason(judgement: dict[str, Any], result: Any) -> str:
    """One line for ML Metadata saying why the model was (not) blessed."""
    if result.missing_thresholds:
        return "not blessed: no metric threshold applies (configure evaluation.thresholds)"
    failed = "; ".join(f"{', '.join(e['metrics'])} on {e['slice']}" for e in judgement["failures"])
    small = (
        f"; {len(judgement['too_small'])} slice(s) too small to judge"
        if judgement["too_small"]
        else ""
    )
    if judgement["blessed"]:
        return f"blessed: every threshold passed{small}"
    return f"not blessed: {failed or 'a configured slice is missing'} outside the thresholds{small}"


def evaluation_verdict(
    evaluation_uri: str, result: Any, judgement: dict[str, Any] | None
) -> EvaluationVerdict:
    """TFMA's output and the judgement (None: nothing was validated) as the stored verdict."""
    metrics, per_class = headline_metrics(evaluation_uri)
    too_small = judgement["too_small"] if judgement else []
    reasons = failure_texts(result, {entry["slice"] for entry in too_small})
    if judgement is None:
        return EvaluationVerdict(
            passed=False,
            judged=False,
            reasons=reasons or [NO_THRESHOLDS],
            metrics=metrics,
            per_class=per_class,
        )
    return EvaluationVerdict(
        passed=judgement["blessed"],
        reasons=reasons,
        metrics=metrics,
        min_slice_size=judgement["min_slice_size"],
        too_small=[TooSmall(**entry) for entry in too_small],
        per_class=per_class,
    )


def headline_metrics(evaluation_uri: str) -> tuple[dict[str, float], dict[str, ClassMetrics]]:
    """The overall slice's metrics of the candidate model (with a baseline TFMA reports both),
    and its per-class metrics (multiclass, when computed)."""
    metrics: dict[str, float] = {}
    per_class: dict[str, ClassMetrics] = {}
    for per_slice in tfma.load_metrics(evaluation_uri):
        if per_slice.slice_key.single_slice_keys:
            continue
        per_class = {str(k): ClassMetrics(**v) for k, v in per_class_metrics(per_slice).items()}
        for item in per_slice.metric_keys_and_values:
            if item.key.model_name == "baseline":
                continue
            if item.value.HasField("double_value") and not item.key.is_diff:
                metrics[item.key.name] = round(item.value.double_value.value, 4)
    return metrics, per_class


def failure_texts(result: Any, excused: set[str]) -> list[str]:
    """Every failed bound, in words (``<metric> on <slice>: <value> below ...``), except on the
    ``excused`` slices (too small to judge)."""
    failures = [NO_THRESHOLDS] if result.missing_thresholds else []
    for per_slice in result.metric_validations_per_slice:
        where = _slice_name(per_slice.slice_key)
        if where in excused:
            continue
        for failure in per_slice.failures:
            value = failure.metric_value.double_value.value
            name = failure.metric_key.name + (
                " (vs baseline)" if failure.metric_key.is_diff else ""
            )
            failures.append(
                f"{name} on {where}: {value:.4g} {_bound_text(failure.metric_threshold, value)}"
            )
    return failures


def _bound_text(threshold: Any, value: float) -> str:
    bound = threshold.value_threshold
    if bound.HasField("lower_bound") and value < bound.lower_bound.value:
        return f"below the lower bound {bound.lower_bound.value:g}"
    if bound.HasField("upper_bound") and value > bound.upper_bound.value:
        return f"above the upper bound {bound.upper_bound.value:g}"
    if threshold.HasField("change_threshold"):
        minimum = threshold.change_threshold.absolute.value
        return f"changed too little against the baseline (min {minimum:g})"
    return "outside its threshold"


def per_class_metrics(per_slice: Any) -> dict[int, dict[str, float | None]]:
    """{class id: {examples, precision, recall}} from one slice's multi-class confusion matrix
    (class ids are the label vocabulary's indices; the runner names them)."""
    for item in per_slice.metric_keys_and_values:
        if item.key.model_name == "baseline" or item.key.is_diff:
            continue
        matrices = item.value.multi_class_confusion_matrix_at_thresholds.matrices
        if not matrices:
            continue
        actual: dict[int, float] = {}
        predicted: dict[int, float] = {}
        correct: dict[int, float] = {}
        for entry in matrices[0].entries:
            n = entry.num_weighted_examples
            actual[entry.actual_class_id] = actual.get(entry.actual_class_id, 0.0) + n
            predicted[entry.predicted_class_id] = predicted.get(entry.predicted_class_id, 0.0) + n
            if entry.actual_class_id == entry.predicted_class_id:
                correct[entry.actual_class_id] = n
        return {
            class_id: {
                "examples": round(actual.get(class_id, 0.0), 4),
                "precision": _ratio(correct.get(class_id, 0.0), predicted.get(class_id, 0.0)),
                "recall": _ratio(correct.get(class_id, 0.0), actual.get(class_id, 0.0)),
            }
            for class_id in sorted((set(actual) | set(predicted)) - {-1})
        }
    return {}


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole > 0 else None
