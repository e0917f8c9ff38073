"""Images from a folder tree end to end, as a user runs them: ingest, statistics with TFDV's
image domain, a schema, the anomaly gate; the standard pipeline stopping before Transform with
one paragraph; a corrupted image stopping the run before anything is written; and a batch of
another size stopping at the gate. First, how the stages wire an image config (no run).

180 images of 8x8 pixels, not fewer: TFDV computes image statistics for a feature only from
100 values of a split on (``ImageStatsGenerator``'s threshold), so the train split needs 100.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.pipeline_runs import run_pipeline
from tfxkit.components.image_example_gen import component, stop
from tfxkit.config.pipeline_config import validate_config

CONFIG = """\
name: shapes
data: {path: DATA, format: images}
label: {name: label}
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
    return validate_config({"name": "shapes", "data": data, "label": {"name": "label"}, **extra})


def _build(config, standard: bool):
    from tfxkit.pipeline.dsl import PipelineBuilder, standard_pipeline

    if standard:
        return standard_pipeline(config)
    builder = PipelineBuilder(config)
    builder.validate(builder.ingest())
    return builder


def test_validate_only_images_pipeline_has_image_statistics_and_no_stop() -> None:
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


def test_standard_pipeline_on_images_stops_before_transform() -> None:
    builder = _build(_config(), standard=True)
    ids = builder.node_ids()
    assert ids.index("anomaly_gate") < ids.index(stop.IMAGES_STOP_ID) < ids.index("transform")
    assert ids.count(stop.IMAGES_STOP_ID) == 1  # Transform and Trainer both read the schema
    nodes = {node.id: node for node in builder.components}
    schema = nodes["transform"].inputs["schema"]
    assert schema.producer_component_id == stop.IMAGES_STOP_ID


# ---------------------------------------------------------------- runs


@pytest.mark.slow
def test_images_are_ingested_validated_and_stop_before_transform(tmp_path: Path) -> None:
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

    # The standard pipeline (no pipeline file): the same ingest and validation (cached), then
    # one paragraph saying images stop before Transform; no traceback, nothing transformed.
    result = run_pipeline(ws, pipeline=None, config=config, data=None)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-3000:]
    assert "images is supported up to validation so far" in output
    assert "Traceback" not in output
    assert not (root / "transform").exists()

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
