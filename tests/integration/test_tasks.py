"""Binary (derived label; a column with label.positive) and regression pipelines end to end,
from config alone.

Each pushes a model whose raw-feature serving answer equals the in-process prediction for the
same rows through the tf.Example signature (what the Evaluator scored), and whose output names
match the task. Multiclass is covered by the penguin end-to-end test.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.paths import PENGUIN_DATA
from tests.pipeline_runs import run_pipeline

pytestmark = pytest.mark.slow

FEATURES = """\
features:
  - {name: bill_length_mm, type: float, transform: zscore}
  - {name: flipper_length_mm, type: int, transform: zscore}
  - {name: island, type: string, transform: vocabulary}
training: {train_steps: 150}
"""
BINARY = f"""\
name: heavy
data: {{path: {PENGUIN_DATA}}}
{FEATURES}label: {{name: heavy, derive: "body_mass_g > 4000 and sex == 'male'"}}
evaluation: {{thresholds: {{AUC: {{lower_bound: 0.6}}}}}}
"""
ONE_VS_REST = f"""\
name: gentoo
data: {{path: {PENGUIN_DATA}}}
{FEATURES}label: {{name: species, task: binary, positive: Gentoo}}
evaluation: {{thresholds: {{AUC: {{lower_bound: 0.6}}}}}}
"""
REGRESSION = f"""\
name: mass
data: {{path: {PENGUIN_DATA}}}
{FEATURES}label: {{name: body_mass_g, type: int, task: regression}}
evaluation: {{thresholds: {{RootMeanSquaredError: {{upper_bound: 800}}}}}}
"""


def _rows(n: int = 8) -> list[dict]:
    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        return list(csv.DictReader(handle))[::40][:n]


def _examples(rows: list[dict]) -> list[bytes]:
    import tensorflow as tf

    out = []
    for row in rows:
        example = tf.train.Example()
        example.features.feature["bill_length_mm"].float_list.value.append(
            float(row["bill_length_mm"])
        )
        example.features.feature["flipper_length_mm"].int64_list.value.append(
            int(row["flipper_length_mm"])
        )
        example.features.feature["island"].bytes_list.value.append(row["island"].encode())
        out.append(example.SerializeToString())
    return out


def _run(tmp_path: Path, text: str) -> dict:
    config = tmp_path / "config.yaml"
    config.write_text(text)
    summary = tmp_path / "summary.json"
    result = run_pipeline(tmp_path / "ws", config=config, data=None, summary=summary)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads(summary.read_text())


def _serve(model_dir: str, rows: list[dict]):
    import tensorflow as tf

    model = tf.saved_model.load(model_dir)
    raw = model.signatures["serving_default"](
        bill_length_mm=tf.constant([float(r["bill_length_mm"]) for r in rows], tf.float64),
        flipper_length_mm=tf.constant([float(r["flipper_length_mm"]) for r in rows], tf.float64),
        island=tf.constant([r["island"] for r in rows]),
    )
    examples = model.signatures["serving_examples"](examples=tf.constant(_examples(rows)))
    return raw, examples


def test_binary_task_with_a_derived_label(tmp_path: Path) -> None:
    summary = _run(tmp_path, BINARY)
    assert summary["blessed"] is True, summary["blessing_failures"]
    assert {"auc", "binary_accuracy", "precision", "recall", "calibration"} <= set(
        summary["metrics"]
    )
    rows = _rows()
    raw, examples = _serve(summary["pushed_path"], rows)
    assert set(raw) == {"probabilities", "classes", "class_names"}
    probabilities = raw["probabilities"].numpy()
    assert probabilities.shape == (len(rows), 2)  # [P(false), P(true)], named by class_names
    assert raw["class_names"].numpy()[0].tolist() == [b"false", b"true"]
    positive = probabilities[:, 1]
    assert abs(positive - examples["probabilities"].numpy().reshape(-1)).max() < 1e-5
    assert abs(probabilities.sum(axis=1) - 1).max() < 1e-6
    predicted = [b"true" if p > 0.5 else b"false" for p in positive]
    assert raw["classes"].numpy().tolist() == predicted  # the predicted class, not the positive


def test_regression_task(tmp_path: Path) -> None:
    summary = _run(tmp_path, REGRESSION)
    assert summary["blessed"] is True, summary["blessing_failures"]
    assert summary["metrics"]["root_mean_squared_error"] < 800
    rows = _rows()
    raw, examples = _serve(summary["pushed_path"], rows)
    assert set(raw) == {"predictions"}
    predictions = raw["predictions"].numpy()
    assert abs(predictions - examples["predictions"].numpy().reshape(-1)).max() < 1e-3
    truth = [float(r["body_mass_g"]) for r in rows]
    error = sum(abs(p - t) for p, t in zip(predictions, truth, strict=True)) / len(rows)
    assert error < 800, (predictions, truth)


def test_binary_task_with_a_chosen_positive_value(tmp_path: Path) -> None:
    """label.positive: Gentoo is class 1 and every other species 0, whatever the frequencies
    (Gentoo is not the rarer species, so the default rule would have picked another)."""
    summary = _run(tmp_path, ONE_VS_REST)
    assert summary["blessed"] is True, summary["blessing_failures"]
    rows = [r for r in _rows(40)]
    raw, _ = _serve(summary["pushed_path"], rows)
    assert set(raw["classes"].numpy().tolist()) <= {b"not Gentoo", b"Gentoo"}
    assert raw["class_names"].numpy()[0].tolist() == [b"not Gentoo", b"Gentoo"]
    probability = raw["probabilities"].numpy()[:, 1]  # P(Gentoo)
    gentoo = [p for p, r in zip(probability, rows, strict=True) if r["species"] == "Gentoo"]
    others = [p for p, r in zip(probability, rows, strict=True) if r["species"] != "Gentoo"]
    assert gentoo and others and min(gentoo) > max(others) - 0.5
    assert sum(gentoo) / len(gentoo) > 0.5 > sum(others) / len(others)
