"""AnomalyGate executor: anomalies -> rows -> fail (AnomaliesFound) or pass the schema on.

The reference schema: the last approved run's (``baseline_schema``, resolved from ML Metadata)
when there is one and it approved other statistics; then this run's statistics are validated
against it here, with the drift comparators from ``drift`` and the previous statistics it
approved, and every other checked feature is compared with those statistics by the default
drift check (``shift``: size-aware PSI and KS / chi-square; ``drift_check`` says fail, warn
or off). Otherwise (first run, or a curated schema) ExampleValidator's anomalies against the
current schema are used. Logged serving data (``serving_data``) is compared with the train
split the same two ways (``skew``, ``skew_check``).

Each anomaly reason in each split becomes a row ``{split, feature, anomaly, severity,
description}``. Its action: ``severity[feature]``, else ``severity[anomaly type]``, else
``on_anomaly`` for TFDV's ERROR severity and ``warn`` for WARNING. Any ``fail`` row stops the
run; ``warn`` rows are the gate's verdict (``verdict.AnomalyVerdict``, stored on the output
schema artifact) for the run summary; ``ignore`` rows are dropped. The output schema is the
reference schema; it records the statistics it approved (``approved_statistics_uri``) for the
next run.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils
from tfx.utils import io_utils

from tfxkit.components.anomaly_gate import shift
from tfxkit.components.anomaly_gate.shift import DefaultCheck
from tfxkit.components.anomaly_gate.verdict import AnomalyRow, AnomalyVerdict
from tfxkit.components.verdicts import Artifacts, GateExecutor
from tfxkit.errors import AnomaliesFound

ANOMALIES_KEY = "anomalies"
STATISTICS_KEY = "statistics"
SCHEMA_KEY = "schema"
BASELINE_SCHEMA_KEY = "baseline_schema"
DRIFT_KEY = "drift"
COUNT_CHANGE_KEY = "max_example_count_change"
LABEL_KEY = "label"  # a classification label column's feature key; "" when there is none
TARGET_KEY = "target"  # JSON list: the label column(s), absent from serving data
SERVING_DATA_KEY = "serving_data"  # CSV files of logged serving requests
SERVING_DIALECT_KEY = "serving_dialect"  # their dialect, JSON (data.csv)
SKEW_KEY = "skew"  # JSON {feature key: threshold}: training vs serving distance
DRIFT_CHECK_KEY = "drift_check"  # the default drift check: fail | warn | off (absent: fail)
SKEW_CHECK_KEY = "skew_check"  # the default skew check, the same way
CHECKED_KEY = "checked"  # JSON list: the feature keys the default checks judge (absent: all)
OPEN_DOMAINS_KEY = "open_domains"  # JSON list: text / hash / date features, open-ended values
APPROVED_STATISTICS_PROPERTY = "approved_statistics_uri"
GATED_SCHEMA_KEY = "gated_schema"
ON_ANOMALY_KEY = "on_anomaly"
SEVERITY_KEY = "severity"
ANOMALIES_FILE = "SchemaDiff.pb"  # what TFX's ExampleValidator writes per split
STATS_FILE = "FeatureStats.pb"  # what TFX's StatisticsGen writes per split


_COMPARATORS = {
    "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH": "JSD",
    "COMPARATOR_L_INFTY_HIGH": "L-infinity distance",
    "COMPARATOR_NORMALIZED_ABSOLUTE_DIFFERENCE_HIGH": "normalized absolute difference",
}
_IS_ABOVE = re.compile(r"is (?P<value>[-0-9.e]+).*?threshold (?P<bound>[-0-9.e]+)", re.S)


def _short(kind: str, text: str, against: str) -> str:
    """``JSD 0.758 > 0.25 (vs the last approved run)`` for comparators; else TFDV's text."""
    match = _IS_ABOVE.search(text)
    if kind in _COMPARATORS and match:
        value, bound = float(match["value"]), float(match["bound"].rstrip("."))
        return f"{_COMPARATORS[kind]} {value:.3g} > {bound:g} ({against})"
    return " ".join(text.split())


def anomaly_rows(
    split: str, anomalies: anomalies_pb2.Anomalies, against: str = "vs the last approved run"
) -> list[dict[str, str]]:
    """One row per anomaly reason (a feature can have several), dataset-level ones included."""
    infos = [(feature, info) for feature, info in sorted(anomalies.anomaly_info.items())]
    if anomalies.HasField("dataset_anomaly_info"):
        infos.append(("(dataset)", anomalies.dataset_anomaly_info))
    rows = []
    for feature, info in infos:
        severity = anomalies_pb2.AnomalyInfo.Severity.Name(info.severity)
        for reason in info.reason or [None]:
            kind = anomalies_pb2.AnomalyInfo.Type.Name(reason.type) if reason else "UNKNOWN"
            text = (reason.description if reason else "") or info.description
            rows.append(
                {
                    "split": split,
                    "feature": feature,
                    "anomaly": kind,
                    "severity": severity,
                    "description": _short(kind, text, against),
                }
            )
    return rows


def action(row: dict[str, str], on_anomaly: str, severity: dict[str, str]) -> str:
    """fail | warn | ignore for one row (see the module docstring for the order)."""
    if row["feature"] in severity:
        return severity[row["feature"]]
    if row["anomaly"] in severity:
        return severity[row["anomaly"]]
    return on_anomaly if row["severity"] == "ERROR" else "warn"


def read_anomalies(anomalies: types.Artifact) -> list[dict[str, str]]:
    rows = []
    for split in artifact_utils.decode_split_names(anomalies.split_names):
        path = os.path.join(artifact_utils.get_split_uri([anomalies], split), ANOMALIES_FILE)
        if not fileio.exists(path):
            continue
        proto = anomalies_pb2.Anomalies.FromString(io_utils.read_bytes_file(path))
        rows += anomaly_rows(split, proto)
    return rows


def _with_comparators(schema: Any, drift: dict[str, float], count_change: float) -> Any:
    """A copy of ``schema`` with drift comparators (by feature type) and an example-count bound."""
    import tensorflow_data_validation as tfdv
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = schema_pb2.Schema.FromString(schema.SerializeToString())
    for name, threshold in drift.items():
        try:
            feature = tfdv.get_feature(schema, name)
        except ValueError:
            continue  # not in the reference schema: TFDV reports the new column itself
        if feature.type == schema_pb2.BYTES:
            feature.drift_comparator.infinity_norm.threshold = threshold
        else:
            feature.drift_comparator.jensen_shannon_divergence.threshold = threshold
    if count_change:
        bound = schema.dataset_constraints.num_examples_drift_comparator
        bound.min_fraction_threshold = max(0.0, 1.0 - count_change)
        bound.max_fraction_threshold = 1.0 + count_change
    return schema


def open_domains(schema: Any, keys: list[str]) -> Any:
    """A copy of ``schema`` without the value domains of ``keys``. TFDV infers a string domain
    for any column with few distinct values, so a text, hash or date feature's next new value
    (a new day) would stop the run as ENUM_TYPE_UNEXPECTED_STRING_VALUES; their values are
    open-ended by design (the transform handles unseen values). A text feature's natural
    language domain (TFDV's semantic domain statistics) stays: it holds no values."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = schema_pb2.Schema.FromString(schema.SerializeToString())
    wanted = set(keys)
    for feature in schema.feature:
        if feature.name in wanted:
            if feature.WhichOneof("domain_info") != "natural_language_domain":
                feature.ClearField("domain_info")  # the oneof: domain, string_domain, ...
            feature.ClearField("distribution_constraints")
    return schema


def validate_against(
    statistics: types.Artifact,
    schema: Any,
    previous_uri: str | None,
    drift: dict[str, float],
    count_change: float,
    default: DefaultCheck | None = None,
) -> list[dict[str, str]]:
    """Rows for each split of ``statistics`` validated against ``schema``; drift (``drift``'s
    bounds, then the ``default`` check for the other features) and the example-count bound
    compare with the same split of the statistics at ``previous_uri``."""
    import tensorflow_data_validation as tfdv
    from tfx.components.statistics_gen import stats_artifact_utils

    default = default or DefaultCheck()
    schema = _with_comparators(schema, drift, count_change)
    measure = default.judged([f.name for f in schema.feature], drift)
    schema = shift.measuring(schema, measure)
    rows = []
    for split in artifact_utils.decode_split_names(statistics.split_names):
        current = stats_artifact_utils.load_statistics(statistics, split).proto()
        before = None
        if previous_uri:
            path = os.path.join(previous_uri, f"Split-{split}", STATS_FILE)
            before = tfdv.load_stats_binary(path) if fileio.exists(path) else None
        anomalies = tfdv.validate_statistics(current, schema, previous_statistics=before)
        rows += shift.unmeasured(anomaly_rows(split, anomalies), measure)
        if before is not None and before.datasets:
            measured = shift.tfdv_measures(anomalies, shift.DRIFT)
            pair = (before.datasets[0], current.datasets[0])
            rows += shift.shift_rows(split, *pair, default, drift, shift.DRIFT, measured)
    return rows


def skew_rows(
    statistics: types.Artifact,
    schema: Any,
    serving_data: str,
    dialect_json: str,
    skew: dict[str, float],
    targets: list[str],
    default: DefaultCheck | None = None,
) -> list[dict[str, str]]:
    """Training (the train split) against logged serving data: skew beyond ``skew``'s bounds
    and, for the other features, by the ``default`` check; and serving data that breaks the
    schema in the SERVING environment (no label there)."""
    import tensorflow_data_validation as tfdv
    from tensorflow_metadata.proto.v0 import schema_pb2
    from tfx.components.statistics_gen import stats_artifact_utils

    from tfxkit.components.csv_example_gen.executor import dialect_from_json
    from tfxkit.components.csv_example_gen.statistics import csv_statistics

    serving = csv_statistics(serving_data, dialect_from_json(dialect_json))
    schema = schema_pb2.Schema.FromString(schema.SerializeToString())
    schema.default_environment[:] = ["TRAINING", "SERVING"]
    for feature in schema.feature:
        if feature.name in skew:
            comparator = feature.skew_comparator
            if feature.type == schema_pb2.BYTES:
                comparator.infinity_norm.threshold = skew[feature.name]
            else:
                comparator.jensen_shannon_divergence.threshold = skew[feature.name]
        if feature.name in targets:
            feature.not_in_environment.append("SERVING")
    default = default or DefaultCheck()
    judged = default.judged([f.name for f in schema.feature if f.name not in targets], skew)
    train = stats_artifact_utils.load_statistics(statistics, "train").proto()
    skewed = tfdv.validate_statistics(
        train,
        shift.measuring(schema, judged, shift.SKEW),
        environment="TRAINING",
        serving_statistics=serving,
    )
    rows = [
        r
        for r in anomaly_rows("train/serving", skewed, against="training vs serving")
        if r["anomaly"] in _COMPARATORS
    ]
    measured = shift.tfdv_measures(skewed, shift.SKEW)
    pair = (train.datasets[0], serving.datasets[0])
    unlabelled = DefaultCheck(default.action, tuple(judged))
    rows += shift.shift_rows("train/serving", *pair, unlabelled, skew, shift.SKEW, measured)
    served = tfdv.validate_statistics(serving, schema, environment="SERVING")
    return rows + anomaly_rows("serving", served)


def empty_split_rows(statistics: types.Artifact) -> list[dict[str, str]]:
    """A split with no examples: validating it judges nothing, so it can never pass the gate
    (a gate that judged nothing must not let the run go on as if it had; issue 31)."""
    from tfx.components.statistics_gen import stats_artifact_utils

    rows = []
    for split in artifact_utils.decode_split_names(statistics.split_names):
        datasets = stats_artifact_utils.load_statistics(statistics, split).proto().datasets
        if not datasets or datasets[0].num_examples == 0:
            rows.append(
                {
                    "split": split,
                    "feature": "-",
                    "anomaly": "NO_EXAMPLES",
                    "severity": "ERROR",
                    "description": "the split has no examples: there is nothing to validate",
                }
            )
    return rows


def label_rows(statistics: types.Artifact, label: str) -> list[dict[str, str]]:
    """A label value seen in a non-train split but never in train: the model cannot learn it,
    and the evaluation of that class is meaningless (found from string label statistics)."""
    from tfx.components.statistics_gen import stats_artifact_utils

    values: dict[str, set[str]] = {}
    for split in artifact_utils.decode_split_names(statistics.split_names):
        view = stats_artifact_utils.load_statistics(statistics, split).proto()
        seen: set[str] = set()
        for feature in view.datasets[0].features:
            name = feature.path.step[0] if feature.path.step else feature.name
            if name == label and feature.HasField("string_stats"):
                seen = {b.label for b in feature.string_stats.rank_histogram.buckets}
        values[split] = seen
    trained = values.get("train", set())
    rows = []
    for split, seen in sorted(values.items()):
        unseen = sorted(seen - trained) if split != "train" and trained else []
        if unseen:
            rows.append(
                {
                    "split": split,
                    "feature": label,
                    "anomaly": "LABEL_VALUE_NOT_IN_TRAINING",
                    "severity": "ERROR",
                    "description": f"label values never seen in train: {', '.join(unseen[:5])}",
                }
            )
    return rows


class Executor(GateExecutor, base_executor.BaseExecutor):
    """Raise AnomaliesFound on any ``fail`` row; otherwise copy the reference schema out."""

    VERDICT_OUTPUT = GATED_SCHEMA_KEY

    def decide(
        self, inputs: Artifacts, outputs: Artifacts, properties: dict[str, Any]
    ) -> AnomalyVerdict:
        on_anomaly = properties[ON_ANOMALY_KEY]
        severity = json.loads(properties.get(SEVERITY_KEY) or "{}")
        drift = json.loads(properties.get(DRIFT_KEY) or "{}")
        count_change = float(properties.get(COUNT_CHANGE_KEY) or 0.0)
        checked = properties.get(CHECKED_KEY)
        features = tuple(json.loads(checked)) if checked else None
        drift_check = DefaultCheck(properties.get(DRIFT_CHECK_KEY) or "fail", features)
        statistics = artifact_utils.get_single_instance(inputs[STATISTICS_KEY])
        empty = empty_split_rows(statistics)
        if empty:  # whatever on_anomaly says: nothing was judged
            raise AnomaliesFound(empty)
        opened = json.loads(properties.get(OPEN_DOMAINS_KEY) or "[]")
        baseline = (inputs.get(BASELINE_SCHEMA_KEY) or [None])[0]
        approved = baseline and baseline.has_custom_property(APPROVED_STATISTICS_PROPERTY)
        if (
            approved
            and baseline.get_string_custom_property(APPROVED_STATISTICS_PROPERTY) != statistics.uri
        ):
            reference_uri = baseline.uri
            schema = io_utils.SchemaReader().read(io_utils.get_only_uri_in_dir(reference_uri))
            schema = open_domains(schema, opened)
            previous = baseline.get_string_custom_property(APPROVED_STATISTICS_PROPERTY)
            rows = validate_against(statistics, schema, previous, drift, count_change, drift_check)
        else:  # first run or a curated schema: ExampleValidator's verdict on this run's schema
            reference_uri = artifact_utils.get_single_uri(inputs[SCHEMA_KEY])
            rows = read_anomalies(artifact_utils.get_single_instance(inputs[ANOMALIES_KEY]))
        label = properties.get(LABEL_KEY) or ""
        if label:
            rows += label_rows(statistics, label)
        serving_data = properties.get(SERVING_DATA_KEY) or ""
        if serving_data:
            reference = io_utils.SchemaReader().read(io_utils.get_only_uri_in_dir(reference_uri))
            rows += skew_rows(
                statistics,
                open_domains(reference, opened),
                serving_data,
                properties.get(SERVING_DIALECT_KEY) or "{}",
                json.loads(properties.get(SKEW_KEY) or "{}"),
                json.loads(properties.get(TARGET_KEY) or "[]"),
                DefaultCheck(properties.get(SKEW_CHECK_KEY) or "fail", features),
            )
        decided = [(row, action(row, on_anomaly, severity)) for row in rows]
        failing = [row for row, verdict in decided if verdict == "fail"]
        if failing:
            raise AnomaliesFound(failing)
        gated = artifact_utils.get_single_instance(outputs[GATED_SCHEMA_KEY])
        for name in fileio.listdir(reference_uri):
            io_utils.copy_file(os.path.join(reference_uri, name), os.path.join(gated.uri, name))
        if opened:  # the schema of record keeps them open for the runs after this one
            path = io_utils.get_only_uri_in_dir(gated.uri)
            io_utils.write_pbtxt_file(
                path, open_domains(io_utils.SchemaReader().read(path), opened)
            )
        gated.set_string_custom_property(APPROVED_STATISTICS_PROPERTY, statistics.uri)
        warnings = [AnomalyRow(**row) for row, verdict in decided if verdict == "warn"]
        return AnomalyVerdict(warnings=warnings)
