"""``tfxkit monitor``: one window of logged traffic judged, a verdict with reasons, a JSON file.

What is judged (docs/monitoring.md): skew of every input against the serving model's training
statistics, drift against the previous window, prediction drift (same model version only),
schema anomalies of the traffic, missing features, and, with late labels, the label
distribution against training and the model's accuracy or RMSE. Major shifts, missing features
and a performance bound crossed alert; moderate shifts, schema anomalies and doubtful input
(mixed versions, unknown label ids, a small window) warn.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfxkit.components.anomaly_gate.shift import DRIFT, SKEW
from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.errors import DataError
from tfxkit.monitoring import baseline, compare, labels, windows
from tfxkit.serving.request_log import (
    MODEL,
    PREDICTION,
    REQUEST_ID,
    TIMESTAMP,
    LogSettings,
    is_log_key,
    prediction_key,
)

EXIT_OK, EXIT_WARN, EXIT_ALERT = 0, 5, 6
EXIT_CODES = {"ok": EXIT_OK, "warn": EXIT_WARN, "alert": EXIT_ALERT}
_BOOKKEEPING = {REQUEST_ID, TIMESTAMP, MODEL, "__model_version__"}
MISSING_SHARE = 0.5  # a feature in fewer than half as many rows as in training is missing


@dataclass
class Findings:
    alerts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "alert" if self.alerts else "warn" if self.warnings else "ok"


def log_root(config: PipelineConfig) -> str:
    return config.monitoring.logging.directory or str(config.run_dir / "request_log")


def log_directory(config: PipelineConfig) -> Path:
    """The model's windows: ``<log root>/<model name>``."""
    return Path(log_root(config)) / config.resolved_model_name


def log_settings(config: PipelineConfig) -> LogSettings | None:
    """What ``tfxkit serve -c CONFIG`` logs; None when ``monitoring.logging.enabled`` is off."""
    settings = config.monitoring.logging
    if not settings.enabled:
        return None
    return LogSettings(
        log_root(config),
        settings.sample_rate,
        settings.rotate_seconds,
        settings.rotate_records,
        settings.queue_size,
    )


def output_directory(config: PipelineConfig) -> Path:
    return Path(config.monitoring.output or config.run_dir / "monitoring")


def prediction_column(window: windows.Window) -> str | None:
    """The logged answer compared with labels: the model's only output, else its ``classes``
    output (tfxkit's classifiers), else None (several outputs, none of them the class)."""
    names = window.batch.schema.names
    for name in (PREDICTION, prediction_key("classes")):
        if name in names:
            return name
    return None


def _presence(view: Any, rows: float) -> dict[str, float]:
    """{feature: share of rows that have it}."""
    from tfxkit.components.anomaly_gate.shift import feature_stats

    out = {}
    for name, feature in feature_stats(view).items():
        common = feature.num_stats.common_stats if feature.HasField("num_stats") else None
        if common is None:
            common = feature.string_stats.common_stats
        out[name] = common.num_non_missing / rows if rows else 0.0
    return out


def _schema_anomalies(stats: Any, schema: Any, skip: set[str]) -> list[str]:
    import tensorflow_data_validation as tfdv
    from tensorflow_metadata.proto.v0 import schema_pb2, statistics_pb2

    trimmed = schema_pb2.Schema()
    trimmed.CopyFrom(schema)
    del trimmed.feature[:]
    trimmed.feature.extend(f for f in schema.feature if f.name not in skip)
    # A serving signature takes whole numbers as floats (tfxkit's take every number as float64):
    # an INT column served as FLOAT is the signature's typing, not an anomaly of the traffic.
    served_float = {f.path.step[0] for f in stats.features if f.type == f.FLOAT and f.path.step}
    for feature in trimmed.feature:
        if feature.type == schema_pb2.INT and feature.name in served_float:
            feature.type = schema_pb2.FLOAT
            if feature.HasField("int_domain"):
                feature.ClearField("int_domain")
    listed = statistics_pb2.DatasetFeatureStatisticsList(datasets=[stats])
    anomalies = tfdv.validate_statistics(listed, trimmed)
    return [
        f"{name}: {info.short_description or info.description}"
        for name, info in sorted(anomalies.anomaly_info.items())
        if not is_log_key(name)  # logged predictions and joined labels are in no schema
    ]


def _judge(found: list[compare.FeatureDistance], findings: Findings, what: str) -> None:
    for d in found:
        if d.level is None:
            continue
        line = f"{what} {d.feature} vs {d.against} ({d.caught_by}): {d.detail}"
        (findings.alerts if d.level == "major" else findings.warnings).append(line)


def monitor(config: PipelineConfig, window: str = "latest") -> dict[str, Any]:
    """Judge one window; the report (also written as JSON, path under ``report_path``)."""
    settings = config.monitoring
    started = time.monotonic()
    path, previous_path = windows.resolve(log_directory(config), window)
    read = functools.lru_cache(maxsize=None)(windows.read)  # the previous window: read once
    current = read(path)
    findings = Findings()
    versions = current.versions
    version = versions.most_common(1)[0][0] if versions else None
    if len(versions) > 1:
        findings.warnings.append(
            f"the window mixes model versions {dict(versions)}: judged against version {version}'s "
            "training data (a rollout happened while it was open)"
        )
    if version is not None and version < 0:
        findings.warnings.append(
            "the window's model version is unknown (logged by a Client without version=)"
        )
    base = baseline.baseline(config, version)
    label_key = config.label.name
    batch = current.batch

    joined: labels.Joined | None = None
    if settings.labels:
        table = labels.read_labels(settings.labels, settings.id_column, settings.label_column)
        other_ids: set[str] = set()
        for other in windows.windows(path.parent):
            if other != path:
                try:
                    # only the previous window is kept (it is compared below); a long log's
                    # other windows are read for their ids and let go
                    rows = read(other) if other == previous_path else windows.read(other)
                    other_ids.update(i for i in rows.request_ids() if i)
                except DataError:
                    pass  # a corrupt neighbour is its own window's problem
        joined = labels.join(current.request_ids(), table, other_ids)
        batch = labels.with_labels(batch, joined.labels)
        if joined.unknown_ids:
            findings.warnings.append(
                f"{len(joined.unknown_ids)} label(s) name request ids logged in no window "
                f"(e.g. {', '.join(joined.unknown_ids[:3])}): ignored"
            )
    stats = compare.statistics_of(batch, _BOOKKEEPING)
    if current.rows < settings.min_rows:
        findings.warnings.append(
            f"the window has {current.rows} rows, fewer than monitoring.min_rows "
            f"({settings.min_rows}): distances need more to tell a shift from noise"
        )

    # Inputs: skew against training, missing features, schema anomalies.
    trained = _presence(base.statistics, float(base.statistics.num_examples))
    served = _presence(stats, float(current.rows))
    inputs = {n for n in trained if n != label_key and not is_log_key(n)}
    for name in sorted(inputs):
        share = served.get(name, 0.0)
        if trained[name] > 0 and share < MISSING_SHARE * trained[name]:
            findings.alerts.append(
                f"feature {name} is missing: in {share:.0%} of the window's rows, "
                f"{trained[name]:.0%} of training's (missing_feature)"
            )
    predicted = prediction_column(current)
    renames = {labels.LABEL: label_key, **({predicted: label_key} if predicted else {})}
    skew = compare.compare(base.statistics, stats, "training", renames)
    measured: dict[str, float] = {}
    if base.schema is not None:
        measured = compare.tfdv_measures(base.statistics, stats, base.schema, SKEW)
        for line in _schema_anomalies(stats, base.schema, {label_key}):
            findings.warnings.append(f"schema anomaly of the traffic: {line}")
    for d in skew:
        for key, value in measured.items():
            if key.startswith(f"{d.feature}:"):
                d.measures[f"tfdv_{key.split(':')[1]}"] = value
    _judge([d for d in skew if d.feature not in renames], findings, "skew of")
    _judge([d for d in skew if d.feature == labels.LABEL], findings, "label shift:")
    _judge([d for d in skew if d.feature == predicted], findings, "prediction skew:")

    # Drift against the previous window (predictions only when the same version answered).
    drift: list[compare.FeatureDistance] = []
    previous_note = None
    if previous_path is not None:
        try:
            previous = read(previous_path)
        except DataError as exc:
            previous, previous_note = None, f"previous window not compared: {exc}"
        if previous is not None:
            before = compare.statistics_of(previous.batch, _BOOKKEEPING)
            same_version = set(previous.versions) == {version}
            drift = compare.compare(before, stats, "previous window")
            if base.schema is not None:
                measured = compare.tfdv_measures(before, stats, base.schema, DRIFT)
                for d in drift:
                    for key, value in measured.items():
                        if key.startswith(f"{d.feature}:"):
                            d.measures[f"tfdv_{key.split(':')[1]}"] = value
            if not same_version:
                previous_note = (
                    f"previous window {previous_path.name} was answered by version(s) "
                    f"{sorted(previous.versions)}: prediction drift not judged"
                )
                drift = [d for d in drift if not is_log_key(d.feature)]
            _judge([d for d in drift if not is_log_key(d.feature)], findings, "drift of")
            _judge([d for d in drift if is_log_key(d.feature)], findings, "prediction drift:")
    if previous_note:
        findings.warnings.append(previous_note)

    metrics: dict[str, float] = {}
    if joined is not None:
        predictions = current.column(predicted) if predicted else [None] * current.rows
        metrics = labels.performance(predictions, joined.labels)
        accuracy, rmse = metrics.get("accuracy"), metrics.get("rmse")
        if settings.min_accuracy is not None and accuracy is not None:
            if accuracy < settings.min_accuracy:
                findings.alerts.append(
                    f"accuracy {accuracy:.3f} < monitoring.min_accuracy {settings.min_accuracy}"
                )
        if settings.max_rmse is not None and rmse is not None and rmse > settings.max_rmse:
            findings.alerts.append(f"RMSE {rmse:.4g} > monitoring.max_rmse {settings.max_rmse}")

    report: dict[str, Any] = {
        "verdict": findings.verdict,
        "exit_code": EXIT_CODES[findings.verdict],
        "reasons": findings.alerts + findings.warnings,
        "model": config.resolved_model_name,
        "model_version": version,
        "window": str(path),
        "previous_window": str(previous_path) if previous_path else None,
        "rows": current.rows,
        "baseline": base.source,
        "labels": (
            {"matched": joined.matched, "unknown_ids": len(joined.unknown_ids)} if joined else None
        ),
        "performance": metrics,
        "skew": [d.as_dict() for d in skew],
        "drift": [d.as_dict() for d in drift],
        "seconds": round(time.monotonic() - started, 3),
    }
    out = output_directory(config)
    out.mkdir(parents=True, exist_ok=True)
    report_path = out / f"{path.stem}.json"
    report["report_path"] = str(report_path)
    report_path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    report["execution_id"] = baseline.record(config, report, str(report_path))
    return report
