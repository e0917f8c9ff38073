"""Images from a folder tree end to end, as a user runs them: ingest, statistics with TFDV's
image domain, a schema, the anomaly gate; the standard pipeline from the folder to a pushed
CNN served by ``tfxkit serve`` to base64 requests; a corrupted image stopping the run before
anything is written; and a batch of another size stopping at the gate. First, how the stages
wire an image config (no run).

180 images of 8x8 pixels for validation, not fewer: TFDV computes image statistics for a
feature only from 100 values of a split on (``ImageStatsGenerator``'s threshold), so the train
split needs 100. The served run uses 150 coloured 16x16 images: statistics are not its point.
"""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.paths import REPO
from tests.pipeline_runs import run_pipeline, versions
from tfxkit.components.image_example_gen import component
from tfxkit.config.pipeline_config import validate_config

CONFIG = """\
name: shapes
data: {path: DATA, format: images}
label: {name: label}
evaluation: {thresholds: {SparseCategoricalAccuracy: {lower_bound: 0.5}}}
runner: {beam: {mode: in_memory}}
"""

VALIDATE_ONLY = """\
from tfxkit import PipelineBuilder


def create_pipeline(config):
    p = PipelineBuilder(config)
    p.validate(p.ingest())
    return p
"""
CLASSES = ("circle", "square", "triangle")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _images(root: Path, size: int = 8, per_class: int = 60) -> Path:
    """``root/<class>/<class>_NN.png``, grayscale, each class its own range of shades."""
    from PIL import Image

    for index, name in enumerate(CLASSES):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            buffer = io.BytesIO()
            Image.new("L", (size, size), index * 80 + i).save(buffer, format="PNG")
            (folder / f"{name}_{i:02d}.png").write_bytes(buffer.getvalue())
    return root


def _setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    data = _images(tmp_path / "shapes")
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.replace("DATA", str(data)))
    pipeline = tmp_path / "validate_only.py"
    pipeline.write_text(VALIDATE_ONLY)
    return data, config, pipeline


def _only(folder: Path) -> Path:
    (latest,) = folder.iterdir()
    return latest


def _statistics(root: Path, split: str):
    from tensorflow_metadata.proto.v0 import statistics_pb2

    path = _only(root / "statistics_gen" / "statistics") / f"Split-{split}" / "FeatureStats.pb"
    (dataset,) = statistics_pb2.DatasetFeatureStatisticsList.FromString(path.read_bytes()).datasets
    return dataset


def _first_example(root: Path):
    import tensorflow as tf

    files = [str(p) for p in (_only(root / "example_gen" / "examples") / "Split-train").iterdir()]
    record = next(iter(tf.data.TFRecordDataset(files, compression_type="GZIP")))
    return tf.train.Example.FromString(record.numpy()).features.feature


# ---------------------------------------------------------------- the stages, built


def _config(**extra):
    data = {"path": "/data/shapes", "format": "images"}
    rule = {"thresholds": {"SparseCategoricalAccuracy": {"lower_bound": 0.5}}}
    base = {"name": "shapes", "data": data, "label": {"name": "label"}, "evaluation": rule}
    return validate_config({**base, **extra})


def _build(config, standard: bool):
    from tfxkit.pipeline.dsl import PipelineBuilder, standard_pipeline

    if standard:
        return standard_pipeline(config)
    builder = PipelineBuilder(config)
    builder.validate(builder.ingest())
    return builder


def test_validate_only_images_pipeline_has_image_statistics() -> None:
    builder = _build(_config(label={"name": "shape"}), standard=False)
    assert builder.node_ids() == [
        "example_gen",
        "statistics_gen",
        "schema_gen",
        "example_validator",
        "latest_approved_schema_resolver",
        "anomaly_gate",
    ]  # no leakage gate: there is no feature to score
    nodes = {node.id: node for node in builder.components}
    assert isinstance(nodes["example_gen"], component.ImageExampleGen)
    assert nodes["example_gen"].exec_properties["label_key"] == "shape"
    options = json.loads(nodes["statistics_gen"].exec_properties["stats_options_json"])
    assert options["enable_semantic_domain_stats"] is True  # TFDV's image domain statistics
    gate = nodes["anomaly_gate"].exec_properties
    assert "image_path" in json.loads(gate["open_domains"])  # a new image is no anomaly
    assert {"image_height", "image_width"} <= set(json.loads(gate["checked"]))  # drift of sizes


def test_standard_pipeline_on_images_runs_to_the_push() -> None:
    config = _config(
        data={"path": "/d", "format": "images", "images": {"resize": [16, 16], "channels": 1}},
        evaluation={
            "thresholds": {"SparseCategoricalAccuracy": {"lower_bound": 0.5}},
            "slices": [["label"]],
        },
    )
    builder = _build(config, standard=True)
    ids = builder.node_ids()
    assert "leakage_gate" not in ids
    order = ["anomaly_gate", "transform", "trainer", "evaluator", "infra_check", "pusher"]
    assert [i for i in ids if i in order] == order
    nodes = {node.id: node for node in builder.components}
    assert nodes["transform"].inputs["schema"].producer_component_id == "anomaly_gate"
    custom = json.loads(nodes["transform"].exec_properties["custom_config"])
    assert custom["images"] == {"key": "image", "size": [16, 16], "channels": 1}
    trainer = json.loads(nodes["trainer"].exec_properties["custom_config"])
    assert trainer["model"]["type"] == "cnn" and trainer["images"] == custom["images"]
    eval_config = nodes["evaluator"].exec_properties["eval_config"]
    assert '"label"' in eval_config  # per class: a slice by the label


# ---------------------------------------------------------------- runs


@pytest.mark.slow
def test_images_are_ingested_and_validated(tmp_path: Path) -> None:
    data, config, pipeline = _setup(tmp_path)
    ws = tmp_path / "ws"
    root = ws / "shapes" / "pipeline_root"

    # A pipeline that ends at validation runs to completion.
    summary_path = tmp_path / "summary.json"
    result = run_pipeline(ws, pipeline=pipeline, config=config, data=None, summary=summary_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    nodes = {n["node_id"]: n["status"] for n in json.loads(summary_path.read_text())["nodes"]}
    assert nodes["anomaly_gate"] == "finished"

    example = _first_example(root)  # the encoded file, its folder as the label, its path
    stored = example["image"].bytes_list.value[0]
    path = example["image_path"].bytes_list.value[0].decode()
    assert stored.startswith(PNG_SIGNATURE) and stored == (data / path).read_bytes()
    assert example["label"].bytes_list.value[0].decode() == path.split("/")[0]

    train = _statistics(root, "train")
    assert train.num_examples >= 100
    image = next(f for f in train.features if f.path.step == ["image"])
    custom = {c.name: c for c in image.custom_stats}
    assert custom["domain_info"].str == "image_domain {}"
    (png,) = custom["image_format_histogram"].rank_histogram.buckets
    assert (png.label, png.sample_count) == ("png", train.num_examples)
    height = next(f for f in train.features if f.path.step == ["image_height"])
    assert height.num_stats.min == height.num_stats.max == 8  # the sizes, per split

    schema = (_only(root / "schema_gen" / "schema") / "schema.pbtxt").read_text()
    assert 'name: "image"' in schema and "image_domain" in schema

    # A new batch of another size (no size configured): the gate's drift check stops it.
    _images(data, size=10)
    result = run_pipeline(ws, pipeline=pipeline, config=config, data=None)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-3000:]
    assert "DISTRIBUTION_DRIFT" in output and "image_height" in output
    assert "Traceback" not in output


@pytest.mark.slow
def test_a_corrupted_image_stops_the_run_before_anything_is_written(tmp_path: Path) -> None:
    data, config, _ = _setup(tmp_path)
    broken = data / "square" / "square_07.png"
    broken.write_bytes(broken.read_bytes()[:-6])  # truncated: its last chunk cut
    ws = tmp_path / "ws"
    result = run_pipeline(ws, pipeline=None, config=config, data=None)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-3000:]
    assert f"error: {broken}: unreadable image" in output
    assert "Traceback" not in output
    assert not (ws / "shapes" / "pipeline_root").exists()


# ---------------------------------------------------------------- to a served model

SERVED = """\
name: shapes
data: {path: DATA, format: images, images: {size: [16, 16], channels: 3}}
label: {name: label}
model: {type: cnn, conv_filters: [8, 16], hidden_units: [16], learning_rate: 0.01}
training:
  epochs: 2
  train_steps: 40
  eval_steps: 4
  batch_size: 16
  augment: {flip: true, crop: 0.1, brightness: 0.05}
evaluation:
  thresholds: {SparseCategoricalAccuracy: {lower_bound: 0.9}}
  slices: [[label]]
runner: {beam: {mode: in_memory}}
"""
COLOURS = {"red": 0, "green": 1, "blue": 2}  # class -> the channel that is bright


def _png(colour: str, seed: int, size: int = 16) -> bytes:
    """An RGB image, noisy, whose class's channel is bright: learnable in a few steps."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 90, (size, size, 3), dtype=np.uint8)
    pixels[..., COLOURS[colour]] += rng.integers(120, 165, (size, size), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def _accuracy_by_label(evaluation: Path) -> dict[str, float]:
    import tensorflow_model_analysis as tfma

    accuracy = {}
    for metrics in tfma.load_metrics(str(evaluation)):
        keys = metrics.slice_key.single_slice_keys
        if [k.column for k in keys] == ["label"]:
            (value,) = [
                kv.value.double_value.value
                for kv in metrics.metric_keys_and_values
                if kv.key.name == "sparse_categorical_accuracy" and kv.key.example_weighted.value
            ]
            accuracy[keys[0].bytes_value.decode()] = value
    return accuracy


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_images_to_a_pushed_cnn_served_to_base64_requests(tmp_path: Path) -> None:
    import requests
    import tensorflow as tf

    from tfxkit.serving import Client

    data = tmp_path / "colours"
    for colour in COLOURS:
        (data / colour).mkdir(parents=True)
        for i in range(50):
            (data / colour / f"{i:02d}.png").write_bytes(_png(colour, seed=i * 3 + COLOURS[colour]))
    config = tmp_path / "config.yaml"
    config.write_text(SERVED.replace("DATA", str(data)))
    ws, summary_path = tmp_path / "ws", tmp_path / "summary.json"
    result = run_pipeline(ws, pipeline=None, config=config, data=None, summary=summary_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    assert summary["blessed"] is True and summary["pushed_path"]
    assert summary["metrics"]["sparse_categorical_accuracy"] >= 0.9
    assert set(summary["per_class"]) == set(COLOURS)  # per class, on the eval split
    nodes = {n["node_id"]: n["status"] for n in summary["nodes"]}
    assert nodes["infra_check"] == "finished" and nodes["pusher"] == "finished"
    (version,) = versions(ws / "serving" / "shapes")
    accuracy = _accuracy_by_label(
        _only(ws / "shapes" / "pipeline_root" / "evaluator" / "evaluation")
    )
    assert set(accuracy) == set(COLOURS)  # the evaluation.slices by the label: per class

    # New images, never seen: each twice, so the same bytes must get the same answer.
    images = [_png(c, seed=1000 + i) for i, c in enumerate(COLOURS)] * 2
    model = tf.saved_model.load(str(ws / "serving" / "shapes" / str(version)))
    in_process = model.signatures["serving_default"](image=tf.constant(images))
    again = model.signatures["serving_default"](image=tf.constant(images))
    np.testing.assert_array_equal(in_process["probabilities"], again["probabilities"])
    expected = in_process["probabilities"].numpy()
    np.testing.assert_array_equal(expected[:3], expected[3:])

    port = _free_port()
    command = [str(Path(sys.executable).parent / "tfxkit"), "serve", "--base", str(ws / "serving")]
    process = subprocess.Popen(
        [*command, "--rest-port", str(port), "--no-grpc"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        client = Client("127.0.0.1", port, None, timeout=30, retries=8, backoff=1.0)
        answers = client.predict("shapes", [{"image": image} for image in images])  # as b64
        b64 = [base64.b64encode(image).decode() for image in images]
        url = f"http://127.0.0.1:{port}/v1/models/shapes:predict"
        columnar = requests.post(url, json={"inputs": {"image": [{"b64": b} for b in b64]}})
        unnamed = requests.post(url, json={"instances": [{"b64": b} for b in b64]})
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert [a["classes"] for a in answers] == list(COLOURS) * 2
    for answer in answers:
        assert sorted(answer["class_names"]) == sorted(COLOURS)
        assert sum(answer["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    served = np.array([a["probabilities"] for a in answers])
    np.testing.assert_allclose(served, expected, rtol=1e-5, atol=1e-6)
    assert columnar.status_code == 200, columnar.text
    np.testing.assert_allclose(columnar.json()["outputs"]["probabilities"], expected, atol=1e-6)
    assert unnamed.status_code == 200, unnamed.text  # one input: rows may be bare values
    assert [a["classes"] for a in unnamed.json()["predictions"]] == list(COLOURS) * 2
