"""LeakageGate executor: tf.Examples of a train split in, a verdict (or LeakageFound) out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from tfx.types import standard_artifacts

from tfxkit.components.leakage_gate import executor
from tfxkit.components.leakage_gate.verdict import LeakageFound, LeakageVerdict
from tfxkit.components.verdicts import read


def _example(row: dict) -> bytes:
    example = tf.train.Example()
    for key, value in row.items():
        feature = example.features.feature[key]
        if value is None:
            continue
        if isinstance(value, str):
            feature.bytes_list.value.append(value.encode())
        elif isinstance(value, int):
            feature.int64_list.value.append(value)
        else:
            feature.float_list.value.append(value)
    return example.SerializeToString()


def _rows(n: int = 600, seed: int = 0) -> list[dict]:
    """A deal table: 'won' decided by an honest score, a prize paid only when won (a leak)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        score = float(rng.normal())
        won = bool(score + rng.normal() > 0.8)
        rows.append(
            {
                "score": score,
                "region": str(rng.choice(["n", "s", "e"])),
                "ticket": f"t{i}",  # an id
                "prize": float(rng.uniform(10, 500)) if won else 0.0,
                "visits": int(rng.integers(0, 9)) if i % 13 else None,
                "outcome": "won" if won else "lost",
            }
        )
    return rows


def _artifacts(tmp_path: Path, rows: list[dict]) -> dict:
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "examples")
    examples.split_names = json.dumps(["train", "eval"])
    train = tmp_path / "examples" / "Split-train"
    train.mkdir(parents=True)
    with tf.io.TFRecordWriter(str(train / "data_tfrecord-00000-of-00001.gz"), "GZIP") as out:
        for row in rows:
            out.write(_example(row))
    statistics = standard_artifacts.ExampleStatistics()
    statistics.uri = str(tmp_path / "statistics")  # no files: the sample is the first rows
    statistics.split_names = json.dumps(["train", "eval"])
    schema = standard_artifacts.Schema()
    schema.uri = str(tmp_path / "schema")
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "schema.pbtxt").write_text('feature { name: "score" type: FLOAT }\n')
    gated = standard_artifacts.Schema()
    gated.uri = str(tmp_path / "gated")
    return {
        "inputs": {"examples": [examples], "statistics": [statistics], "schema": [schema]},
        "outputs": {"gated_schema": [gated]},
    }


def _settings(**overrides) -> dict:
    base = {
        "action": "warn",
        "features": ["score", "region", "ticket", "prize", "visits"],
        "label": "outcome",
        "derive": "",
        "label_columns": {},
        "task": "binary",
        "sample_rows": 50_000,
    }
    return {**base, **overrides}


def _run(artifacts: dict, settings: dict) -> None:
    executor.Executor().Do(
        artifacts["inputs"],
        artifacts["outputs"],
        {"settings": json.dumps(settings), "code_fingerprint": "x"},
    )


def test_warn_passes_the_schema_on_with_the_scores(tmp_path: Path) -> None:
    artifacts = _artifacts(tmp_path, _rows())
    _run(artifacts, _settings())
    [gated] = artifacts["outputs"]["gated_schema"]
    assert (tmp_path / "gated" / "schema.pbtxt").exists()
    assert sorted(p.name for p in (tmp_path / "gated").iterdir()) == ["schema.pbtxt"]
    assert not gated.has_custom_property("approved_statistics_uri")  # not a resolver's pick
    verdict = read(gated)
    assert isinstance(verdict, LeakageVerdict) and verdict.passed and verdict.judged
    assert verdict.rows == 600 and verdict.task == "binary"
    assert [row.column for row in verdict.leaking] == ["prize"]
    scores = {row.column: row for row in verdict.columns}
    assert scores["prize"].score >= 0.98
    assert 0.7 < scores["score"].score < 0.95  # predictive, honest
    assert scores["ticket"].score == pytest.approx(0.5)  # an id memorises nothing held out
    lines = verdict.lines()
    assert lines[0].startswith("leakage:   WARNING: 1 feature alone predicts the label")
    assert "validation.leakage: warn" in lines[0]
    assert lines[1].startswith("  'prize': alone it predicts the label (AUC 1.000")


def test_fail_stops_the_run_naming_the_column_and_its_score(tmp_path: Path) -> None:
    artifacts = _artifacts(tmp_path, _rows())
    with pytest.raises(LeakageFound) as caught:
        _run(artifacts, _settings(action="fail"))
    message = str(caught.value)
    assert message.startswith("target leakage (validation.leakage: fail): 1 feature alone ")
    assert "'prize': alone it predicts the label (AUC 1.000 on held-out rows)" in message
    assert caught.value.rows[0]["feature"] == "prize"
    assert caught.value.exit_code == 2
    assert not (tmp_path / "gated").exists()  # nothing passed on


def test_without_a_leak_fail_passes(tmp_path: Path) -> None:
    artifacts = _artifacts(tmp_path, _rows())
    _run(artifacts, _settings(action="fail", features=["score", "region", "ticket", "visits"]))
    verdict = read(artifacts["outputs"]["gated_schema"][0])
    assert verdict.passed and not verdict.leaking
    assert verdict.lines() == [
        "leakage:   no feature alone predicts the label (600 train rows, binary; the strongest "
        f"alone: score ({verdict.columns[0].describe()}))"
    ]


def test_a_derived_label_is_computed_from_its_columns(tmp_path: Path) -> None:
    artifacts = _artifacts(tmp_path, _rows())
    settings = _settings(label="", derive="outcome == 'won'", label_columns={"outcome": "outcome"})
    _run(artifacts, settings)
    verdict = read(artifacts["outputs"]["gated_schema"][0])
    assert [row.column for row in verdict.leaking] == ["prize"]


def test_label_positive_scores_one_value_against_the_rest(tmp_path: Path) -> None:
    rows = [
        {**row, "outcome": ("won", "draw")[i % 2] if row["outcome"] == "won" else "lost"}
        for i, row in enumerate(_rows())
    ]  # three values; the positive one is "lost"
    artifacts = _artifacts(tmp_path, rows)
    _run(artifacts, _settings(positive="lost"))
    verdict = read(artifacts["outputs"]["gated_schema"][0])
    assert verdict.task == "binary" and [row.column for row in verdict.leaking] == ["prize"]


def test_a_sample_is_spread_over_the_split(tmp_path: Path) -> None:
    rows = sorted(_rows(1000), key=lambda r: r["outcome"])  # sorted by label
    artifacts = _artifacts(tmp_path, rows)
    [examples] = artifacts["inputs"]["examples"]
    spread = executor.read_sample(examples, ["outcome", "nowhere"], total=1000, cap=100)
    assert len(spread["outcome"]) == 100
    assert set(spread["outcome"]) == {"lost", "won"}  # every 10th record: both classes
    assert np.isnan(spread["nowhere"]).all()
    first = executor.read_sample(examples, ["outcome"], total=None, cap=100)
    assert set(first["outcome"]) == {"lost"}


def test_too_small_a_sample_is_not_judged_and_passes(tmp_path: Path) -> None:
    artifacts = _artifacts(tmp_path, _rows(30))
    _run(artifacts, _settings(action="fail"))
    verdict = read(artifacts["outputs"]["gated_schema"][0])
    assert verdict.passed and not verdict.judged
    assert verdict.lines() == ["leakage:   not judged: 30 labelled rows, under 50"]
