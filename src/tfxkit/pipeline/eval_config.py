"""TFMA ``EvalConfig`` from the config's ``evaluation`` section.

Why here: blessing is the gate before any push, so its metrics, thresholds and slices live in
config (reviewable, diffable) rather than in pipeline code. Change thresholds compare against
the last blessed model; on a pipeline's first run there is no baseline and TFX drops them, so
only absolute bounds apply. Slices by a text feature's length read a Transform output
(``evaluation.text_length_slices``): TFMA slices on the transformed features as on the raw
ones, because the transform signature is the model spec's preprocessing function.
"""

from __future__ import annotations

import json

import tensorflow_model_analysis as tfma

from tfxkit.config import features as F
from tfxkit.config.evaluation import length_slice_key
from tfxkit.config.pipeline_config import PipelineConfig, Threshold
from tfxkit.errors import ConfigError

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
    for name in evaluation.text_length_slices:  # a Transform output (transform.text)
        key = length_slice_key(F.column_key(name))
        slicing_specs.append(tfma.SlicingSpec(feature_keys=[key]))
    if task == "multiclass" and evaluation.per_class:  # components/evaluator reads it (per class)
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
