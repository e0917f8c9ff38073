"""Typed pipeline configuration: one YAML file describes a whole pipeline.

Why a schema: a typo in a YAML key or a bad value should stop the run before any component
starts, with one message that names the file and the key path, not surface as a TFX
traceback twenty minutes later. This module never imports TFX, runners or TensorFlow
(strict layering: config is the bottom layer).

``PipelineConfig`` is the root; its sections live in their own modules and are re-exported
here (the config API is this one module). Single values are checked by their types
(``config.types``); the validators below relate sections to each other (names, metrics,
columns). Loading and error messages: ``config.loading``.

Relative paths in a config are resolved against the current working directory, like any CLI
argument. Defaults put everything a local run writes under ``workspace/<name>/``.

Just over 400 lines since the monitoring, explain and model-card sections joined: the
cross-section validators below are the module's reason to exist and read best together. The
next split moves the task checks (metrics against the label's task, blessing rules) into
``config/task_checks.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, model_validator

from tfxkit.config.base import Strict, repeated
from tfxkit.config.batch import BatchConfig
from tfxkit.config.evaluation import (
    DEFAULT_METRICS,
    EvaluationConfig,
    Threshold,
    blessing_rule_problem,
)
from tfxkit.config.explain import ExplainConfig, explain_problem
from tfxkit.config.fairness import FairnessConfig, FairnessMetric, GapBound
from tfxkit.config.features import text_inputs_problem
from tfxkit.config.loading import (
    apply_overrides,
    format_validation_error,
    load_model,
    read_yaml_mapping,
    validate_model,
)
from tfxkit.config.model_card import ModelCardConfig
from tfxkit.config.monitoring import MonitoringConfig
from tfxkit.config.privacy import optimization_problem
from tfxkit.config.runtime import (
    BeamConfig,
    BeamMode,
    MetadataConfig,
    MysqlConfig,
    RunnerConfig,
    SqliteConfig,
)
from tfxkit.config.sections import (
    DEFAULT_MISSING_VALUES,
    IMAGE_KEYS,
    CrossConfig,
    CsvDialect,
    DataConfig,
    DataFormat,
    FeatureConfig,
    FeatureType,
    ImagesConfig,
    Imputation,
    LabelConfig,
    MissingConfig,
    SchemaConfig,
    Task,
    TransformKind,
    ValidationConfig,
    column_key,
)
from tfxkit.config.serving import BatchingSettings, PushConfig
from tfxkit.config.training import (
    VISION_MODELS,
    Accelerator,
    ModelConfig,
    ModelKind,
    OptimizeConfig,
    Optimizer,
    SearchSpace,
    Strategy,
    TrainingConfig,
    TransformConfig,
    TuningConfig,
)
from tfxkit.config.types import PipelineName
from tfxkit.errors import ConfigError


class PipelineConfig(Strict):
    """The root of a pipeline YAML file."""

    name: PipelineName = Field(
        description="Pipeline name: the run directory, ML Metadata context and remote name."
    )
    workspace: str = Field(default="workspace", description="Root for local run outputs.")
    pipeline_root: str | None = Field(
        default=None, description="Artifact root; default workspace/<name>/pipeline_root."
    )
    data: DataConfig = Field(description="Where the examples come from and how they split.")
    schema_: SchemaConfig = Field(
        default_factory=SchemaConfig,
        alias="schema",
        description="Inferred or curated schema of the data.",
    )
    validation: ValidationConfig = Field(
        default_factory=ValidationConfig,
        description="What anomalies, drift and skew in the data do to a run.",
    )
    features: list[FeatureConfig] = Field(
        default_factory=list,
        description="The input columns and their transforms (at least one; none for format "
        "images, whose input is the image itself).",
    )
    crosses: list[CrossConfig] = Field(
        default_factory=list, description="Feature crosses, each hashed to ids (one-hot)."
    )
    label: LabelConfig = Field(description="What the model predicts, and so the task.")
    transform: TransformConfig = Field(
        default_factory=TransformConfig, description="Hooks into TF Transform."
    )
    model: ModelConfig = Field(default_factory=ModelConfig, description="The Keras model.")
    training: TrainingConfig = Field(
        default_factory=TrainingConfig, description="Steps, batches and tf.distribute strategy."
    )
    tuning: TuningConfig | None = Field(
        default=None, description="Hyperparameter search before training."
    )
    optimize: OptimizeConfig | None = Field(
        default=None, description="Quantize / prune / distill the trained model, gated."
    )
    evaluation: EvaluationConfig = Field(
        default_factory=EvaluationConfig, description="Metrics, thresholds and slices."
    )
    fairness: FairnessConfig | None = Field(
        default=None, description="Gate on rate gaps between sensitive slices (binary tasks)."
    )
    explain: ExplainConfig | None = Field(
        default=None, description="Feature attributions on the eval split (responsible-ai.md)."
    )
    model_card: ModelCardConfig | None = Field(
        default=None, description="Intended use, limitations, owners: on the model card."
    )
    push: PushConfig = Field(
        default_factory=PushConfig, description="Where a blessed model is pushed for serving."
    )
    batch: BatchConfig | None = Field(default=None, description="Score a batch after the push.")
    monitoring: MonitoringConfig = Field(
        default_factory=MonitoringConfig,
        description="Request logging, tfxkit monitor and its alerts (docs/monitoring.md).",
    )
    runner: RunnerConfig = Field(default_factory=RunnerConfig, description="Local run settings.")
    metadata: MetadataConfig = Field(
        default_factory=MetadataConfig, description="The ML Metadata store."
    )

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        use_enum_values=True,
        validate_default=True,
        populate_by_name=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _images_learn_with_a_cnn(cls, data: object) -> object:
        """An image config without model.type trains a cnn (a dnn has no image input)."""
        if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
            return data
        model = data.get("model") or {}
        if data["data"].get("format") == "images" and isinstance(model, dict):
            data = {**data, "model": {"type": "cnn", **model}}
        return data

    @model_validator(mode="after")
    def _inputs_fit_format(self) -> PipelineConfig:
        vision = self.model.type in VISION_MODELS
        if self.data.format != DataFormat.IMAGES:
            if not self.features:
                raise ValueError("features: list at least one input column")
            if vision or self.training.augment:
                setting = f"model.type: {self.model.type}" if vision else "training.augment"
                raise ValueError(f"{setting} applies to images (data.format: images)")
            return self
        if not vision:
            raise ValueError(
                f"model.type: {self.model.type} learns from table columns; images are learned "
                f"by {' or '.join(VISION_MODELS)} (leave type out for a cnn)"
            )
        for section in ("fairness", "batch"):  # not for images yet (docs/images.md)
            if getattr(self, section) is not None:
                raise ValueError(
                    f"{section}: not supported for images yet (data.format: images); leave the "
                    f"{section} section out"
                )
        # Images are optimized by the TFLite quantizer only: pruning and distillation rebuild
        # the model's dense layers and know no conv blocks or augmentation layer.
        for kind in ("prune", "distill"):
            if self.optimize is not None and getattr(self.optimize, kind) is not None:
                raise ValueError(
                    f"optimize.{kind}: not supported for images yet (data.format: images); "
                    "optimize.quantize is"
                )
        # Images are ingested as the keys below (components/image_example_gen); tabular
        # features, derived labels and per-feature rules have no column to apply to.
        if self.features or self.crosses:
            raise ValueError(
                "data.format: images: the input is the image (feature 'image'); leave "
                "features and crosses out"
            )
        label = self.label
        if label.derive or label.type != FeatureType.STRING:
            raise ValueError("label: images are labelled by their folder name (a string)")
        if column_key(label.name) in IMAGE_KEYS:
            raise ValueError(f"label.name: '{label.name}' is an image feature; call it 'label'")
        return self

    @model_validator(mode="after")
    def _names_consistent(self) -> PipelineConfig:
        names = [f.name for f in self.features]
        if twice := repeated(names):
            raise ValueError(f"features listed twice: {twice}")
        if self.label.name in names:
            raise ValueError(f"label '{self.label.name}' must not also be a feature")
        keys: dict[str, str] = {}
        for name in [*names, self.label.name]:
            other = keys.setdefault(column_key(name), name)
            if other != name:
                raise ValueError(
                    f"columns '{other}' and '{name}' both become the feature key "
                    f"'{column_key(name)}' (characters TensorFlow refuses become '_'); "
                    "rename one column (data.csv.column_names) or leave one out"
                )
        return self

    @model_validator(mode="after")
    def _metrics_computed(self) -> PipelineConfig:
        task = self.label.resolved_task
        metrics = self.evaluation.resolved_metrics(task)
        other = "regression" if task != "regression" else "binary"
        foreign = sorted(set(metrics) & set(DEFAULT_METRICS[other]) - {"ExampleCount"})
        if task != "regression":
            foreign = sorted(set(foreign) - set(DEFAULT_METRICS[task]))
        if foreign:  # issue 22: regression bounds on a derived binary label blessed a model
            raise ValueError(
                f"evaluation.metrics {foreign} are {other} metrics, but the label is a {task} "
                f"task ({_task_origin(self.label)}); use {task} metrics, e.g. "
                f"{list(DEFAULT_METRICS[task][:3])}"
            )
        unknown = sorted(set(self.evaluation.thresholds) - set(metrics))
        if unknown:
            hint = ""
            if task == "multiclass" and set(unknown) <= set(DEFAULT_METRICS["binary"]):
                hint = (  # issue 22 #9: a yes/no string label is multiclass unless told
                    f"; {unknown} are binary metrics: for a label with two values set "
                    "label.task: binary (and label.positive: the value that is class 1)"
                )
            raise ValueError(
                f"evaluation.thresholds name metrics not computed for a {task} task: "
                f"{unknown} (metrics: {metrics}){hint}"
            )
        if problem := blessing_rule_problem(self.evaluation, task):  # issue 28: rules explicit
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _columns_known(self) -> PipelineConfig:
        names = [f.name for f in self.features]
        columns = set(names) | {self.label.name}
        split_column = self.data.split_column
        if split_column and split_column == self.label.name:
            raise ValueError("data.split_column: splitting by the label would leak it; pick an id")
        if self.validation.skew and not self.validation.serving_data:
            raise ValueError("validation.skew needs validation.serving_data (the logged requests)")
        unknown_drift = sorted((set(self.validation.drift) | set(self.validation.skew)) - columns)
        if unknown_drift:
            raise ValueError(
                f"validation.drift/skew: {unknown_drift} are not configured features or the label"
            )
        if self.fairness and self.label.resolved_task != "binary":
            raise ValueError(
                f"fairness: compares binary decisions across slices, but label "
                f"'{self.label.name}' is a {self.label.resolved_task} task"
            )
        if self.fairness and self.label.name in self.fairness.sensitive_features:
            raise ValueError("fairness.sensitive_features: the label cannot be a sensitive slice")
        for cross in self.crosses:
            unknown_cross = sorted(set(cross.features) - set(names))
            if unknown_cross or repeated(cross.features):
                raise ValueError(
                    f"crosses: {cross.features} must name distinct configured features"
                    + (f" ({unknown_cross} are not)" if unknown_cross else "")
                )
        images = self.data.format == DataFormat.IMAGES  # sliced per class: by the label
        for sl in self.evaluation.slices:
            for col in sl:
                if col not in names and not (images and col == self.label.name):
                    what = "the label" if images else "a configured feature"
                    raise ValueError(f"evaluation.slices: '{col}' is not {what}")
        return self

    @model_validator(mode="after")
    def _text_inputs(self) -> PipelineConfig:
        if problem := text_inputs_problem(self):  # text models, text folders: config.features
            raise ValueError(problem)
        if problem := explain_problem(self.explain, [f.name for f in self.features]):
            raise ValueError(problem)
        if problem := optimization_problem(self.training.privacy, self.optimize):  # issue 26
            raise ValueError(problem)
        return self

    # Derived locations: one place decides where a local run writes.
    @property
    def run_dir(self) -> Path:
        return Path(self.workspace) / self.name

    @property
    def resolved_pipeline_root(self) -> str:
        return self.pipeline_root or str(self.run_dir / "pipeline_root")

    @property
    def resolved_serving_base(self) -> str:
        """The base one model server watches; several pipelines may push to the same one."""
        return self.push.destination or str(Path(self.workspace) / "serving")

    @property
    def resolved_model_name(self) -> str:
        return self.push.model_name or self.name

    @property
    def resolved_push_destination(self) -> str:
        """Where this pipeline's versions go: ``<base>/<model_name>``."""
        return os.path.join(self.resolved_serving_base, self.resolved_model_name)

    @property
    def resolved_sqlite_path(self) -> str:
        if self.metadata.sqlite:
            return self.metadata.sqlite.path
        return str(self.run_dir / "metadata.sqlite")


def load_config(path: str | os.PathLike[str], overrides: list[str] | None = None) -> PipelineConfig:
    """Read, override and validate a pipeline YAML; raise ConfigError with one clear message."""
    return load_model(PipelineConfig, path, "pipeline config", overrides)


def validate_config(data: dict[str, Any], source: str = "<dict>") -> PipelineConfig:
    return validate_model(PipelineConfig, data, source, "pipeline config")


def config_as_dict(config: PipelineConfig) -> dict[str, Any]:
    """JSON-safe dict of the resolved config, with the YAML's own key names."""
    return config.model_dump(mode="json", by_alias=True)


__all__ = [
    "Accelerator",
    "BatchingSettings",
    "BeamConfig",
    "BeamMode",
    "ConfigError",
    "CrossConfig",
    "CsvDialect",
    "DEFAULT_METRICS",
    "DEFAULT_MISSING_VALUES",
    "DataConfig",
    "DataFormat",
    "EvaluationConfig",
    "FairnessConfig",
    "FairnessMetric",
    "FeatureConfig",
    "FeatureType",
    "GapBound",
    "IMAGE_KEYS",
    "ImagesConfig",
    "Imputation",
    "LabelConfig",
    "MetadataConfig",
    "MissingConfig",
    "ModelConfig",
    "ModelKind",
    "MysqlConfig",
    "OptimizeConfig",
    "Optimizer",
    "PipelineConfig",
    "PushConfig",
    "RunnerConfig",
    "SchemaConfig",
    "SearchSpace",
    "SqliteConfig",
    "Strategy",
    "Strict",
    "Task",
    "Threshold",
    "TrainingConfig",
    "TransformConfig",
    "TransformKind",
    "TuningConfig",
    "ValidationConfig",
    "apply_overrides",
    "column_key",
    "config_as_dict",
    "format_validation_error",
    "load_config",
    "read_yaml_mapping",
    "validate_config",
]


def _task_origin(label: Any) -> str:
    """Why the label has its task, for an error message."""
    if label.task:
        return f"label.task: {label.task}"
    if label.derive:
        return "a derived label is binary"
    return "inferred from the label's type"
