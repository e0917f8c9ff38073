"""The gate's default drift check on real TFDV statistics of the penguins: the issue's tenfold
feature stops the run with no configuration, resamples of the same data pass, and the ways
to accept or switch off an expected change work."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tensorflow_data_validation as tfdv
from tfx.types import artifact_utils, standard_artifacts

from tfxkit.components.anomaly_gate.executor import (
    ANOMALIES_FILE,
    APPROVED_STATISTICS_PROPERTY,
    STATS_FILE,
    Executor,
)
from tfxkit.components.anomaly_gate.shift import DRIFT, MEASURE_ONLY, DefaultCheck, measuring
from tfxkit.components.anomaly_gate.verdict import AnomalyVerdict
from tfxkit.datasets.penguins import data_dir
from tfxkit.errors import AnomaliesFound, format_error

PENGUINS = pd.read_csv(data_dir() / "penguins.csv")
FAIL = {"on_anomaly": "fail", "severity": "{}"}


def _tenfold(frame: pd.DataFrame, column: str = "body_mass_g") -> pd.DataFrame:
    return frame.assign(**{column: frame[column] * 10})


def _resample(seed: int, n: int = len(PENGUINS)) -> pd.DataFrame:
    return PENGUINS.sample(n, replace=True, random_state=seed).reset_index(drop=True)


def _statistics(uri: Path, frame: pd.DataFrame) -> standard_artifacts.ExampleStatistics:
    """Per-split statistics as StatisticsGen writes them: two thirds train, a third eval."""
    stats = standard_artifacts.ExampleStatistics()
    stats.uri = str(uri)
    stats.split_names = artifact_utils.encode_split_names(["train", "eval"])
    rows = np.arange(len(frame)) % 3
    for split, part in (("train", frame[rows != 0]), ("eval", frame[rows == 0])):
        os.makedirs(uri / f"Split-{split}")
        proto = tfdv.generate_statistics_from_dataframe(part.reset_index(drop=True))
        (uri / f"Split-{split}" / STATS_FILE).write_bytes(proto.SerializeToString())
    return stats


def _run(tmp_path: Path, name: str, frame: pd.DataFrame, baseline=None, **props) -> tuple:
    """One gate execution on ``frame``; returns (its gated schema, the verdict)."""
    base = tmp_path / name
    statistics = _statistics(base / "statistics", frame)
    schema_proto = tfdv.infer_schema(tfdv.generate_statistics_from_dataframe(frame))
    anomalies = standard_artifacts.ExampleAnomalies()
    anomalies.uri = str(base / "anomalies")
    anomalies.split_names = statistics.split_names
    for split in ("train", "eval"):
        os.makedirs(base / "anomalies" / f"Split-{split}")
        (base / "anomalies" / f"Split-{split}" / ANOMALIES_FILE).write_bytes(b"")
    schema = standard_artifacts.Schema()
    schema.uri = str(base / "schema")
    os.makedirs(schema.uri)
    tfdv.write_schema_text(schema_proto, f"{schema.uri}/schema.pbtxt")
    gated = standard_artifacts.Schema()
    gated.uri = str(base / "gated")
    os.makedirs(gated.uri)
    inputs = {"statistics": [statistics], "anomalies": [anomalies], "schema": [schema]}
    if baseline is not None:
        inputs["baseline_schema"] = [baseline]
    verdict = Executor().decide(inputs, {"gated_schema": [gated]}, {**FAIL, **props})
    return gated, verdict


@pytest.fixture(scope="module")
def approved(tmp_path_factory) -> standard_artifacts.Schema:
    """The first run on the penguins: its schema names the statistics it approved."""
    gated, verdict = _run(tmp_path_factory.mktemp("approved"), "first", PENGUINS)
    assert gated.has_custom_property(APPROVED_STATISTICS_PROPERTY) and not verdict.warnings
    return gated


def test_a_tenfold_feature_stops_the_run_with_no_configuration(tmp_path, approved) -> None:
    """Issue 28: this run used to pass the gate, train, bless and be pushed."""
    with pytest.raises(AnomaliesFound) as caught:
        _run(tmp_path, "tenfold", _tenfold(PENGUINS), approved)
    rows = caught.value.rows
    assert {(r["split"], r["feature"], r["anomaly"]) for r in rows} == {
        ("train", "body_mass_g", DRIFT),
        ("eval", "body_mass_g", DRIFT),
    }
    text = rows[0]["description"]
    assert text.startswith("major shift: PSI ") and " >= 0.25 and KS 1.00 > " in text
    assert "mean 4195 -> 41950, Wasserstein 47.4 std" in text
    assert "TFDV JSD " in text and "(vs the last approved run)" in text
    assert "approve it: run once with validation.severity: {body_mass_g: warn}" in text
    assert "nothing was trained or pushed" in format_error(caught.value)
    # drift alone is no schema change: the hint does not send the user to `schema accept`
    assert "approve it as each row says" in format_error(caught.value)
    assert "`tfxkit schema accept` has nothing to accept" in format_error(caught.value)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_resample_of_the_same_data_passes_without_a_warning(tmp_path, approved, seed) -> None:
    _, verdict = _run(tmp_path, "resample", _resample(seed), approved)
    assert verdict.passed and verdict.warnings == []


def test_a_large_resample_passes_and_a_large_tenfold_one_fails(tmp_path, approved) -> None:
    """5,000 rows against the 333 approved: the bounds follow the smaller sample."""
    _, verdict = _run(tmp_path, "large", _resample(7, 5000), approved)
    assert verdict.warnings == []
    with pytest.raises(AnomaliesFound, match="body_mass_g"):
        _run(tmp_path, "large_tenfold", _tenfold(_resample(8, 5000)), approved)


def test_a_new_dominant_category_and_a_label_shift_fail(tmp_path, approved) -> None:
    frame = PENGUINS.copy()
    frame.loc[frame.index % 2 == 0, "island"] = "Biscoe"
    frame.loc[frame.index % 2 == 1, "species"] = "Gentoo"
    with pytest.raises(AnomaliesFound) as caught:
        _run(tmp_path, "islands", frame, approved)
    found = {(r["feature"], r["anomaly"]) for r in caught.value.rows}
    assert found == {("island", DRIFT), ("species", DRIFT)}
    text = next(r["description"] for r in caught.value.rows if r["feature"] == "island")
    assert "chi-square" in text and "'Biscoe'" in text and "TFDV L-inf " in text


def test_warn_and_off_and_the_checked_features(tmp_path, approved) -> None:
    tenfold = _tenfold(PENGUINS)
    _, warned = _run(tmp_path, "warn", tenfold, approved, drift_check="warn")
    assert {(w.feature, w.anomaly, w.severity) for w in warned.warnings} == {
        ("body_mass_g", DRIFT, "WARNING")
    }
    _, off = _run(tmp_path, "off", tenfold, approved, drift_check="off")
    assert off.warnings == []
    _, unchecked = _run(tmp_path, "unchecked", tenfold, approved, checked=json.dumps(["island"]))
    assert unchecked.warnings == []


def test_an_approved_change_becomes_the_next_runs_baseline(tmp_path, approved) -> None:
    tenfold = _tenfold(PENGUINS)
    accept = json.dumps({"body_mass_g": "warn"})
    gated, verdict = _run(tmp_path, "accept", tenfold, approved, severity=accept)
    assert isinstance(verdict, AnomalyVerdict) and {w.feature for w in verdict.warnings} == {
        "body_mass_g"
    }
    # The next run of the same kind of data is compared with the accepted one: no shift.
    _, after = _run(tmp_path, "after", _tenfold(_resample(3)), gated)
    assert after.warnings == []


def test_a_moderate_shift_warns_and_the_run_goes_on(tmp_path) -> None:
    """0.3 standard deviations in 3,000 rows per run is real but moderate: a warning."""
    rng = np.random.default_rng(11)
    first = pd.DataFrame({"x": rng.normal(size=3000)})
    gated, _ = _run(tmp_path, "first", first)
    moved = pd.DataFrame({"x": rng.normal(0.3, 1, size=3000)})
    _, verdict = _run(tmp_path, "moved", moved, gated)
    assert [(w.split, w.feature, w.severity) for w in verdict.warnings] == [
        ("train", "x", "WARNING"),
        ("eval", "x", "WARNING"),
    ]
    for warning in verdict.warnings:
        assert warning.description.startswith("moderate shift: PSI ")
        assert "approve it" not in warning.description  # the run goes on: nothing to approve


def test_measuring_comparators_never_fire_and_keep_configured_bounds() -> None:
    schema = tfdv.infer_schema(tfdv.generate_statistics_from_dataframe(PENGUINS))
    tfdv.get_feature(schema, "island").drift_comparator.infinity_norm.threshold = 0.1
    measured = measuring(schema, ["island", "body_mass_g"])
    assert tfdv.get_feature(measured, "island").drift_comparator.infinity_norm.threshold == 0.1
    mass = tfdv.get_feature(measured, "body_mass_g").drift_comparator
    assert mass.jensen_shannon_divergence.threshold == MEASURE_ONLY
    assert not tfdv.get_feature(schema, "body_mass_g").HasField("drift_comparator")
    assert DefaultCheck("off").judged(["a"], {}) == []
    assert DefaultCheck("fail", ("a", "b")).judged(["a", "b", "c"], {"b": 0.1}) == ["a"]


def test_a_column_the_approved_statistics_lack_is_not_a_comparator_anomaly(tmp_path) -> None:
    """A schema acceptance adds a column but keeps the approved statistics (which lack it):
    the default check has nothing to compare it with, and says nothing."""
    gated, _ = _run(tmp_path, "without_sex", PENGUINS.drop(columns=["sex"]))
    accepted = tfdv.infer_schema(tfdv.generate_statistics_from_dataframe(PENGUINS))
    tfdv.write_schema_text(accepted, f"{gated.uri}/schema.pbtxt")
    _, verdict = _run(tmp_path, "with_sex", PENGUINS, gated)
    assert verdict.passed and verdict.warnings == []
