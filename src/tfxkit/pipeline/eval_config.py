"""TFMA ``EvalConfig`` from the config's ``evaluation`` section.

Why here: blessing is the gate before any push, so its metrics, thresholds and slices live in
config (reviewable, diffable) rather than in pipeline code. Change thresholds compare against
the last blessed model; on a pipeline's first run there is no baseline and TFX drops them, so
only absolute bounds apply.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import tensorflow_model_analysis as tfma

from tfxkit.config import features as F
from tfxkit.config.pipeline_config import PipelineConfig, Threshold
from tfxkit.errors import ConfigError

# Written by tfxkit's Evaluator executor next to TFMA's output (the components layer is a
# sibling, so the file name is the interface, not an import).
JUDGEMENT_FILE = "judgement.json"
FAIRNESS_FILE = "fairness.json"  # written by components/fairness_gate into its blessing

# Tiny epsilon so "min_improvement: 0" means "no worse than the baseline".
_NO_WORSE = -1e-10


def _metric_threshold(threshold: Threshold) -> tfma.MetricThreshold:
    result = tfma.MetricThreshold()
    if threshold.lower_bound is not None or threshold.upper_bound is not None:
        value = tfma.GenericValueThreshold()
        if threshold.lower_bound is not None:
            value.lower_bound.value = threshold.lower_bound
        if threshold.upper_bound is not None:
            value.upper_bound.value = threshold.upper_bound
        result.value_threshold.CopyFrom(value)
    if threshold.min_improvement is not None:
        change = tfma.GenericChangeThreshold(direction=tfma.MetricDirection.HIGHER_IS_BETTER)
        change.absolute.value = threshold.min_improvement or _NO_WORSE
        result.change_threshold.CopyFrom(change)
    return result


def check_metric_names(names: list[str]) -> None:
    """Every metric name must be a TFMA metric or a Keras metric class, found when the pipeline
    is built (seconds), not when the Evaluator runs (minutes later)."""
    import difflib

    import tf_keras
    from tensorflow_model_analysis.metrics import metric_types

    known = set(metric_types.registered_metrics())
    keras = {n for n in dir(tf_keras.metrics) if isinstance(getattr(tf_keras.metrics, n), type)}
    for name in names:
        if name not in known and name not in keras:
            close = difflib.get_close_matches(name, sorted(known | keras), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ConfigError(
                f"evaluation.metrics: '{name}' is not a TFMA or Keras metric class{hint}"
            )


def build_eval_config(config: PipelineConfig) -> tfma.EvalConfig:
    evaluation = config.evaluation
    check_metric_names(evaluation.resolved_metrics(config.label.resolved_task))
    metrics = []
    task = config.label.resolved_task
    names = evaluation.resolved_metrics(task)
    if evaluation.thresholds_on_slices and "ExampleCount" not in names:
        names.append("ExampleCount")  # the slice sizes that min_slice_size is judged on
    for name in names:
        metric = tfma.MetricConfig(class_name=name)
        if name in evaluation.thresholds:
            threshold = _metric_threshold(evaluation.thresholds[name])
            if evaluation.thresholds_on_slices:
                metric.threshold.CopyFrom(threshold)
            else:  # overall only: a small slice must not veto an otherwise good model
                metric.per_slice_thresholds.append(
                    tfma.PerSliceMetricThreshold(
                        slicing_specs=[tfma.SlicingSpec()], threshold=threshold
                    )
                )
        metrics.append(metric)
    slicing_specs = [tfma.SlicingSpec()] + [
        tfma.SlicingSpec(feature_keys=[F.column_key(k) for k in keys]) for keys in evaluation.slices
    ]
    if task == "multiclass" and evaluation.per_class:  # read by per_class_metrics
        # Threshold 0: the predicted class is always the top-scoring one.
        metrics.append(
            tfma.MetricConfig(
                class_name="MultiClassConfusionMatrixAtThresholds",
                config=json.dumps({"thresholds": [0.0]}),
            )
        )
    if config.fairness:  # the fairness gate reads these (components/fairness_gate)
        metrics += fairness_metrics(config.fairness.decision_threshold, names)
        known = {tuple(spec.feature_keys) for spec in slicing_specs}
        for column in config.fairness.sensitive_features:
            if (F.column_key(column),) not in known:
                slicing_specs.append(tfma.SlicingSpec(feature_keys=[F.column_key(column)]))
    return tfma.EvalConfig(
        model_specs=[
            tfma.ModelSpec(
                signature_name=F.EXAMPLES_SIGNATURE,
                label_key=F.transformed_name(F.column_key(config.label.name)),
                # Rows whose label is missing weigh 0 (see tfxkit.transform.preprocessing).
                example_weight_key=F.LABEL_WEIGHT,
                preprocessing_function_names=[F.TRANSFORM_SIGNATURE],
            )
        ],
        slicing_specs=slicing_specs,
        metrics_specs=[
            tfma.MetricsSpec(
                metrics=metrics,
                example_weights=tfma.ExampleWeightOptions(weighted=True, unweighted=False),
            )
        ],
    )


_QUALITY_METRIC = {
    "multiclass": "SparseCategoricalAccuracy",
    "binary": "BinaryAccuracy",
    "regression": "MeanAbsoluteError",
}


def build_optimized_eval_config(config: PipelineConfig, max_drop: float) -> tfma.EvalConfig:
    """TFMA's verdict on an optimized SavedModel against the original (the baseline model):
    accuracy may fall by at most ``max_drop`` points (regression: MAE may rise by at most
    ``max_drop`` percent). Overall only: the optimization gate is about the model, the
    Evaluator of the original already judged the slices."""
    task = config.label.resolved_task
    name = _QUALITY_METRIC[task]
    if task == "regression":
        change = tfma.GenericChangeThreshold(direction=tfma.MetricDirection.LOWER_IS_BETTER)
        change.relative.value = max_drop / 100.0
    else:
        change = tfma.GenericChangeThreshold(direction=tfma.MetricDirection.HIGHER_IS_BETTER)
        change.absolute.value = -max_drop / 100.0 - 1e-9  # "no worse than" needs a margin
    metric = tfma.MetricConfig(
        class_name=name, threshold=tfma.MetricThreshold(change_threshold=change)
    )
    base = build_eval_config(config)
    return tfma.EvalConfig(
        model_specs=base.model_specs,
        slicing_specs=[tfma.SlicingSpec()],
        metrics_specs=[
            tfma.MetricsSpec(
                metrics=[metric, tfma.MetricConfig(class_name="ExampleCount")],
                example_weights=tfma.ExampleWeightOptions(weighted=True, unweighted=False),
            )
        ],
    )


def fairness_metrics(decision_threshold: float, already: list[str]) -> list[tfma.MetricConfig]:
    """The confusion matrix at the decision threshold, per slice (every rate the fairness gate
    compares derives from it), and the slice sizes."""
    extra = [
        tfma.MetricConfig(
            class_name="ConfusionMatrixAtThresholds",
            config=json.dumps({"thresholds": [decision_threshold]}),
        )
    ]
    if "ExampleCount" not in already:
        extra.append(tfma.MetricConfig(class_name="ExampleCount"))
    return extra


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


def _slice_name(slice_key: Any) -> str:
    parts = [
        f"{c.column}={c.bytes_value.decode() if c.HasField('bytes_value') else c.float_value}"
        if c.HasField("bytes_value") or c.HasField("float_value")
        else f"{c.column}={c.int64_value}"
        for c in slice_key.single_slice_keys
    ]
    return ", ".join(parts) or "overall"


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


def _judgement(evaluation_uri: str) -> dict[str, Any]:
    """The verdict tfxkit's Evaluator wrote (``components/evaluator/executor.py``), if any."""
    path = Path(evaluation_uri) / JUDGEMENT_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def read_outcome(evaluation_uri: str) -> dict[str, Any]:
    """Headline (overall) metrics and every failed bound of one Evaluator output, for people.

    ``{"metrics": {name: value}, "failures": ["<metric> on <slice>: <value> below ..."],
    "too_small": ["<slice> (<n> examples): <metrics> not judged, under min_slice_size <m>"],
    "per_class": {class id: {"examples", "precision", "recall"}}}`` (multiclass only)
    """
    metrics: dict[str, float] = {}
    per_class: dict[int, dict[str, float | None]] = {}
    for per_slice in tfma.load_metrics(evaluation_uri):
        if per_slice.slice_key.single_slice_keys:
            continue
        per_class = per_class_metrics(per_slice)
        for item in per_slice.metric_keys_and_values:
            if item.key.model_name == "baseline":  # with a baseline, TFMA reports both models
                continue
            if item.value.HasField("double_value") and not item.key.is_diff:
                metrics[item.key.name] = round(item.value.double_value.value, 4)
    failures = []
    result = tfma.load_validation_result(evaluation_uri)
    if result.missing_thresholds:
        failures.append(
            "no thresholds are configured: TFX's Evaluator blesses only a model that passes at "
            "least one; add evaluation.thresholds (e.g. RootMeanSquaredError: {upper_bound: "
            "<the label's standard deviation>} for regression)"
        )
    judgement = _judgement(evaluation_uri)
    excused = {entry["slice"] for entry in judgement.get("too_small", [])}
    too_small = [
        f"{e['slice']} ({e['examples'] or 0:g} examples): {', '.join(e['metrics'])} not judged, "
        f"under evaluation.min_slice_size {judgement['min_slice_size']}"
        for e in judgement.get("too_small", [])
    ]
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
    return {
        "metrics": metrics,
        "failures": failures,
        "too_small": too_small,
        "per_class": per_class,
    }


def read_optimization(blessing_uri: str) -> dict[str, Any]:
    """An optimization component's report (``components/model_optimizer``: optimization.json)."""
    path = Path(blessing_uri) / "optimization.json"
    return json.loads(path.read_text()) if path.is_file() else {"kind": "?", "gate": {}}


def read_fairness(blessing_uri: str) -> dict[str, Any] | None:
    """The fairness gate's verdict (per-slice rates, gaps, decision), if this blessing is one."""
    path = Path(blessing_uri) / FAIRNESS_FILE
    return json.loads(path.read_text()) if path.is_file() else None
