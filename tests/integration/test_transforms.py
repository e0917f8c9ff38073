"""Every transform operation from config, and skew parity: for every row, the pushed model's
answer through its raw-feature signature (the Transform graph inside the model) equals its
answer on the examples TF Transform materialized with Beam (what it trained on), to 1e-5.

Raw palmerpenguins (344 rows, NA cells included) exercises each operation once: z-score with
clipping, log, quantile buckets, min-max, identity, a top-k vocabulary with OOV buckets,
hashing and a feature cross; generated reviews the text and date transforms.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests import real_data
from tests.pipeline_runs import executions, run_pipeline, sqlite_store

pytestmark = pytest.mark.slow

CONFIG = {
    "name": "transforms",
    "features": [
        {"name": "bill_length_mm", "type": "float", "transform": "zscore", "clip": [35, 55]},
        {"name": "bill_depth_mm", "type": "float", "transform": "log"},
        {"name": "flipper_length_mm", "type": "int", "transform": "bucketize", "buckets": 5},
        {"name": "body_mass_g", "type": "int", "transform": "minmax"},
        {"name": "year", "type": "int", "transform": "identity"},
        {"name": "island", "type": "string", "transform": "vocabulary", "top_k": 2,
         "oov_buckets": 2},
        {"name": "sex", "type": "string", "transform": "hash", "hash_buckets": 8},
    ],
    "crosses": [{"features": ["island", "sex"], "hash_buckets": 16}],
    "label": {"name": "species"},
    "training": {"train_steps": 120},
    "evaluation": {"thresholds": {"SparseCategoricalAccuracy": {"lower_bound": 0.5}}},
}  # fmt: skip


def _sorted_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix[np.lexsort(matrix.T[::-1])]


def _served_and_materialized(tmp_path: Path, config: dict, data: Path):
    """Run ``config`` on ``data``; the pushed model's answers for every row of the file through
    its raw-feature signature, and on every example Transform materialized (train + eval)."""
    import tensorflow as tf
    import tensorflow_transform as tft
    import tf_keras as keras

    from tfxkit.config.pipeline_config import load_config
    from tfxkit.metadata.store import output_artifacts

    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump({**config, "data": {"path": str(data)}}))
    summary_path = tmp_path / "summary.json"
    result = run_pipeline(
        tmp_path / "ws", pipeline=None, config=config_path, data=None, summary=summary_path
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    assert summary["pushed_path"], summary

    loaded = load_config(config_path, [f"workspace={tmp_path / 'ws'}"])
    rows = [row for _, row in real_data.raw_rows(loaded)]
    raw, _ = real_data.serve_both(summary["pushed_path"], loaded, rows)

    name = config["name"]
    store = sqlite_store(tmp_path / "ws" / name / "metadata.sqlite")
    transform = executions(tmp_path / "ws", name, summary["run_id"])["transform"]
    [graph] = output_artifacts(store, transform.execution_id, "TransformGraph")
    [examples] = output_artifacts(store, transform.execution_id, "Examples")
    spec = tft.TFTransformOutput(graph.uri).transformed_feature_spec()
    files = sorted(str(p) for p in Path(examples.uri).glob("Split-*/*.gz"))
    model = keras.models.load_model(summary["pushed_path"])
    names = list(model.input.keys())
    batch = list(tf.data.TFRecordDataset(files, compression_type="GZIP").batch(100_000))[0]
    parsed = tf.io.parse_example(batch, spec)
    inputs = {}
    for key in names:
        value = parsed[key]
        value = tf.sparse.to_dense(value) if isinstance(value, tf.SparseTensor) else value
        inputs[key] = tf.reshape(value, [-1, 1]) if value.shape.rank == 1 else value
    return summary, raw, model(inputs).numpy(), inputs


def test_every_transform_runs_and_serving_matches_the_materialized_transform(
    tmp_path: Path,
) -> None:
    data = real_data.palmer_penguins(tmp_path / "data")
    _, raw, materialized, dense = _served_and_materialized(tmp_path, CONFIG, data)
    assert raw["probabilities"].shape == materialized.shape == (344, 3)
    np.testing.assert_allclose(
        _sorted_rows(raw["probabilities"]), _sorted_rows(materialized), atol=1e-5
    )
    # Each operation produced what it promises (ids within their ranges).
    assert set(dense) >= {"island_xf", "sex_xf", "cross_island_x_sex_xf", "flipper_length_mm_xf"}
    assert int(np.max(dense["flipper_length_mm_xf"])) <= 4
    assert int(np.max(dense["island_xf"])) <= 3  # top 2 + 2 OOV buckets
    assert int(np.max(dense["cross_island_x_sex_xf"])) < 16


GOOD, BAD = ["great", "tasty", "friendly", "fresh"], ["cold", "rude", "slow", "stale"]


def _visit(rng, index: int) -> str:
    """When the review was written, spelt as dates are in CSV files (issue 22 #8): a date, a
    date and time, an ISO timestamp; some missing, some not dates at all."""
    import datetime

    when = datetime.datetime(2022, 1, 1) + datetime.timedelta(minutes=rng.randrange(1_000_000))
    if index % 31 == 0:
        return ""
    if index % 37 == 0:
        return rng.choice(["soon", "2023-02-30", "31/01/2023"])  # unparseable: zeros
    return when.strftime(rng.choice(["%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%SZ"]))


def _reviews(target: Path, rows: int = 600) -> Path:
    """Short reviews; the label is 1 when good words outnumber bad ones (some rows empty)."""
    import csv
    import random

    rng = random.Random(5)
    target.mkdir(parents=True)
    with (target / "reviews.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review", "stars_given", "visited at", "liked"])
        for index in range(rows):
            words = rng.choices(GOOD + BAD + ["the", "food", "was", "and"], k=rng.randint(2, 12))
            if index % 50 == 0:
                words = []  # a missing review
            score = sum(w in GOOD for w in words) - sum(w in BAD for w in words)
            text = " ".join(w.upper() if rng.random() < 0.2 else w for w in words)
            writer.writerow([text, rng.randint(1, 5), _visit(rng, index), int(score > 0)])
    return target


def test_text_and_dates_are_transformed_and_serving_matches_the_materialized_transform(
    tmp_path: Path,
) -> None:
    """Text to word ids; a date column (a name with a space, several spellings, missing and
    unparseable values) to its seven parts: the served model takes the raw strings."""
    config = {
        "name": "reviews",
        "features": [
            {"name": "review", "type": "string", "transform": "text", "max_tokens": 8},
            {"name": "stars_given", "type": "int", "transform": "zscore"},
            {
                "name": "visited at",
                "type": "string",
                "transform": "date",
                "missing": {"indicator": True},
            },
        ],
        "label": {"name": "liked", "type": "int", "task": "binary"},
        "model": {"embedding_dim": 8},
        "training": {"train_steps": 300},
        "evaluation": {"thresholds": {"AUC": {"lower_bound": 0.8}}},
    }
    summary, raw, materialized, dense = _served_and_materialized(
        tmp_path, config, _reviews(tmp_path / "data")
    )
    assert summary["blessed"] is True, summary["blessing_failures"]  # it learned the words
    assert dense["review_xf"].shape[1] == 8  # ids + 1, 0-padded to max_tokens
    dates = dense["visited_at_xf"].numpy()
    assert dates.shape[1] == 7  # (sin, cos) of day of week, month, hour; z-scored days
    parsed = np.abs(dates).sum(axis=1) > 0
    assert 0.85 < parsed.mean() < 0.99  # missing and unparseable values: zeros
    assert abs(dates[parsed, 6].mean()) < 0.2 and 0.8 < dates[parsed, 6].std() < 1.2
    assert int(dense["visited_at_missing_xf"].numpy().sum()) > 0
    served = raw["probabilities"]  # binary: [P(other), P(positive)] per row
    served = served[:, -1] if served.ndim == 2 else served
    np.testing.assert_allclose(np.sort(served), np.sort(materialized.reshape(-1)), atol=1e-5)
