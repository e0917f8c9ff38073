"""Config sections for checking the data: the schema of record (``schema``) and the anomaly,
drift, skew and leakage gates (``validation``).

Split from ``config.sections`` (which re-exports them) to keep each module under 400 lines; like
it, this module never imports TFX, runners or TensorFlow.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from tfxkit.config.base import Strict
from tfxkit.config.types import Distances, PositiveFloat


class SchemaConfig(Strict):
    """Infer the schema from statistics, or pin a curated one (schema as code)."""

    path: str | None = Field(
        default=None, description="Curated schema.pbtxt; when unset, SchemaGen infers one."
    )
    infer_feature_shape: bool = Field(
        default=False,
        description="False: every feature may be missing (sparse in TF Transform), in training "
        "and serving. True fixes the shape of features always present in the statistics; one "
        "missing at serving time then cannot be represented.",
    )


class AnomalyAction(str, Enum):
    FAIL = "fail"
    WARN = "warn"
    IGNORE = "ignore"


_DISTANCE = "(L-infinity for strings, Jensen-Shannon divergence for numbers)"  # drift, skew


def _off(value: object) -> object:
    """YAML 1.1 reads a bare ``off`` as false: it means the word here."""
    return "off" if value is False else value


LeakageAction = Annotated[Literal["fail", "warn", "off"], BeforeValidator(_off)]
ShiftCheck = Annotated[Literal["fail", "warn", "off"], BeforeValidator(_off)]  # drift/skew_check


class ValidationConfig(Strict):
    """What data anomalies (statistics against the schema) do to a run."""

    on_anomaly: Literal["fail", "warn"] = Field(
        default="fail",
        description="An ERROR-severity anomaly stops the run before Transform (fail) or is "
        "only reported (warn). WARNING-severity anomalies are always reported only.",
    )
    severity: dict[str, AnomalyAction] = Field(
        default_factory=dict,
        description="Overrides by feature name or anomaly type (e.g. "
        "ENUM_TYPE_UNEXPECTED_STRING_VALUES): fail | warn | ignore. A feature wins over a type.",
    )
    drift: Distances = Field(
        default_factory=dict,
        description="Per column: the largest distance allowed between this run's data and the "
        f"last approved run's {_DISTANCE}; it replaces drift_check for that column.",
    )
    drift_check: ShiftCheck = Field(
        default="fail",
        description="Every configured feature and the label column without a drift bound is "
        "compared with the last approved run's data, split by split, with bounds set by the "
        "sample sizes (PSI and KS for numbers, PSI and chi-square for strings): a major shift "
        "stops the run and a moderate one warns (fail), every shift only warns (warn), or "
        "nothing is compared (off).",
    )
    serving_data: str | None = Field(
        default=None,
        description="Directory of logged serving requests (CSV in data.csv's dialect, label "
        "absent): validated in the SERVING environment and compared with training (skew).",
    )
    skew: Distances = Field(
        default_factory=dict,
        description=f"Per column: the largest distance allowed between training and serving "
        f"data {_DISTANCE}; it replaces skew_check for that column.",
    )
    skew_check: ShiftCheck = Field(
        default="fail",
        description="With serving_data: drift_check's comparison of the train split with the "
        "serving data, for every feature without a skew bound (fail | warn | off).",
    )
    max_example_count_change: PositiveFloat | None = Field(
        default=None,
        description="Largest relative change in the number of examples per split against the "
        "last approved run (0.5: between half and one and a half times as many).",
    )
    leakage: LeakageAction = Field(
        default="warn",
        description="Target leakage: a feature that alone predicts the label almost perfectly "
        "(AUC >= 0.98; regression |Spearman| or R² >= 0.98; or a copy of the label) on up to "
        "50,000 train rows stops the run before Transform (fail), is reported in the run "
        "summary with its score (warn), or is not looked for (off).",
    )
