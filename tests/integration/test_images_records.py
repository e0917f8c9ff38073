"""Images from TFRecord files (issue 23): tf.Examples holding encoded PNG bytes and a label,
through the standard pipeline (validation with TFDV's image domain, Transform decoding them,
a CNN trained, evaluated and pushed), as a folder tree goes; and a record whose image is cut
short stopping the run with one clear error naming the file and the record, nothing pushed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.test_images import COLOURS, _png
from tests.pipeline_runs import run_pipeline, versions

pytestmark = pytest.mark.slow

CONFIG = """\
name: records
data: {path: DATA, format: images, images: {size: [16, 16], channels: 3}}
label: {name: label}
model: {type: cnn, conv_filters: [8, 16], hidden_units: [16], learning_rate: 0.01}
training: {epochs: 2, train_steps: 40, eval_steps: 4, batch_size: 16}
evaluation: {thresholds: {SparseCategoricalAccuracy: {lower_bound: 0.9}}}
runner: {beam: {mode: in_memory}}
"""


def _record(image: bytes, label: str) -> bytes:
    import tensorflow as tf

    feature = {
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[image])),
        "label": tf.train.Feature(bytes_list=tf.train.BytesList(value=[label.encode()])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _write(folder: Path, spoil: int | None = None) -> None:
    """Three files of 60 records, the classes mixed; gzipped one in three. ``spoil``: the
    record whose PNG is cut short."""
    import tensorflow as tf

    folder.mkdir(parents=True, exist_ok=True)
    rows = [(colour, i) for i in range(60) for colour in COLOURS]
    for part in range(3):
        name = f"part-{part}.tfrecord" + (".gz" if part == 2 else "")
        options = tf.io.TFRecordOptions(compression_type="GZIP" if part == 2 else "")
        with tf.io.TFRecordWriter(str(folder / name), options) as writer:
            for index, (colour, i) in enumerate(rows[part::3]):
                image = _png(colour, seed=i * 3 + COLOURS[colour])
                if part == 0 and index == spoil:
                    image = image[: len(image) // 2]
                writer.write(_record(image, colour))


def _setup(tmp_path: Path, spoil: int | None = None) -> tuple[Path, Path]:
    data = tmp_path / "records"
    _write(data, spoil)
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.replace("DATA", str(data)))
    return data, config


def test_tfrecords_of_images_to_a_pushed_cnn(tmp_path: Path) -> None:
    import tensorflow as tf

    _, config = _setup(tmp_path)
    ws, summary_path = tmp_path / "ws", tmp_path / "summary.json"
    result = run_pipeline(ws, pipeline=None, config=config, data=None, summary=summary_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    nodes = {n["node_id"]: n["status"] for n in summary["nodes"]}
    for node in ("example_gen", "statistics_gen", "anomaly_gate", "transform", "trainer"):
        assert nodes[node] == "finished", nodes
    assert summary["blessed"] is True and summary["pushed_path"]
    assert summary["metrics"]["sparse_categorical_accuracy"] >= 0.9

    root = ws / "records" / "pipeline_root"
    (schema_dir,) = (root / "schema_gen" / "schema").iterdir()
    assert "image_domain" in (schema_dir / "schema.pbtxt").read_text()  # TFDV saw images

    (version,) = versions(ws / "serving" / "records")
    model = tf.saved_model.load(str(ws / "serving" / "records" / str(version)))
    images = [_png(colour, seed=5000 + i) for i, colour in enumerate(COLOURS)]
    answer = model.signatures["serving_default"](image=tf.constant(images))
    classes = [c.decode() for c in answer["classes"].numpy()]
    assert classes == list(COLOURS)
    np.testing.assert_allclose(answer["probabilities"].numpy().sum(axis=1), 1.0, atol=1e-5)


def test_a_cut_image_inside_a_record_stops_the_run(tmp_path: Path) -> None:
    data, config = _setup(tmp_path, spoil=5)
    ws = tmp_path / "ws"
    result = run_pipeline(ws, pipeline=None, config=config, data=None)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-3000:]
    assert f"{data / 'part-0.tfrecord'}: record 5: unreadable image" in output
    assert "Traceback" not in output
    assert not (ws / "serving").exists() or not any((ws / "serving").rglob("saved_model.pb"))
