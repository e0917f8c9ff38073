"""Typed pipeline configuration: one YAML file describes a whole pipeline.

Why a schema: a typo in a YAML key or a bad value should stop the run before any component
starts, with one message that names the file and the key path, not surface as a TFX
traceback twenty minutes later. This module never imports TFX, runners or TensorFlow
(strict layering: config is the bottom layer).

Relative paths in a config are resolved against the current working directory, like any CLI
argument. Defaults put everything a local run writes under ``workspace/<name>/``.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from tfxkit.config.sections import (  # re-exported: the config API is one module
    DEFAULT_MISSING_VALUES,
    CrossConfig,
    CsvDialect,
    DataConfig,
    DataFormat,
    FairnessConfig,
    FairnessMetric,
    FeatureConfig,
    FeatureType,
    GapBound,
    Imputation,
    LabelConfig,
    MissingConfig,
    SchemaConfig,
    Strict,
    Task,
    TransformKind,
    ValidationConfig,
    column_key,
)
from tfxkit.config.serving import BatchingSettings, PushConfig  # re-exported
from tfxkit.config.training import (  # re-exported: the config API is one module
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
from tfxkit.errors import ConfigError


class Threshold(Strict):
    """A metric gate: an absolute bound and/or an improvement over the baseline model."""

    lower_bound: float | None = None
    upper_bound: float | None = None
    min_improvement: float | None = Field(
        default=None,
        description="Candidate must beat the last blessed model by at least this much.",
    )

    @model_validator(mode="after")
    def _something_set(self) -> Threshold:
        if self.lower_bound is None and self.upper_bound is None and self.min_improvement is None:
            raise ValueError("set at least one of lower_bound, upper_bound, min_improvement")
        return self


class EvaluationConfig(Strict):
    metrics: list[str] | None = Field(
        default=None,
        description="TFMA / Keras metric class names; default: the task's (see DEFAULT_METRICS).",
    )
    thresholds: dict[str, Threshold] = Field(default_factory=dict)
    slices: list[list[str]] = Field(
        default_factory=list, description="Feature crosses to slice by; [] is always added."
    )
    thresholds_on_slices: bool = Field(
        default=False,
        description="Also apply thresholds to every slice (default: the overall metrics only).",
    )
    min_slice_size: int = Field(
        default=30,
        ge=0,
        description="With thresholds_on_slices: a slice with fewer labelled examples is reported "
        "'too small to judge' instead of failing the blessing.",
    )

    per_class: bool = Field(
        default=True,
        description="Multiclass: precision and recall of every class in the summary (from "
        "TFMA's multi-class confusion matrix).",
    )

    def resolved_metrics(self, task: str) -> list[str]:
        return list(self.metrics) if self.metrics is not None else list(DEFAULT_METRICS[task])


DEFAULT_METRICS = {
    "multiclass": ("SparseCategoricalAccuracy", "ExampleCount"),
    # Calibration: mean prediction / mean label (1.0 = calibrated); precision and recall at 0.5.
    "binary": ("BinaryAccuracy", "AUC", "Precision", "Recall", "Calibration", "ExampleCount"),
    "regression": ("MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError", "ExampleCount"),
}


class BeamMode(str, Enum):
    AUTO = "auto"
    IN_MEMORY = "in_memory"
    MULTI_THREADING = "multi_threading"
    MULTI_PROCESSING = "multi_processing"


class BeamConfig(Strict):
    mode: BeamMode = Field(
        default=BeamMode.AUTO,
        description="auto picks in_memory, multi_threading or multi_processing from the input "
        "rows, cores and memory (tfxkit.runners.beam_settings) and says why in the run output.",
    )
    workers: int | None = Field(
        default=None,
        ge=0,
        description="direct_num_workers; 0 means one per CPU core; unset: chosen with the mode.",
    )
    extra_args: list[str] = Field(default_factory=list)

    @field_validator("extra_args")
    @classmethod
    def _flags_only(cls, args: list[str]) -> list[str]:
        for arg in args:
            if not arg.startswith("--") or arg == "--":
                raise ValueError(f"'{arg}' is not a Beam flag (expected '--name=value')")
        return args


class RunnerConfig(Strict):
    beam: BeamConfig = Field(default_factory=BeamConfig)


class SqliteConfig(Strict):
    path: str


class MysqlConfig(Strict):
    host: str
    port: int = Field(default=3306, gt=0, lt=65536)
    database: str
    user: str
    password_env: str = Field(
        default="TFXKIT_MYSQL_PASSWORD",
        description="Environment variable holding the password (never the password itself).",
    )

    def password(self) -> str:
        return os.environ.get(self.password_env, "")


class MetadataConfig(Strict):
    sqlite: SqliteConfig | None = None
    mysql: MysqlConfig | None = None

    @model_validator(mode="after")
    def _one_store(self) -> MetadataConfig:
        if self.sqlite and self.mysql:
            raise ValueError("choose one metadata store: 'sqlite' or 'mysql', not both")
        return self


class PipelineConfig(Strict):
    """The root of a pipeline YAML file."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)
    workspace: str = Field(default="workspace", description="Root for local run outputs.")
    pipeline_root: str | None = Field(
        default=None, description="Artifact root; default workspace/<name>/pipeline_root."
    )
    data: DataConfig
    schema_: SchemaConfig = Field(default_factory=SchemaConfig, alias="schema")
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    features: list[FeatureConfig] = Field(min_length=1)
    crosses: list[CrossConfig] = Field(
        default_factory=list, description="Feature crosses, each hashed to ids (one-hot)."
    )
    label: LabelConfig
    transform: TransformConfig = Field(default_factory=TransformConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    tuning: TuningConfig | None = None
    optimize: OptimizeConfig | None = Field(
        default=None, description="Quantize / prune / distill the trained model, gated."
    )
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    fairness: FairnessConfig | None = Field(
        default=None, description="Gate on rate gaps between sensitive slices (binary tasks)."
    )
    push: PushConfig = Field(default_factory=PushConfig)
    runner: RunnerConfig = Field(default_factory=RunnerConfig)
    metadata: MetadataConfig = Field(default_factory=MetadataConfig)

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        use_enum_values=True,
        validate_default=True,
        populate_by_name=True,
    )

    @model_validator(mode="after")
    def _names_consistent(self) -> PipelineConfig:
        names = [f.name for f in self.features]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"features listed twice: {dupes}")
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
        metrics = self.evaluation.resolved_metrics(self.label.resolved_task)
        unknown = sorted(set(self.evaluation.thresholds) - set(metrics))
        if unknown:
            raise ValueError(
                f"evaluation.thresholds name metrics not computed for a "
                f"{self.label.resolved_task} task: {unknown} (metrics: {metrics})"
            )
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
            if unknown_cross or len(set(cross.features)) < len(cross.features):
                raise ValueError(
                    f"crosses: {cross.features} must name distinct configured features"
                    + (f" ({unknown_cross} are not)" if unknown_cross else "")
                )
        for sl in self.evaluation.slices:
            for col in sl:
                if col not in names:
                    raise ValueError(f"evaluation.slices: '{col}' is not a configured feature")
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


# --------------------------------------------------------------------------------------------
# Loading, overrides and error formatting


def format_validation_error(
    source: str, err: ValidationError, what: str = "pipeline config"
) -> str:
    lines = []
    for item in err.errors():
        loc = ".".join(str(p) for p in item["loc"] if p not in ("function-after",))
        msg = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see configs/ for the accepted keys)"
        elif item["type"] == "enum":
            expected = item.get("ctx", {}).get("expected", "")
            msg = f"{item['input']!r} is not one of {expected}"
        elif item["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"{loc or '<root>'}: {msg}")
    return f"invalid {what} {source}:\n  " + "\n  ".join(lines)


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``key.path=value``; the value is YAML so numbers, bools and lists keep their type."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected key.path=value")
    key, raw = text.split("=", 1)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ConfigError(f"--set {text!r}: empty key path")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(f"--set {text!r}: value is not valid YAML ({exc})") from None
    return parts, value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``--set`` overrides to the raw mapping; list items are addressed by index."""
    for text in overrides:
        parts, value = parse_override(text)
        node: Any = data
        for i, part in enumerate(parts[:-1]):
            where = ".".join(parts[: i + 1])
            if isinstance(node, list):
                node = _list_item(node, part, text)
            elif isinstance(node, dict):
                node = node.setdefault(part, {})
            else:
                raise ConfigError(f"--set {text!r}: '{where}' is not a section")
        last = parts[-1]
        if isinstance(node, list):
            index = _list_index(node, last, text)
            node[index] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ConfigError(f"--set {text!r}: '{'.'.join(parts[:-1])}' is not a section")
    return data


def _list_index(items: list[Any], part: str, text: str) -> int:
    if not part.isdigit() or int(part) >= len(items):
        raise ConfigError(f"--set {text!r}: '{part}' is not an index of a {len(items)}-item list")
    return int(part)


def _list_item(items: list[Any], part: str, text: str) -> Any:
    return items[_list_index(items, part, text)]


def load_config(path: str | os.PathLike[str], overrides: list[str] | None = None) -> PipelineConfig:
    """Read, override and validate a pipeline YAML; raise ConfigError with one clear message."""
    data = read_yaml_mapping(path, "pipeline config")
    data = apply_overrides(data, overrides or [])
    return validate_config(data, str(path))


def read_yaml_mapping(path: str | os.PathLike[str], what: str) -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping; ConfigError names the file otherwise."""
    source = str(path)
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {source}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} {source} is not valid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{what} {source}: the top level must be a mapping of keys")
    return data


def validate_config(data: dict[str, Any], source: str = "<dict>") -> PipelineConfig:
    try:
        return PipelineConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(source, err)) from None


def config_as_dict(config: PipelineConfig) -> dict[str, Any]:
    """JSON-safe dict of the resolved config, with the YAML's own key names."""
    return config.model_dump(mode="json", by_alias=True)


__all__ = [
    "Accelerator",
    "BatchingSettings",
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
    "Imputation",
    "LabelConfig",
    "MissingConfig",
    "ModelConfig",
    "ModelKind",
    "OptimizeConfig",
    "Optimizer",
    "PipelineConfig",
    "PushConfig",
    "SchemaConfig",
    "SearchSpace",
    "Strategy",
    "Strict",
    "Task",
    "TrainingConfig",
    "TransformConfig",
    "TransformKind",
    "TuningConfig",
    "apply_overrides",
    "config_as_dict",
    "format_validation_error",
    "load_config",
    "read_yaml_mapping",
    "validate_config",
]
