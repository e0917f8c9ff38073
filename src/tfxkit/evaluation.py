"""TFMA ``EvalConfig`` from the config's ``evaluation`` section.

Why here: blessing is the gate before any push, so its metrics, thresholds and slices live in
config (reviewable, diffable) rather than in pipeline code. Change thresholds compare against
the last blessed model; on a pipeline's first run there is no baseline and TFX drops them, so
only absolute bounds apply.
"""

from __future__ import annotations

import tensorflow_model_analysis as tfma

from tfxkit import features as F
from tfxkit.config import PipelineConfig, Threshold

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


def build_eval_config(config: PipelineConfig) -> tfma.EvalConfig:
    evaluation = config.evaluation
    metrics = []
    for name in evaluation.metrics:
        metric = tfma.MetricConfig(class_name=name)
        if name in evaluation.thresholds:
            metric.threshold.CopyFrom(_metric_threshold(evaluation.thresholds[name]))
        metrics.append(metric)
    return tfma.EvalConfig(
        model_specs=[
            tfma.ModelSpec(
                signature_name=F.EXAMPLES_SIGNATURE,
                label_key=F.transformed_name(config.label.name),
                preprocessing_function_names=[F.TRANSFORM_SIGNATURE],
            )
        ],
        slicing_specs=[tfma.SlicingSpec()]
        + [tfma.SlicingSpec(feature_keys=list(keys)) for keys in evaluation.slices],
        metrics_specs=[tfma.MetricsSpec(metrics=metrics)],
    )
