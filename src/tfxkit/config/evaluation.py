"""Config of the evaluation gate: the metrics TFMA computes, their thresholds and slices.

Split from ``config.pipeline_config``. ``DEFAULT_METRICS`` is the one list of each task's
metrics: the config default, and what ``tfxkit init`` writes into a draft.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictFloat, model_validator

from tfxkit.config.base import Strict, require_one_of
from tfxkit.config.types import NonNegativeInt, PositiveInt

DEFAULT_METRICS = {
    "multiclass": ("SparseCategoricalAccuracy", "ExampleCount"),
    # Calibration: mean prediction / mean label (1.0 = calibrated); precision and recall at 0.5.
    "binary": ("BinaryAccuracy", "AUC", "Precision", "Recall", "Calibration", "ExampleCount"),
    "regression": ("MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError", "ExampleCount"),
}


# What ``tfxkit init`` drafts and the error for a config without thresholds suggest, per task.
EXAMPLE_THRESHOLDS = {
    "multiclass": "SparseCategoricalAccuracy: {lower_bound: 0.6}",
    "binary": "AUC: {lower_bound: 0.6}",
    "regression": "RootMeanSquaredError: {upper_bound: <the label's standard deviation>}",
}


def blessing_rule_problem(evaluation: EvaluationConfig, task: str) -> str | None:
    """Why the blessing rule is not explicit (None when it is): a model is blessed by passing
    the thresholds, so none at all would push nothing, ever (TFX's Evaluator blesses only a
    model that passes one), unless ``bless: always`` says every trained model is pushed."""
    if evaluation.bless == "always" and evaluation.thresholds:
        return (
            "evaluation.bless: always blesses every model, so evaluation.thresholds "
            f"({', '.join(sorted(evaluation.thresholds))}) would judge nothing; remove them, or "
            "set bless: thresholds to push only models that pass them"
        )
    if evaluation.bless == "thresholds" and not evaluation.thresholds:
        return (
            "evaluation.thresholds is empty, so no model could ever be blessed and pushed; add "
            f"one, e.g. evaluation: {{thresholds: {{{EXAMPLE_THRESHOLDS[task]}}}}}, or push "
            "every model that trains with evaluation: {bless: always}"
        )
    return None


class Threshold(Strict):
    """A metric gate: an absolute bound and/or an improvement over the baseline model."""

    lower_bound: StrictFloat | None = Field(
        default=None, description="The metric must be at least this."
    )
    upper_bound: StrictFloat | None = Field(
        default=None, description="The metric must be at most this (errors, losses)."
    )
    min_improvement: StrictFloat | None = Field(
        default=None,
        description="Candidate must beat the last blessed model by at least this much.",
    )

    @model_validator(mode="after")
    def _something_set(self) -> Threshold:
        require_one_of(self, "lower_bound", "upper_bound", "min_improvement")
        return self


class EvaluationConfig(Strict):
    """What the Evaluator computes and which values bless a model for pushing."""

    bless: Literal["thresholds", "always"] = Field(
        default="thresholds",
        description="thresholds: bless a model only when it passes every threshold (at least "
        "one is required); always: bless every trained model (no thresholds allowed).",
    )
    metrics: list[str] | None = Field(
        default=None,
        description="TFMA / Keras metric class names; default: the task's (see DEFAULT_METRICS).",
    )
    thresholds: dict[str, Threshold] = Field(
        default_factory=dict,
        description="Metric name -> the bounds a candidate must meet to be blessed.",
    )
    slices: list[list[str]] = Field(
        default_factory=list, description="Feature crosses to slice by; [] is always added."
    )
    thresholds_on_slices: bool = Field(
        default=False,
        description="Also apply thresholds to every slice (default: the overall metrics only).",
    )
    min_slice_size: NonNegativeInt = Field(
        default=30,
        description="With thresholds_on_slices: a slice with fewer labelled examples is reported "
        "'too small to judge' instead of failing the blessing.",
    )
    text_length_slices: dict[str, list[PositiveInt]] = Field(
        default_factory=dict,
        description="Text feature -> token counts where length buckets start, e.g. {review: "
        "[16, 64]}: the Evaluator also slices by each example's length in tokens (slice "
        "'<key>_length_bucket', values '0-15', '16-63', '64+'), counted by the Transform graph "
        "with the feature's own tokenizer, before max_tokens cuts it.",
    )
    per_class: bool = Field(
        default=True,
        description="Multiclass: precision and recall of every class in the summary (from "
        "TFMA's multi-class confusion matrix).",
    )

    @model_validator(mode="after")
    def _length_bounds_ascend(self) -> EvaluationConfig:
        for name, bounds in self.text_length_slices.items():
            if not bounds or sorted(set(bounds)) != bounds:
                raise ValueError(
                    f"evaluation.text_length_slices.{name}: {bounds} must be token counts in "
                    "ascending order, each once, e.g. [16, 64] (buckets 0-15, 16-63, 64+)"
                )
        return self

    def resolved_metrics(self, task: str) -> list[str]:
        return list(self.metrics) if self.metrics is not None else list(DEFAULT_METRICS[task])


LENGTH_SLICE_SUFFIX = "_length_bucket"


def length_slice_key(feature_key: str) -> str:
    """The Transform output a text feature's length bucket is sliced by (not a model input)."""
    return f"{feature_key}{LENGTH_SLICE_SUFFIX}"


def length_bucket_names(bounds: list[int]) -> list[str]:
    """The slice values of buckets starting at ``bounds``: [16, 64] -> 0-15, 16-63, 64+."""
    starts, names = [0, *bounds], []
    for start, end in zip(starts, bounds, strict=False):
        names.append(f"{start}" if end - 1 == start else f"{start}-{end - 1}")
    return [*names, f"{starts[-1]}+"]


def length_slices_problem(evaluation: EvaluationConfig, text_keys: dict[str, str]) -> str | None:
    """Why ``text_length_slices`` does not fit the features (None when it does): each must name
    a feature with ``transform: text`` (``text_keys``: its name -> its feature key)."""
    for name in evaluation.text_length_slices:
        if name not in text_keys:
            known = ", ".join(sorted(text_keys)) or "none"
            return (
                f"evaluation.text_length_slices: '{name}' is not a feature with transform: text "
                f"(text features: {known}); lengths are counted in the tokens of a text feature"
            )
    return None
