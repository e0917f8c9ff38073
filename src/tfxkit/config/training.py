"""Config sections for how the model is built and trained: the model, Transform hooks,
tf.distribute strategies, tuning and training settings.

Split from ``config.pipeline_config`` to keep each module under ~500
lines; like it, this module never imports TFX, runners or TensorFlow.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from tfxkit.config.sections import Strict


class ModelKind(str, Enum):
    DNN = "dnn"  # every input through the hidden layers
    WIDE_AND_DEEP = "wide_and_deep"  # + a linear part over the one-hot ids and crosses


class Optimizer(str, Enum):
    ADAM = "adam"
    SGD = "sgd"
    RMSPROP = "rmsprop"
    ADAGRAD = "adagrad"


class ModelConfig(Strict):
    type: ModelKind = ModelKind.DNN
    hidden_units: list[Annotated[int, Field(gt=0)]] = Field(default_factory=lambda: [16, 8])
    learning_rate: float = Field(default=0.01, gt=0)
    dropout: float = Field(default=0.0, ge=0, lt=1)
    optimizer: Optimizer = Optimizer.ADAM
    embedding_dim: int | None = Field(
        default=None,
        ge=1,
        le=512,
        description="Categorical ids enter the hidden layers as learned embeddings of this "
        "size (default: one-hot).",
    )


class Strategy(str, Enum):
    """tf.distribute strategies the trainer can build from config."""

    DEFAULT = "default"
    ONE_DEVICE = "one_device"
    MIRRORED = "mirrored"
    MULTI_WORKER_MIRRORED = "multi_worker_mirrored"
    PARAMETER_SERVER = "parameter_server"
    TPU = "tpu"


class Accelerator(str, Enum):
    AUTO = "auto"  # GPUs when TensorFlow sees any, else the CPU
    CPU = "cpu"
    GPU = "gpu"  # fail before training when there is none


class TransformConfig(Strict):
    preprocessing_fn: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][\w.]*\.[A-Za-z_]\w*$",
        description="Your own Transform preprocessing_fn(inputs, custom_config) "
        "('package.module.function'); call tfxkit.transform.preprocessing.preprocessing_fn "
        "inside it to keep the config-driven part.",
    )
    statistics: bool = Field(
        default=False,
        description="Also compute Transform's pre- and post-transform statistics (TFDV, two more "
        "passes over the data). Off: StatisticsGen's already cover the raw data, and nothing in "
        "tfxkit reads them.",
    )


class SearchSpace(Strict):
    """Candidate values per model setting; each trial picks one of each (unset: the model's)."""

    hidden_units: list[list[Annotated[int, Field(gt=0)]]] | None = Field(default=None, min_length=1)
    learning_rate: list[Annotated[float, Field(gt=0)]] | None = Field(default=None, min_length=1)
    dropout: list[Annotated[float, Field(ge=0, lt=1)]] | None = Field(default=None, min_length=1)
    embedding_dim: list[Annotated[int, Field(ge=1)]] | None = Field(default=None, min_length=1)


class TuningConfig(Strict):
    """Hyperparameter search with TFX's Tuner before training (random search, KerasTuner's
    oracle); the Trainer trains with the best values, which ML Metadata records."""

    search_space: SearchSpace
    max_trials: int = Field(default=4, ge=1, le=200)
    train_steps: int = Field(default=100, gt=0, description="Training steps of each trial.")

    @model_validator(mode="after")
    def _something_to_search(self) -> TuningConfig:
        if not self.search_space.model_dump(exclude_none=True):
            raise ValueError("search_space: name at least one setting to search")
        return self


class TrainingConfig(Strict):
    epochs: int = Field(default=1, gt=0)
    batch_size: int = Field(
        default=32, gt=0, description="Per replica; the global batch is this x replicas."
    )
    train_steps: int = Field(default=200, gt=0, description="Total training steps over all epochs.")
    eval_steps: int = Field(default=20, gt=0)
    strategy: Strategy = Strategy.DEFAULT
    early_stopping_patience: int | None = Field(
        default=None,
        ge=1,
        description="Stop after this many epochs without a lower validation loss, keeping the "
        "best weights (needs epochs > 1).",
    )
    warm_start: bool = Field(
        default=False,
        description="Start from the weights of the newest model every gate blessed (when its "
        "layers match); the trainer then re-runs on every run, as continuous training does.",
    )
    run_fn: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][\w.]*\.[A-Za-z_]\w*$",
        description="Your own Trainer run_fn ('package.module.function'), importable where the "
        "trainer runs; it may call tfxkit.training.keras_trainer's build_model and friends.",
    )
    accelerator: Accelerator = Accelerator.AUTO
    cpu_devices: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Local runs: split the CPU into this many logical devices, so 'mirrored' "
        "runs that many replicas without a GPU (for trying a strategy, not for speed).",
    )
    seed: int = 42

    @model_validator(mode="after")
    def _early_stopping_has_epochs(self) -> TrainingConfig:
        if self.early_stopping_patience and self.epochs < 2:
            raise ValueError(
                "early_stopping_patience stops between epochs; set epochs to 2 or more "
                "(train_steps are spread over them)"
            )
        return self


class QuantizeSettings(Strict):
    """Post-training quantization to TFLite (``optimize.quantize: int8`` is shorthand)."""

    mode: Literal["dynamic", "float16", "int8"]
    representative_examples: int = Field(
        default=200, ge=1, description="int8: transformed training rows used to calibrate."
    )
    max_prediction_diff: float | None = Field(
        default=0.1,
        gt=0,
        description="Gate: the largest |TFLite - original| output on any eval row (a "
        "probability, or label units for regression); None skips it.",
    )
    aware_training_steps: int = Field(
        default=0,
        ge=0,
        description="Quantization-aware training: fine-tune this many steps with fake-quant "
        "ops before converting (0: post-training quantization only).",
    )
    after_pruning: bool = Field(
        default=False,
        description="Quantize the pruned model (needs prune) instead of the trained one; still "
        "measured and gated against the trained model.",
    )


class PruneSettings(Strict):
    sparsity: float = Field(gt=0, lt=1, description="Share of kernel weights set to zero.")
    schedule: Literal["polynomial", "constant"] = "polynomial"
    steps: int = Field(default=200, ge=1, description="Fine-tuning steps while pruning.")


class DistillSettings(Strict):
    hidden_units: list[int] | None = Field(
        default=None, description="The student's hidden layers; default the teacher's / 2."
    )
    temperature: float = Field(default=4.0, gt=0)
    alpha: float = Field(default=0.3, ge=0, le=1, description="Weight of the hard-label loss.")
    steps: int = Field(default=300, ge=1)


class OptimizeGate(Strict):
    """Only an optimized model within these bounds (measured against the original) is pushed."""

    max_accuracy_drop: float = Field(
        default=1.0, ge=0, description="Points of accuracy (or % more MAE) it may lose."
    )
    min_speedup: float | None = Field(default=None, gt=0, description="Batch-1 p50 latency.")
    max_size_ratio: float | None = Field(default=None, gt=0, description="gzip size ratio.")


class OptimizeConfig(Strict):
    """Independent optimizations of the trained model, each its own node, report and gate."""

    quantize: QuantizeSettings | None = None
    prune: PruneSettings | None = None
    distill: DistillSettings | None = None
    gate: OptimizeGate = Field(default_factory=OptimizeGate)
    tflite_destination: str | None = Field(
        default=None,
        description="Where passing TFLite models go; default: tflite/ next to the serving base.",
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("quantize"), str):
            data = {**data, "quantize": {"mode": data["quantize"]}}
        return data

    @model_validator(mode="after")
    def _something(self) -> OptimizeConfig:
        if not (self.quantize or self.prune or self.distill):
            raise ValueError("optimize: name at least one of quantize, prune or distill")
        if self.quantize and self.quantize.after_pruning and not self.prune:
            raise ValueError("optimize.quantize.after_pruning needs a prune section")
        return self
