"""Config of monitoring (issue 24): what ``tfxkit serve`` logs, what ``tfxkit monitor`` compares
and where its alerts go.

Its own module like the other sections; like them it never imports TFX or TensorFlow. Webhook
URLs are secrets: the config names the environment variable that holds one, never the URL.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictFloat, model_validator

from tfxkit.config.base import Strict
from tfxkit.config.types import PositiveInt


class RequestLogConfig(Strict):
    """Sampled requests and answers of ``tfxkit serve`` as tf.Examples in TFRecord windows."""

    enabled: bool = Field(
        default=False, description="Log requests when ``tfxkit serve -c`` names this config."
    )
    directory: str | None = Field(
        default=None,
        description="Where windows go (<directory>/<model>/<start>-<n>.tfrecord); default "
        "workspace/<name>/request_log.",
    )
    sample_rate: StrictFloat = Field(
        default=1.0, ge=0.0, le=1.0, description="Share of requests logged (0 to 1)."
    )
    rotate_seconds: StrictFloat = Field(
        default=3600.0, gt=0, description="A window closes after this many seconds."
    )
    rotate_records: PositiveInt = Field(
        default=100_000, description="A window closes after this many rows."
    )
    queue_size: PositiveInt = Field(
        default=10_000,
        description="Requests waiting for the writer; past it requests are not logged (and "
        "counted), never slowed.",
    )


class AlertSink(Strict):
    """Where an alert goes: a JSON webhook, a Slack incoming webhook, or a JSON-lines file."""

    type: Literal["webhook", "slack", "file"] = Field(description="Kind of sink.")
    url_env: str | None = Field(
        default=None,
        description="Environment variable holding the webhook URL (webhook, slack); the URL is "
        "never written to disk or logs.",
    )
    path: str | None = Field(default=None, description="File the alerts are appended to (file).")
    on: Literal["warn", "alert"] = Field(
        default="alert", description="Lowest verdict sent: warn sends warnings and alerts."
    )

    @model_validator(mode="after")
    def _target(self) -> AlertSink:
        if self.type == "file" and not self.path:
            raise ValueError("an alert sink of type file needs path")
        if self.type != "file" and not self.url_env:
            raise ValueError(
                f"an alert sink of type {self.type} needs url_env: the name of the environment "
                "variable that holds the URL (a URL in the config would be a leaked secret)"
            )
        return self


class RetrainConfig(Strict):
    """Continuous training: on an alert, ``tfxkit monitor`` runs the pipeline on fresh data."""

    enabled: bool = Field(default=False, description="Retrain when a window alerts.")
    pipeline: str | None = Field(
        default=None,
        description="Pipeline definition file (create_pipeline); default: the standard one.",
    )
    set: list[str] = Field(
        default_factory=list,
        description="--set overrides of the retraining run, e.g. the fresh span's data.path.",
    )
    cooldown_minutes: StrictFloat = Field(
        default=60.0,
        ge=0,
        description="No second retrain this soon after one started: one incident, one run.",
    )
    promote: Literal["canary", "stable", "none"] = Field(
        default="canary",
        description="Label a blessed, pushed new version gets (tfxkit serving promote).",
    )


class MonitoringConfig(Strict):
    """``tfxkit monitor``: the logged traffic compared with training data and the last window."""

    logging: RequestLogConfig = Field(
        default_factory=RequestLogConfig, description="What ``tfxkit serve`` logs."
    )
    output: str | None = Field(
        default=None,
        description="Where verdicts (JSON) go; default workspace/<name>/monitoring.",
    )
    labels: str | None = Field(
        default=None,
        description="CSV or Parquet of late labels (columns id_column and label_column), "
        "joined to logged rows by request id.",
    )
    id_column: str = Field(default="request_id", description="Request-id column of labels.")
    label_column: str = Field(default="label", description="Label column of labels.")
    training_statistics: str | None = Field(
        default=None,
        description="TFDV statistics (FeatureStats.pb) to judge skew against; default: those "
        "of the serving model's training data, from ML Metadata.",
    )
    schema_file: str | None = Field(
        default=None,
        description="Schema (schema.pbtxt) for the traffic's anomalies; default: the serving "
        "model's, from ML Metadata.",
    )
    min_rows: PositiveInt = Field(
        default=30, description="A window with fewer rows is reported as too small to judge."
    )
    min_accuracy: StrictFloat | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="With labels: alert when accuracy (classification) is below this.",
    )
    max_rmse: StrictFloat | None = Field(
        default=None, gt=0, description="With labels: alert when RMSE (regression) is above this."
    )
    sinks: list[AlertSink] = Field(
        default_factory=list, description="Where warnings and alerts are sent."
    )
    retrain: RetrainConfig = Field(
        default_factory=RetrainConfig, description="Retrain on an alert (continuous training)."
    )
