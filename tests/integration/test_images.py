"""Images from a folder tree end to end, as a user runs them: ingest, statistics with TFDV's
image domain, a schema, the anomaly gate; the standard pipeline stopping before Transform with
one paragraph; a corrupted image stopping the run before anything is written; and a batch of
another size stopping at the gate.

180 images of 8x8 pixels, not fewer: TFDV computes image statistics for a feature only from
100 values of a split on (``ImageStatsGenerator``'s threshold), so the train split needs 100.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.pipeline_runs import run_pipeline

pytestmark = pytest.mark.slow

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
