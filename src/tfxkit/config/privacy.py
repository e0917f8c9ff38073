"""``training.privacy``: DP-SGD settings (``tfxkit.training.privacy``), checked before training.

Why its own module: the rules that make a DP run meaningful (noise needs a clip, microbatches
split the batch evenly, a finite epsilon needs noise) are refused here, at config load, so a run
never trains for minutes and then fails its privacy gate for a setting that could never pass.
Like every config module, it imports no TensorFlow.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from tfxkit.config.base import Strict
from tfxkit.config.types import NonNegativeFloat, OpenFraction, PositiveFloat, PositiveInt


class PrivacyConfig(Strict):
    """Differentially private SGD: clip each microbatch's gradient, add Gaussian noise."""

    noise_multiplier: NonNegativeFloat = Field(
        description="Noise standard deviation as a multiple of l2_norm_clip (0: clipping only, "
        "no privacy guarantee)."
    )
    l2_norm_clip: PositiveFloat | None = Field(
        default=None, description="L2 bound each microbatch's gradient is clipped to."
    )
    microbatches: PositiveInt | None = Field(
        default=None,
        description="Microbatches per batch (each clipped on its own); unset: one per example. "
        "Must divide training.batch_size.",
    )
    target_epsilon: PositiveFloat | None = Field(
        default=None,
        description="The push gate refuses a model whose epsilon (at delta) exceeds this.",
    )
    delta: OpenFraction = Field(
        default=1e-5, description="The delta epsilon is reported at (below 1/training rows)."
    )
    membership_examples: PositiveInt = Field(
        default=512,
        description="Train and eval examples each for the loss-threshold membership attack.",
    )

    @model_validator(mode="after")
    def _meaningful(self) -> PrivacyConfig:
        if self.noise_multiplier > 0 and self.l2_norm_clip is None:
            raise ValueError(
                "noise_multiplier needs l2_norm_clip: the noise is noise_multiplier x "
                "l2_norm_clip, and without a clip a gradient's influence is unbounded"
            )
        if self.target_epsilon is not None and self.noise_multiplier == 0:
            raise ValueError(
                f"target_epsilon {self.target_epsilon} cannot be met: with noise_multiplier 0 "
                "epsilon is infinite; set noise_multiplier > 0 or remove target_epsilon"
            )
        return self

    def check_batch(self, batch_size: int) -> None:
        """Microbatches must split ``batch_size`` evenly (TrainingConfig calls this)."""
        if self.microbatches is not None and batch_size % self.microbatches:
            raise ValueError(
                f"training.privacy.microbatches {self.microbatches} does not divide "
                f"training.batch_size {batch_size}"
            )
