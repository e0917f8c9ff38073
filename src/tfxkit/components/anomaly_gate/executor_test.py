"""The gate on real TFDV anomalies: which rows stop a run, which only warn, and the output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import tensorflow_data_validation as tfdv
from tfx.types import artifact_utils, standard_artifacts

from tfxkit.components.anomaly_gate.executor import (
    ANOMALIES_FILE,
    APPROVED_STATISTICS_PROPERTY,
    STATS_FILE,
    Executor,
    action,
    anomaly_rows,
    label_rows,
    skew_rows,
)
from tfxkit.components.anomaly_gate.shift import DefaultCheck
from tfxkit.components.anomaly_gate.verdict import AnomalyVerdict
from tfxkit.components.verdicts import read
from tfxkit.errors import AnomaliesFound, format_error

GOOD = pd.DataFrame({"island": ["Biscoe", "Dream", "Torgersen"] * 20, "mass": [3.5, 4.0, 5.0] * 20})
BAD = pd.DataFrame({"island": ["Mars"] * 60, "mass": [3.5, 4.0, 5.0] * 20})


def _anomalies(data: pd.DataFrame):
    schema = tfdv.infer_schema(tfdv.generate_statistics_from_dataframe(GOOD))
    return tfdv.validate_statistics(tfdv.generate_statistics_from_dataframe(data), schema), schema


def test_rows_name_split_feature_type_and_a_readable_description() -> None:
    anomalies, _ = _anomalies(BAD)
    rows = anomaly_rows("train", anomalies)
    assert [(r["split"], r["feature"], r["severity"]) for r in rows] == [
        ("train", "island", "ERROR")
    ]
    assert rows[0]["anomaly"] == "ENUM_TYPE_UNEXPECTED_STRING_VALUES"
    assert "Mars" in rows[0]["description"]
    assert anomaly_rows("train", _anomalies(GOOD)[0]) == []


@pytest.mark.parametrize(
    ("on_anomaly", "severity", "expected"),
    [
        ("fail", {}, "fail"),
        ("warn", {}, "warn"),
        ("warn", {"ENUM_TYPE_UNEXPECTED_STRING_VALUES": "fail"}, "fail"),
        ("fail", {"island": "ignore"}, "ignore"),
        # A feature override wins over a type override.
        ("fail", {"island": "warn", "ENUM_TYPE_UNEXPECTED_STRING_VALUES": "fail"}, "warn"),
    ],
)
def test_action_order(on_anomaly: str, severity: dict, expected: str) -> None:
    row = {
        "feature": "island",
        "anomaly": "ENUM_TYPE_UNEXPECTED_STRING_VALUES",
        "severity": "ERROR",
    }
    assert action(row, on_anomaly, severity) == expected
    assert action({**row, "severity": "WARNING"}, "fail", {}) == "warn"


def _write_split_files(uri: str, name: str, payload: bytes) -> None:
    for split in ("train", "eval"):
        os.makedirs(f"{uri}/Split-{split}", exist_ok=True)
        Path(f"{uri}/Split-{split}/{name}").write_bytes(payload)


def _statistics(tmp_path: Path, name: str, data: pd.DataFrame):
    stats = standard_artifacts.ExampleStatistics()
    stats.uri = str(tmp_path / name)
    stats.split_names = artifact_utils.encode_split_names(["train", "eval"])
    payload = tfdv.generate_statistics_from_dataframe(data).SerializeToString()
    _write_split_files(stats.uri, STATS_FILE, payload)
    return stats


def _artifacts(tmp_path: Path, data: pd.DataFrame, baseline=None):
    anomalies_proto, schema_proto = _anomalies(data)
    anomalies = standard_artifacts.ExampleAnomalies()
    anomalies.uri = str(tmp_path / "anomalies")
    anomalies.split_names = artifact_utils.encode_split_names(["train", "eval"])
    _write_split_files(anomalies.uri, ANOMALIES_FILE, anomalies_proto.SerializeToString())
    schema = standard_artifacts.Schema()
    schema.uri = str(tmp_path / "schema")
    os.makedirs(schema.uri)
    tfdv.write_schema_text(schema_proto, f"{schema.uri}/schema.pbtxt")
    gated = standard_artifacts.Schema()
    gated.uri = str(tmp_path / "gated")
    os.makedirs(gated.uri)
    inputs = {
        "statistics": [_statistics(tmp_path, "statistics", data)],
        "anomalies": [anomalies],
        "schema": [schema],
    }
    if baseline is not None:
        inputs["baseline_schema"] = [baseline]
    return inputs, {"gated_schema": [gated]}


def _approved(tmp_path: Path, data: pd.DataFrame):
    """What a passing first run leaves: the gate's schema, naming the statistics it approved."""
    inputs, outputs = _artifacts(tmp_path / "first", data)
    Executor().Do(inputs, outputs, {"on_anomaly": "fail", "severity": "{}"})
    return outputs["gated_schema"][0]


def test_fail_raises_a_table_and_writes_no_schema(tmp_path: Path) -> None:
    inputs, outputs = _artifacts(tmp_path, BAD)
    props = {"on_anomaly": "fail", "severity": "{}"}
    with pytest.raises(AnomaliesFound) as caught:
        Executor().Do(inputs, outputs, props)
    assert [r["split"] for r in caught.value.rows] == ["train", "eval"]
    text = format_error(caught.value)
    assert "island" in text and "ENUM_TYPE_UNEXPECTED_STRING_VALUES" in text and "Mars" in text
    assert "nothing was trained or pushed" in text
    assert os.listdir(outputs["gated_schema"][0].uri) == []


def test_warn_passes_the_schema_on_and_records_the_warnings(tmp_path: Path) -> None:
    inputs, outputs = _artifacts(tmp_path, BAD)
    Executor().Do(inputs, outputs, {"on_anomaly": "warn", "severity": "{}"})
    gated = outputs["gated_schema"][0]
    assert os.listdir(gated.uri) == ["schema.pbtxt"]  # Transform reads the only file there
    verdict = read(gated)  # what the runner reads back, by the artifact's verdict kind
    assert isinstance(verdict, AnomalyVerdict) and verdict.passed
    assert {(w.split, w.feature) for w in verdict.warnings} == {
        ("train", "island"),
        ("eval", "island"),
    }
    assert AnomalyVerdict.read(gated) == verdict
    assert verdict.lines()[0] == "anomalies: 2 reported as warnings (validation.severity)"


def test_later_runs_are_validated_against_the_last_approved_schema(tmp_path: Path) -> None:
    baseline = _approved(tmp_path, GOOD)
    first_statistics = baseline.get_string_custom_property(APPROVED_STATISTICS_PROPERTY)
    assert first_statistics.endswith("first/statistics")
    # New data with an unseen island: this run's own inferred schema would accept it.
    shifted = pd.DataFrame({"island": ["Biscoe", "Mars"] * 30, "mass": [3.5, 4.0, 5.0] * 20})
    inputs, outputs = _artifacts(tmp_path / "second", shifted, baseline=baseline)
    inputs["anomalies"] = _artifacts(tmp_path / "clean", GOOD)[0]["anomalies"]  # says "none"
    with pytest.raises(AnomaliesFound) as caught:
        Executor().Do(inputs, outputs, {"on_anomaly": "fail", "severity": "{}"})
    assert {r["feature"] for r in caught.value.rows} == {"island"}


def test_numeric_drift_beyond_its_bound_stops_the_run(tmp_path: Path) -> None:
    baseline = _approved(tmp_path, GOOD)
    heavier = pd.DataFrame({"island": ["Biscoe", "Dream", "Torgersen"] * 20, "mass": [9.0] * 60})
    inputs, outputs = _artifacts(tmp_path / "second", heavier, baseline=baseline)
    props = {"on_anomaly": "fail", "severity": "{}", "drift": json.dumps({"mass": 0.1})}
    with pytest.raises(AnomaliesFound) as caught:
        Executor().Do(inputs, outputs, props)
    rows = [r for r in caught.value.rows if r["feature"] == "mass"]
    assert rows[0]["anomaly"] == "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH"
    assert rows[0]["description"].startswith("JSD ") and "> 0.1 " in rows[0]["description"]
    # A bound of its own replaces the default check for that column: a loose one passes.
    inputs, outputs = _artifacts(tmp_path / "third", heavier, baseline=baseline)
    Executor().Do(inputs, outputs, {**props, "drift": json.dumps({"mass": 1.5})})


def test_the_schema_that_approved_these_statistics_is_not_a_baseline(tmp_path: Path) -> None:
    """An unchanged re-run: the baseline approved the same statistics; nothing new to compare."""
    inputs, outputs = _artifacts(tmp_path, GOOD)
    Executor().Do(inputs, outputs, {"on_anomaly": "fail", "severity": "{}"})
    again = _artifacts(tmp_path / "again", GOOD, baseline=outputs["gated_schema"][0])[0]
    again["statistics"] = inputs["statistics"]
    _, fresh = _artifacts(tmp_path / "out", GOOD)
    Executor().Do(again, fresh, {"on_anomaly": "fail", "severity": "{}"})
    assert os.listdir(fresh["gated_schema"][0].uri) == ["schema.pbtxt"]


def test_a_label_value_only_in_eval_stops_the_run(tmp_path: Path) -> None:
    stats = standard_artifacts.ExampleStatistics()
    stats.uri = str(tmp_path / "statistics")
    stats.split_names = artifact_utils.encode_split_names(["train", "eval"])
    for split, species in (("train", ["Adelie", "Gentoo"]), ("eval", ["Adelie", "Chinstrap"])):
        frame = pd.DataFrame({"species": species * 10})
        os.makedirs(f"{stats.uri}/Split-{split}")
        Path(f"{stats.uri}/Split-{split}/{STATS_FILE}").write_bytes(
            tfdv.generate_statistics_from_dataframe(frame).SerializeToString()
        )
    rows = label_rows(stats, "species")
    assert [(r["split"], r["anomaly"]) for r in rows] == [("eval", "LABEL_VALUE_NOT_IN_TRAINING")]
    assert "Chinstrap" in rows[0]["description"]
    inputs, outputs = _artifacts(tmp_path / "gate", GOOD)
    inputs["statistics"] = [stats]
    with pytest.raises(AnomaliesFound, match="Chinstrap"):
        Executor().Do(inputs, outputs, {"on_anomaly": "fail", "severity": "{}", "label": "species"})


def test_serving_data_skew_and_the_serving_environment(tmp_path: Path) -> None:
    """Logged requests lack the label (SERVING environment) and lean to one island: skew."""
    from tfxkit.components.csv_example_gen.component import dialect_json
    from tfxkit.config.sections import CsvDialect

    training = pd.DataFrame(
        {
            "island": ["Biscoe", "Dream", "Torgersen"] * 20,
            "mass": [3.5, 4.0, 5.0] * 20,
            "species": ["Adelie", "Gentoo", "Chinstrap"] * 20,
        }
    )
    stats = _statistics(tmp_path, "statistics", training)
    schema = tfdv.infer_schema(tfdv.generate_statistics_from_dataframe(training))
    serving = tmp_path / "serving"
    serving.mkdir()
    (serving / "requests.csv").write_text(
        "island,mass\n" + "".join(f"Torgersen,{3.5 + i % 3 * 0.5}\n" for i in range(60))
    )
    dialect = dialect_json(CsvDialect())
    rows = skew_rows(stats, schema, str(serving), dialect, {"island": 0.2}, ["species"])
    assert [(r["split"], r["feature"], r["anomaly"]) for r in rows] == [
        ("train/serving", "island", "COMPARATOR_L_INFTY_HIGH")
    ]
    assert rows[0]["description"].endswith("(training vs serving)")
    # Without a skew bound, the default check finds it; the label, absent in SERVING, is
    # neither an anomaly nor compared.
    rows = skew_rows(stats, schema, str(serving), dialect, {}, ["species"])
    assert [(r["split"], r["feature"], r["anomaly"], r["severity"]) for r in rows] == [
        ("train/serving", "island", "DISTRIBUTION_SKEW", "ERROR")
    ]
    assert "'Torgersen' 33% -> 100%" in rows[0]["description"]
    assert "(training vs serving)" in rows[0]["description"]
    off = DefaultCheck("off")
    assert skew_rows(stats, schema, str(serving), dialect, {}, ["species"], off) == []


def test_a_split_with_no_examples_judges_nothing_and_stops_even_on_warn(tmp_path: Path) -> None:
    """Issue 31: a gate that judged nothing must not let the run go on as if it passed."""
    inputs, outputs = _artifacts(tmp_path, GOOD)
    stats = inputs["statistics"][0]
    empty = tfdv.generate_statistics_from_dataframe(GOOD.iloc[:0]).SerializeToString()
    _write_split_files(stats.uri, STATS_FILE, empty)
    with pytest.raises(AnomaliesFound) as caught:
        Executor().Do(inputs, outputs, {"on_anomaly": "warn", "severity": "{}"})
    assert {(r["split"], r["anomaly"]) for r in caught.value.rows} == {
        ("train", "NO_EXAMPLES"),
        ("eval", "NO_EXAMPLES"),
    }
    assert "nothing to validate" in format_error(caught.value)
    assert os.listdir(outputs["gated_schema"][0].uri) == []


def _approved_schema_of(tmp_path: Path, data: pd.DataFrame):
    """A schema of record inferred from ``data`` (a string domain for few distinct values)."""
    statistics = _statistics(tmp_path, "statistics", data)
    schema = standard_artifacts.Schema()
    schema.uri = str(tmp_path / "approved")
    os.makedirs(schema.uri)
    inferred = tfdv.infer_schema(tfdv.generate_statistics_from_dataframe(data))
    tfdv.write_schema_text(inferred, f"{schema.uri}/schema.pbtxt")
    schema.set_string_custom_property(APPROVED_STATISTICS_PROPERTY, statistics.uri)
    return schema


def test_open_ended_features_keep_no_value_domain(tmp_path: Path) -> None:
    """A date (or text, hash) feature gets a new value every day: with a domain inferred from
    the first run, the next one stopped on ENUM_TYPE_UNEXPECTED_STRING_VALUES. Open domains are
    dropped from the reference and from the schema of record the gate writes."""
    days = pd.DataFrame({"day": [f"2024-01-{d:02d}" for d in range(1, 11)] * 6, "mass": [3.5] * 60})
    later = pd.DataFrame(
        {"day": [f"2024-02-{d:02d}" for d in range(1, 11)] * 6, "mass": [3.5] * 60}
    )
    approved = _approved_schema_of(tmp_path / "first", days)
    assert tfdv.get_feature(tfdv.load_schema_text(f"{approved.uri}/schema.pbtxt"), "day").HasField(
        "domain_info"
    )
    props = {"on_anomaly": "fail", "severity": "{}", "drift_check": "off"}
    inputs, outputs = _artifacts(tmp_path / "second", later, baseline=approved)
    inputs["anomalies"] = _artifacts(tmp_path / "clean", GOOD)[0]["anomalies"]
    with pytest.raises(AnomaliesFound) as caught:  # the domain closed: the old behaviour
        Executor().Do(inputs, outputs, props)
    assert {r["anomaly"] for r in caught.value.rows} == {"ENUM_TYPE_UNEXPECTED_STRING_VALUES"}
    Executor().Do(inputs, outputs, {**props, "open_domains": json.dumps(["day"])})  # passes
    written = tfdv.load_schema_text(f"{outputs['gated_schema'][0].uri}/schema.pbtxt")
    assert not tfdv.get_feature(written, "day").HasField("domain_info")
