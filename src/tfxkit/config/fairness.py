"""Config of the fairness gate: which rates may differ how much between slices of sensitive
columns (binary tasks).

Split from ``config.sections``: the gate is its own concept (a blessing condition beside the
evaluation thresholds), and like the rest of config it never imports TFX or TensorFlow.
"""

from __future__ import annotations

from enum import Enum

from pydantic import Field, StrictFloat, model_validator

from tfxkit.config.base import Strict, require_one_of
from tfxkit.config.types import Fraction, OpenFraction, PositiveInt, UniqueNames


class FairnessMetric(str, Enum):
    """Rates compared across slices, each from the confusion matrix at the decision threshold."""

    FALSE_POSITIVE_RATE = "false_positive_rate"
    FALSE_NEGATIVE_RATE = "false_negative_rate"
    TRUE_POSITIVE_RATE = "true_positive_rate"
    TRUE_NEGATIVE_RATE = "true_negative_rate"
    POSITIVE_RATE = "positive_rate"  # share predicted positive (selection rate, demographic parity)
    PRECISION = "precision"
    ACCURACY = "accuracy"


class GapBound(Strict):
    """How far a slice's rate may be from the reference slice's rate."""

    max_difference: Fraction | None = Field(
        default=None, description="|slice - reference| may be at most this."
    )
    min_ratio: StrictFloat | None = Field(
        default=None,
        gt=0,
        le=1,
        description="min(slice, reference) / max(slice, reference) must be at least this "
        "(0.8 is the four-fifths rule).",
    )

    @model_validator(mode="after")
    def _something_set(self) -> GapBound:
        require_one_of(self, "max_difference", "min_ratio")
        return self


class FairnessConfig(Strict):
    """A gate on the gaps between slices of sensitive columns (binary tasks)."""

    sensitive_features: UniqueNames = Field(
        min_length=1,
        description="Data columns to slice by (they need not be model features).",
    )
    metrics: dict[FairnessMetric, GapBound] = Field(
        min_length=1, description="Rate -> the gap allowed between a slice and its reference."
    )
    decision_threshold: OpenFraction = Field(
        default=0.5, description="Score at or above which the model says positive."
    )
    reference: dict[str, str] = Field(
        default_factory=dict,
        description="Per sensitive feature, the slice value others are compared with "
        "(e.g. {sex: Male}); default: the whole evaluation set ('overall').",
    )
    min_slice_size: PositiveInt = Field(
        default=30,
        description="A slice with fewer labelled examples is reported 'too small to judge'.",
    )
    min_rate_examples: PositiveInt = Field(
        default=20,
        description="A rate computed from fewer examples (a true positive rate from 5 "
        "positives) is reported, not judged.",
    )

    @model_validator(mode="after")
    def _references_are_sensitive(self) -> FairnessConfig:
        unknown = sorted(set(self.reference) - set(self.sensitive_features))
        if unknown:
            raise ValueError(f"reference names columns not in sensitive_features: {unknown}")
        return self
