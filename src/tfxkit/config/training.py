"""Config sections for how the model is built and trained: the model, Transform hooks,
tf.distribute strategies, tuning and training settings.

Split from ``config.pipeline_config`` to keep each module readable; like it, this module
never imports TFX, runners or TensorFlow. A search space uses the same value types as the
model settings it searches, so a candidate the model would refuse is refused up front.

Just over 400 lines since the image (cnn, mobilenet, augment) and text (model.text) settings
joined the model's: they are validated against each other in ``ModelConfig``. The next split
is those architectures' settings into ``config/architectures.py``.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, StrictFloat, StrictInt, model_serializer, model_validator

from tfxkit.config.base import Strict, require_one_of
from tfxkit.config.privacy import PrivacyConfig
from tfxkit.config.types import (
    DottedPath,
    DropoutRate,
    EmbeddingDim,
    Fraction,
    HiddenUnits,
    NonNegativeFloat,
    NonNegativeInt,
    OpenFraction,
    PositiveFloat,
    PositiveInt,
)

ConvFilters = Annotated[StrictInt, Field(ge=1, le=1024)]
WidthMultiplier = Annotated[StrictFloat, Field(gt=0, le=4)]
AugmentShare = Annotated[StrictFloat, Field(gt=0, le=0.5)]  # more would leave little image


class ModelKind(str, Enum):
    DNN = "dnn"  # every input through the hidden layers
    WIDE_AND_DEEP = "wide_and_deep"  # + a linear part over the one-hot ids and crosses
    CNN = "cnn"  # images: conv blocks (conv_filters), then the hidden layers
    MOBILENET = "mobilenet"  # images: depthwise-separable conv blocks, alpha wide
    # Text (training.text_models): how a text feature's token ids become one vector.
    TEXT_POOLING = "text_pooling"  # averaged embeddings (what dnn does with text)
    TEXT_CNN = "text_cnn"  # embeddings, a 1D convolution, max over the text
    TEXT_TRANSFORMER = "text_transformer"  # + positions, self-attention encoder blocks


# Images (training.vision): the settings only convolutional models read, and their defaults.
VISION_MODELS = (ModelKind.CNN.value, ModelKind.MOBILENET.value)
_CNN_ONLY = ("conv_filters", "kernel_size")
_MOBILENET_ONLY = ("alpha",)
VISION_HIDDEN_UNITS = [64]  # a conv net's default dense layers: [16, 8] is under 10 classes


TEXT_MODELS = (
    ModelKind.TEXT_POOLING.value,
    ModelKind.TEXT_CNN.value,
    ModelKind.TEXT_TRANSFORMER.value,
)


class TextModelSettings(Strict):
    """model.text: the text_cnn and text_transformer encoders (unset: the defaults)."""

    filters: StrictInt | None = Field(
        default=None, ge=1, le=1024, description="text_cnn: convolution filters (64)."
    )
    kernel_size: StrictInt | None = Field(
        default=None, ge=1, le=32, description="text_cnn: tokens each filter sees at once (5)."
    )
    heads: StrictInt | None = Field(
        default=None, ge=1, le=16, description="text_transformer: attention heads (2)."
    )
    blocks: StrictInt | None = Field(
        default=None, ge=1, le=8, description="text_transformer: encoder blocks (1)."
    )
    ff_dim: StrictInt | None = Field(
        default=None,
        ge=1,
        le=4096,
        description="text_transformer: units of the feed-forward layer (2 x embedding_dim).",
    )


class Optimizer(str, Enum):
    ADAM = "adam"
    SGD = "sgd"
    RMSPROP = "rmsprop"
    ADAGRAD = "adagrad"


class ModelConfig(Strict):
    """The Keras model the trainer builds from the transformed features."""

    type: ModelKind = Field(
        default=ModelKind.DNN,
        description="dnn, or wide_and_deep (adds a linear part); for images (data.format: "
        "images, the default there is cnn) cnn or mobilenet; for text features text_pooling, "
        "text_cnn or text_transformer (docs/text.md).",
    )
    hidden_units: HiddenUnits = Field(
        default_factory=lambda: [16, 8],
        description="Units of each hidden layer (cnn and mobilenet: dense layers after the "
        "conv blocks, default [64]).",
    )
    learning_rate: PositiveFloat = Field(default=0.01, description="The optimizer's step size.")
    dropout: DropoutRate = Field(default=0.0, description="Dropout after each hidden layer.")
    optimizer: Optimizer = Field(default=Optimizer.ADAM, description="Keras optimizer.")
    embedding_dim: EmbeddingDim | None = Field(
        default=None,
        description="Categorical ids enter the hidden layers as learned embeddings of this "
        "size (default: one-hot).",
    )
    conv_filters: list[ConvFilters] | None = Field(
        default=None,
        min_length=1,
        max_length=6,
        description="cnn: filters of each conv block (a 'same' convolution, ReLU, then 2x2 max "
        "pooling while the image is at least 2 pixels wide); default [32, 64].",
    )
    kernel_size: StrictInt | None = Field(
        default=None, ge=1, le=11, description="cnn: height and width of each convolution (3)."
    )
    alpha: WidthMultiplier | None = Field(
        default=None,
        description="mobilenet: width multiplier of every block's filters (1.0; 0.5 halves "
        "them), as in MobileNet.",
    )
    text: TextModelSettings | None = Field(
        default=None,
        description="text_cnn and text_transformer: the encoder's settings (filters, "
        "kernel_size; heads, blocks, ff_dim).",
    )

    @model_validator(mode="after")
    def _text_settings_fit_type(self) -> ModelConfig:
        kind = str(self.type)
        if self.text is not None and kind not in (ModelKind.TEXT_CNN, ModelKind.TEXT_TRANSFORMER):
            raise ValueError(f"model.text applies to type text_cnn or text_transformer, not {kind}")
        return self

    @model_validator(mode="before")
    @classmethod
    def _vision_defaults(cls, data: object) -> object:
        """A conv net's hidden layers default to [64], a dense net's to [16, 8]."""
        if isinstance(data, dict) and data.get("type") in VISION_MODELS:
            data = {"hidden_units": list(VISION_HIDDEN_UNITS), **data}
        return data

    @model_validator(mode="after")
    def _settings_fit_type(self) -> ModelConfig:
        kind = str(self.type)
        for names, applies in ((_CNN_ONLY, "cnn"), (_MOBILENET_ONLY, "mobilenet")):
            for name in names:
                if getattr(self, name) is not None and kind != applies:
                    raise ValueError(f"model.{name} applies to type {applies}, not {kind}")
        if self.embedding_dim is not None and kind in VISION_MODELS:
            raise ValueError(f"model.embedding_dim: a {kind} has no categorical inputs to embed")
        return self

    @model_serializer(mode="wrap")
    def _without_unused(self, handler: Any) -> dict[str, Any]:
        """Settings of the other kind of model are left out of the dump, which is the Trainer's
        custom_config: adding image settings changed no table pipeline's cache key."""
        dumped = handler(self)
        for name in (*_CNN_ONLY, *_MOBILENET_ONLY, "text"):
            if dumped.get(name) is None:
                dumped.pop(name, None)
        return dumped


class AugmentConfig(Strict):
    """Random changes to training images (Keras preprocessing layers in the model, active only
    while training: serving and evaluation see every image as it is)."""

    flip: bool = Field(default=False, description="Flip left-right at random.")
    crop: AugmentShare | None = Field(
        default=None,
        description="Zoom in by up to this share of each side and shift by up to half of it "
        "(a random crop, resized back), e.g. 0.1.",
    )
    brightness: AugmentShare | None = Field(
        default=None, description="Add up to +/- this share of full brightness, e.g. 0.1."
    )

    @model_validator(mode="after")
    def _something(self) -> AugmentConfig:
        if not self.flip and self.crop is None and self.brightness is None:
            raise ValueError("training.augment: set flip, crop or brightness")
        return self


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
    """Hooks into TF Transform beyond the per-feature transforms."""

    preprocessing_fn: DottedPath | None = Field(
        default=None,
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

    hidden_units: list[HiddenUnits] | None = Field(
        default=None, min_length=1, description="Candidate layer sizes, e.g. [[16, 8], [32]]."
    )
    learning_rate: list[PositiveFloat] | None = Field(
        default=None, min_length=1, description="Candidate learning rates."
    )
    dropout: list[DropoutRate] | None = Field(
        default=None, min_length=1, description="Candidate dropout rates."
    )
    embedding_dim: list[EmbeddingDim] | None = Field(
        default=None, min_length=1, description="Candidate embedding sizes."
    )


class TuningConfig(Strict):
    """Hyperparameter search with TFX's Tuner before training (random search, KerasTuner's
    oracle); the Trainer trains with the best values, which ML Metadata records."""

    search_space: SearchSpace = Field(description="The settings to search and their values.")
    max_trials: StrictInt = Field(default=4, ge=1, le=200, description="Models to try.")
    train_steps: PositiveInt = Field(default=100, description="Training steps of each trial.")

    @model_validator(mode="after")
    def _something_to_search(self) -> TuningConfig:
        if not self.search_space.model_dump(exclude_none=True):
            raise ValueError("search_space: name at least one setting to search")
        return self


class TrainingConfig(Strict):
    """How long and how the Trainer trains."""

    epochs: PositiveInt = Field(default=1, description="Passes the training steps split into.")
    batch_size: PositiveInt = Field(
        default=32, description="Per replica; the global batch is this x replicas."
    )
    train_steps: PositiveInt = Field(
        default=200, description="Total training steps over all epochs."
    )
    eval_steps: PositiveInt = Field(default=20, description="Batches of eval data per evaluation.")
    strategy: Strategy = Field(
        default=Strategy.DEFAULT, description="tf.distribute strategy the trainer builds."
    )
    early_stopping_patience: PositiveInt | None = Field(
        default=None,
        description="Stop after this many epochs without a lower validation loss, keeping the "
        "best weights (needs epochs > 1).",
    )
    warm_start: bool = Field(
        default=False,
        description="Start from the weights of the newest model every gate blessed (when its "
        "layers match); the trainer then re-runs on every run, as continuous training does.",
    )
    run_fn: DottedPath | None = Field(
        default=None,
        description="Your own Trainer run_fn ('package.module.function'), importable where the "
        "trainer runs; it may call tfxkit.training.keras_trainer's build_model and friends.",
    )
    accelerator: Accelerator = Field(
        default=Accelerator.AUTO,
        description="auto (GPUs when TensorFlow sees any), cpu, or gpu (fail without one).",
    )
    cpu_devices: StrictInt = Field(
        default=1,
        ge=1,
        le=64,
        description="Local runs: split the CPU into this many logical devices, so 'mirrored' "
        "runs that many replicas without a GPU (for trying a strategy, not for speed).",
    )
    seed: StrictInt = Field(default=42, description="Seeds Python, NumPy and TensorFlow.")
    augment: AugmentConfig | None = Field(
        default=None,
        description="Images: random flips, crops and brightness changes of training images "
        "(never of evaluation or serving images).",
    )
    privacy: PrivacyConfig | None = Field(
        default=None, description="Differentially private training (DP-SGD), config.privacy."
    )

    @model_serializer(mode="wrap")
    def _without_unused(self, handler: Any) -> dict[str, Any]:
        """No augment or privacy key when unset: a pipeline's cache key stays as it was."""
        dumped = handler(self)
        for key in ("augment", "privacy"):
            if dumped.get(key) is None:
                dumped.pop(key, None)
        return dumped

    @model_validator(mode="after")
    def _early_stopping_has_epochs(self) -> TrainingConfig:
        if self.early_stopping_patience and self.epochs < 2:
            raise ValueError(
                "early_stopping_patience stops between epochs; set epochs to 2 or more "
                "(train_steps are spread over them)"
            )
        if self.privacy is not None:
            self.privacy.check_batch(self.batch_size)
        return self


QuantizeMode = Literal["dynamic", "float16", "int8"]


def _mode_shorthand(schema: dict[str, Any]) -> None:
    """JSON Schema of ``optimize.quantize``: the settings, or a mode alone (the shorthand)."""
    schema["anyOf"].insert(1, {"enum": list(get_args(QuantizeMode)), "type": "string"})


class QuantizeSettings(Strict):
    """Post-training quantization to TFLite (``optimize.quantize: int8`` is shorthand)."""

    mode: QuantizeMode = Field(description="dynamic range, float16 or full int8 quantization.")
    representative_examples: PositiveInt = Field(
        default=200, description="int8: transformed training rows used to calibrate."
    )
    max_prediction_diff: PositiveFloat | None = Field(
        default=0.1,
        description="Gate: the largest |TFLite - original| output on any eval row (a "
        "probability, or label units for regression); None skips it.",
    )
    aware_training_steps: NonNegativeInt = Field(
        default=0,
        description="Quantization-aware training: fine-tune this many steps with fake-quant "
        "ops before converting (0: post-training quantization only).",
    )
    after_pruning: bool = Field(
        default=False,
        description="Quantize the pruned model (needs prune) instead of the trained one; still "
        "measured and gated against the trained model.",
    )


class PruneSettings(Strict):
    """Magnitude pruning with fine-tuning (TF Model Optimization)."""

    sparsity: OpenFraction = Field(description="Share of kernel weights set to zero.")
    schedule: Literal["polynomial", "constant"] = Field(
        default="polynomial", description="How sparsity ramps up while fine-tuning."
    )
    steps: PositiveInt = Field(default=200, description="Fine-tuning steps while pruning.")


class DistillSettings(Strict):
    """A smaller student model trained on the trained model's outputs."""

    hidden_units: HiddenUnits | None = Field(
        default=None, description="The student's hidden layers; default the teacher's / 2."
    )
    temperature: PositiveFloat = Field(default=4.0, description="Softens the teacher's outputs.")
    alpha: Fraction = Field(default=0.3, description="Weight of the hard-label loss.")
    steps: PositiveInt = Field(default=300, description="Training steps of the student.")


class OptimizeGate(Strict):
    """Only an optimized model within these bounds (measured against the original) is pushed."""

    max_accuracy_drop: NonNegativeFloat = Field(
        default=1.0, description="Points of accuracy (or % more MAE) it may lose."
    )
    min_speedup: PositiveFloat | None = Field(
        default=None, description="Batch-1 p50 latency, original / optimized, at least this."
    )
    max_size_ratio: PositiveFloat | None = Field(
        default=None, description="gzip size, optimized / original, at most this."
    )


class OptimizeConfig(Strict):
    """Independent optimizations of the trained model, each its own node, report and gate."""

    quantize: QuantizeSettings | None = Field(
        default=None,
        description="TFLite quantization; a mode alone (quantize: int8) is shorthand.",
        json_schema_extra=_mode_shorthand,
    )
    prune: PruneSettings | None = Field(default=None, description="Prune, then fine-tune.")
    distill: DistillSettings | None = Field(default=None, description="Distill to a student.")
    gate: OptimizeGate = Field(
        default_factory=OptimizeGate, description="Bounds an optimized model must meet."
    )
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
        require_one_of(self, "quantize", "prune", "distill")
        if self.quantize and self.quantize.after_pruning and not self.prune:
            raise ValueError("optimize.quantize.after_pruning needs a prune section")
        return self
