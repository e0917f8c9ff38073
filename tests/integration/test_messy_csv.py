"""Messy data end to end: a minimal config (only the required keys) on a CSV with empty cells in
feature and non-feature columns and a column whose name is not a valid TF name. It must run
with every default, push a model, and serve rows with missing values."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from tests.paths import PENGUIN_DATA
from tests.pipeline_runs import executions, run_pipeline, versions

pytestmark = pytest.mark.slow

MINIMAL_CONFIG = """\
name: messy
data: {path: DATA}
features:
  - {name: bill length (mm), type: float, transform: zscore}
  - {name: flipper_length_mm, type: int, transform: zscore}
  - {name: island, type: string, transform: vocabulary}
  - {name: sex, type: string, transform: vocabulary, missing: {indicator: true}}
label: {name: species}
"""


def _messy_copy(target: Path) -> list[dict]:
    """Penguins with blanks in features and in an unused column, and a renamed column."""
    rng = random.Random(7)
    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["bill length (mm)"] = row.pop("bill_length_mm")
        row["notes"] = "" if rng.random() < 0.5 else "seen twice"  # unused, often empty
        for column in ("bill length (mm)", "sex", "body_mass_g"):
            if rng.random() < 0.1:
                row[column] = ""
        if rng.random() < 0.05:
            row["species"] = ""  # a missing label: weight 0, never a class of its own
    target.mkdir(parents=True)
    with (target / "penguins.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


@pytest.fixture(scope="module")
def messy_run(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("messy")
    rows = _messy_copy(base / "data")
    config = base / "messy.yaml"
    config.write_text(MINIMAL_CONFIG.replace("DATA", str(base / "data")))
    summary = base / "summary.json"
    result = run_pipeline(
        base / "ws", "--set", "training.train_steps=60", config=config, data=None, summary=summary
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return {"base": base, "rows": rows, "summary": json.loads(summary.read_text())}


def test_minimal_config_runs_every_component(messy_run: dict) -> None:
    summary = messy_run["summary"]
    states = {
        n: e.state
        for n, e in executions(messy_run["base"] / "ws", "messy", summary["run_id"]).items()
    }
    assert states["trainer"] == states["evaluator"] == "COMPLETE", states
    assert summary["metrics"]["example_count"] > 50
    if summary["blessed"]:
        assert versions(messy_run["base"] / "ws" / "serving" / "messy") == [1]


def test_serves_rows_with_missing_values_by_column_key(messy_run: dict) -> None:
    import tensorflow as tf

    model_dir = summary_model_dir(messy_run)
    serve = tf.saved_model.load(model_dir).signatures["serving_default"]
    assert set(serve.structured_input_signature[1]) == {
        "bill_length__mm_",
        "flipper_length_mm",
        "island",
        "sex",
    }
    out = serve(
        bill_length__mm_=tf.constant([float("nan"), 46.1], tf.float64),
        flipper_length_mm=tf.constant([190.0, 211.0], tf.float64),
        island=tf.constant(["Dream", ""]),
        sex=tf.constant(["", "female"]),
    )
    probabilities = out["probabilities"].numpy()
    assert probabilities.shape == (2, 3) and abs(probabilities.sum(axis=1) - 1).max() < 1e-4


def summary_model_dir(messy_run: dict) -> str:
    """The pushed model, or the trained one when the tiny run was not blessed."""
    if messy_run["summary"]["pushed_path"]:
        return messy_run["summary"]["pushed_path"]
    root = messy_run["base"] / "ws" / "messy" / "pipeline_root" / "trainer" / "model"
    return str(next(root.glob("*/Format-Serving")))
