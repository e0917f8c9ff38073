"""Every transform operation from config, and skew parity: for every row, the pushed model's
answer through its raw-feature signature (the Transform graph inside the model) equals its
answer on the examples TF Transform materialized with Beam (what it trained on), to 1e-5.

Raw palmerpenguins (344 rows, NA cells included) exercises each operation once: z-score with
clipping, log, quantile buckets, min-max, identity, a top-k vocabulary with OOV buckets,
hashing and a feature cross.
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


def test_every_transform_runs_and_serving_matches_the_materialized_transform(
    tmp_path: Path,
) -> None:
    import tensorflow as tf
    import tensorflow_transform as tft
    import tf_keras as keras

    from tfxkit.config import load_config
    from tfxkit.metadata import output_artifacts

    data = real_data.palmer_penguins(tmp_path / "data")
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump({**CONFIG, "data": {"path": str(data)}}))
    summary_path = tmp_path / "summary.json"
    result = run_pipeline(
        tmp_path / "ws", pipeline=None, config=config_path, data=None, summary=summary_path
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    assert summary["pushed_path"], summary

    # Through the served model's raw-feature signature, every row of the file.
    config = load_config(config_path, [f"workspace={tmp_path / 'ws'}"])
    rows = [row for _, row in real_data.raw_rows(config)]
    raw, _ = real_data.serve_both(summary["pushed_path"], config, rows)

    # Through the examples Transform materialized (train + eval: every row), fed to the model.
    store = sqlite_store(tmp_path / "ws" / "transforms" / "metadata.sqlite")
    transform = executions(tmp_path / "ws", "transforms", summary["run_id"])["transform"]
    [graph] = output_artifacts(store, transform.execution_id, "TransformGraph")
    [examples] = output_artifacts(store, transform.execution_id, "Examples")
    spec = tft.TFTransformOutput(graph.uri).transformed_feature_spec()
    files = sorted(str(p) for p in Path(examples.uri).glob("Split-*/*.gz"))
    model = keras.models.load_model(summary["pushed_path"])
    names = list(model.input.keys())
    parsed = tf.io.parse_example(
        list(tf.data.TFRecordDataset(files, compression_type="GZIP").batch(1000))[0], spec
    )
    dense = {k: tf.reshape(tf.sparse.to_dense(v) if isinstance(v, tf.SparseTensor) else v,
                           [-1, 1]) for k, v in parsed.items() if k in names}  # fmt: skip
    materialized = model(dense).numpy()

    assert raw["probabilities"].shape == materialized.shape == (344, 3)
    np.testing.assert_allclose(
        _sorted_rows(raw["probabilities"]), _sorted_rows(materialized), atol=1e-5
    )
    # Each operation produced what it promises (ids within their ranges).
    assert set(names) >= {"island_xf", "sex_xf", "cross_island_x_sex_xf", "flipper_length_mm_xf"}
    assert int(tf.reduce_max(dense["flipper_length_mm_xf"])) <= 4
    assert int(tf.reduce_max(dense["island_xf"])) <= 3  # top 2 + 2 OOV buckets
    assert int(tf.reduce_max(dense["cross_island_x_sex_xf"])) < 16
