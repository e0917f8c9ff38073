"""A wide file (issue 28 probe): 1,500 generated columns of which the config uses four. With
data.columns: used the run ingests only those, and says nothing about width."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.pipeline_runs import run_pipeline

pytestmark = pytest.mark.slow

COLUMNS = 1_500


def _wide(folder: Path) -> list[str]:
    rng = random.Random(3)
    names = [f"{rng.choice(['probe', 'gene', 'px'])}_{i:04d}" for i in range(COLUMNS)]
    folder.mkdir(parents=True)
    lines = ["outcome," + ",".join(names)]
    for _ in range(150):
        positive = rng.random() < 0.5
        cells = [f"{rng.gauss(1.2 if positive and i < 3 else 0.0, 1):.2f}" for i in range(COLUMNS)]
        lines.append(("yes" if positive else "no") + "," + ",".join(cells))
    (folder / "wide.csv").write_text("\n".join(lines) + "\n")
    return names


def test_only_the_used_columns_are_ingested(tmp_path: Path) -> None:
    import tensorflow as tf

    names = _wide(tmp_path / "data")
    features = "".join(f"  - {{name: {n}, type: float, transform: zscore}}\n" for n in names[:4])
    config = tmp_path / "wide.yaml"
    config.write_text(
        f"name: wide\ndata: {{path: {tmp_path / 'data'}, columns: used}}\nfeatures:\n{features}"
        "label: {name: outcome}\ntraining: {train_steps: 20}\nevaluation: {bless: always}\n"
    )
    summary = tmp_path / "summary.json"
    result = run_pipeline(tmp_path / "ws", config=config, data=None, summary=summary)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "columns and the pipeline reads" not in result.stdout
    assert json.loads(summary.read_text())["run_id"]
    files = list((tmp_path / "ws").glob("wide/**/example_gen/**/Split-train/*.gz"))
    record = next(iter(tf.data.TFRecordDataset(files, compression_type="GZIP")))
    keys = set(tf.train.Example.FromString(record.numpy()).features.feature)
    assert keys <= {*names[:4], "outcome"} and "outcome" in keys
