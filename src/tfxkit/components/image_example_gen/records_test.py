"""TFRecord files of encoded images as ``data.format: images`` input: the pre-run check on
their framing, the executor's examples (the same features as from a folder tree), and one
clear error per bad record, naming the file and the record."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
import tensorflow as tf
from PIL import Image
from tfx.proto import example_gen_pb2

from tfxkit.components.image_example_gen import component, executor
from tfxkit.components.image_example_gen.executor_test import _config, _do, _expected_split
from tfxkit.data import records
from tfxkit.data.checks import check_local_data
from tfxkit.data.images import ImageSpec
from tfxkit.errors import DataError


def _png(shade: int, size: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (size, size), shade).save(buffer, format="PNG")
    return buffer.getvalue()


def _record(image: bytes | None, label: bytes | int | None, **extra: bytes) -> bytes:
    feature = {}
    if image is not None:
        feature["image"] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[image]))
    if isinstance(label, bytes):
        feature["label"] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[label]))
    elif label is not None:
        feature["label"] = tf.train.Feature(int64_list=tf.train.Int64List(value=[label]))
    for key, value in extra.items():
        feature[key] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))
    example = tf.train.Example(features=tf.train.Features(feature=feature))
    return example.SerializeToString()


def _write(path: Path, serialized: list[bytes]) -> Path:
    options = tf.io.TFRecordOptions(compression_type="GZIP" if path.suffix == ".gz" else "")
    with tf.io.TFRecordWriter(str(path), options) as writer:
        for record in serialized:
            writer.write(record)
    return path


def _folder(root: Path, count: int = 12) -> Path:
    """Two files: string labels plainly, integer labels gzipped."""
    root.mkdir(parents=True)
    _write(root / "a.tfrecord", [_record(_png(i), b"dark") for i in range(count)])
    _write(root / "b.tfrecord.gz", [_record(_png(200 + i), 7) for i in range(count)])
    return root


def test_records_become_the_examples_a_folder_tree_gives(tmp_path: Path) -> None:
    root = _folder(tmp_path / "records")
    assert records.record_files(root) == [root / "a.tfrecord", root / "b.tfrecord.gz"]
    assert [records.count_records(p) for p in records.record_files(root)] == [12, 12]
    check_local_data(_config(root, size=[8, 8], channels=1))  # the pre-run check passes

    parsed = _do(root, tmp_path / "out", pattern=records.RECORD_PATTERN)
    everything = [e for split in parsed.values() for e in split]
    assert len(everything) == 24 and all(parsed.values())
    labels = {}
    for split, examples in parsed.items():
        for example in examples:
            f = example.features.feature
            path = f["image_path"].bytes_list.value[0].decode()
            name, index = path.split("#")
            assert _expected_split(path) == split  # split by the record's file and index
            shade = int(index) + (200 if name == "b.tfrecord.gz" else 0)
            assert f["image"].bytes_list.value[0] == _png(shade)  # the encoded bytes, as written
            assert [f[k].int64_list.value[0] for k in executor.IMAGE_KEYS[2:]] == [8, 8, 1]
            labels[name] = f["label"].bytes_list.value[0].decode()
    assert labels == {"a.tfrecord": "dark", "b.tfrecord.gz": "7"}  # integers as their digits


def test_the_component_reads_a_local_folder_of_records_by_default(tmp_path: Path) -> None:
    gen = component.ImageExampleGen(input_base=str(_folder(tmp_path / "records")))
    config = example_gen_pb2.Input()
    from tfx.utils import proto_utils

    proto_utils.json_to_proto(gen.exec_properties["input_config"], config)
    assert config.splits[0].pattern == records.RECORD_PATTERN


@pytest.mark.parametrize(
    ("serialized", "message"),
    [
        ([_record(None, b"x", other=b"y")], "record 1: no single encoded image 'image'"),
        ([_record(_png(3), None)], "record 1: no single string or integer label 'label'"),
        ([_record(b"not an image", b"x")], "record 1: not an image"),
        ([_record(_png(3)[:-20], b"x")], "record 1: unreadable image"),
        ([_record(_png(3, size=9), b"x")], "record 1: 9x9 pixels"),
        ([b"\x01\x02garbage"], "record 1: not a tf.Example"),
    ],
)
def test_a_bad_record_is_named(tmp_path: Path, serialized: list[bytes], message: str) -> None:
    path = _write(tmp_path / "bad.tfrecord", [_record(_png(1), b"x"), *serialized])
    with pytest.raises(DataError, match=message) as raised:
        executor.record_examples(str(path), str(tmp_path), "label", ImageSpec((8, 8), 1))
    assert str(path) in str(raised.value)


def test_pre_run_check_reads_the_framing(tmp_path: Path) -> None:
    root = _folder(tmp_path / "records")
    data = (root / "a.tfrecord").read_bytes()
    (root / "a.tfrecord").write_bytes(data[:-10])
    with pytest.raises(DataError, match="a.tfrecord: a truncated TFRecord file .*record 11"):
        check_local_data(_config(root))
    (root / "a.tfrecord").write_bytes(b"")
    (root / "b.tfrecord.gz").write_bytes(gzip.compress(b""))
    with pytest.raises(DataError, match="TFRecord files in .* hold no record"):
        check_local_data(_config(root))
    (root / "b.tfrecord.gz").write_bytes(data)  # not gzipped, as its name says
    with pytest.raises(DataError, match="b.tfrecord.gz: cannot be read as a TFRecord file"):
        check_local_data(_config(root))


def test_records_beside_class_folders_is_one_layout_too_many(tmp_path: Path) -> None:
    root = _folder(tmp_path / "records")
    (root / "circle").mkdir()
    with pytest.raises(DataError, match="holds both TFRecord files .* and folders .*circle"):
        check_local_data(_config(root))
    (root / "circle").rmdir()
    (root / "notes.txt").write_text("x")
    with pytest.raises(DataError, match="notes.txt: not a TFRecord file"):
        executor.record_files(str(root), "*")
