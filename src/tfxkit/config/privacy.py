"""``training.privacy``: DP-SGD settings (``tfxkit.training.privacy``), checked before training.

Why its own module: the rules that make a DP run meaningful (noise needs a clip, microbatches
split the batch evenly, a finite epsilon needs noise, no optimization that learns from the
training data again) are refused here, at config load, so a run never trains for minutes and
then fails its privacy gate for a setting that could never pass. Like every config module, it
imports no TensorFlow.

``target_epsilon`` is the privacy gate's bound, not a training setting: the Trainer's
custom_config leaves it out (``trainer_view``), so changing the bound re-judges the trained
model instead of retraining it.
"""

from __future__ import annotations

from typing import Any

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


def trainer_view(training: dict[str, Any]) -> dict[str, Any]:
    """``training`` (its JSON dump) as the Trainer's custom_config holds it: without
    ``privacy.target_epsilon``. The bound is the privacy gate's to apply; in the Trainer's cache
    key it would retrain a model, with fresh noise, only because the push bound changed."""
    privacy = training.get("privacy")
    if not privacy or "target_epsilon" not in privacy:
        return training
    kept = {k: v for k, v in privacy.items() if k != "target_epsilon"}
    return {**training, "privacy": kept}


def optimization_problem(privacy: PrivacyConfig | None, optimize: Any) -> str | None:
    """Why ``optimize`` would push a model its epsilon does not cover, or None.

    Epsilon bounds what DP-SGD's noisy steps reveal about the training rows; what is computed
    from the trained model alone (dynamic-range or float16 quantization) keeps it. Pruning's
    fine-tuning, a distilled student's training, quantization-aware fine-tuning and int8's
    calibration read the training rows again without clipping or noise, so the model they
    produce carries no guarantee at all (``optimize`` is ``config.optimize``: typed loosely, the
    optimize section imports this module)."""
    if privacy is None or optimize is None:
        return None
    quantize = optimize.quantize
    uses = [f"optimize.{kind}" for kind in ("prune", "distill") if getattr(optimize, kind)]
    if quantize is not None and quantize.aware_training_steps:
        uses.append(f"optimize.quantize.aware_training_steps {quantize.aware_training_steps}")
    if quantize is not None and quantize.mode == "int8":
        uses.append("optimize.quantize: int8 (calibrated on training rows)")
    if not uses:
        return None
    return (
        f"{', '.join(uses)} cannot be combined with training.privacy: they learn from the "
        "training rows again without DP-SGD's clipping and noise, so the model pushed would not "
        "carry the epsilon the privacy gate checks; leave them out, or quantize with mode "
        "dynamic or float16 (computed from the private model alone, so its epsilon still holds)"
    )
