"""ImageExampleGen executor and the image rules it shares with the pre-run check: encoded bytes,
labels from folders, a split by relative path, and one clear error per bad input."""

from __future__ import annotations

import bisect
import hashlib
import io
from pathlib import Path

import pytest
import tensorflow as tf
from PIL import Image

from tfxkit.components.image_example_gen import executor
from tfxkit.config.pipeline_config import validate_config
from tfxkit.data import images
from tfxkit.data.checks import check_local_data
from tfxkit.data.class_folders import mixed_order
from tfxkit.data.images import ImageSpec
from tfxkit.errors import DataError

CLASSES = ("circle", "square", "triangle")


def _png(shade: int, size: tuple[int, int] = (8, 8), mode: str = "L") -> bytes:
    """An image of ``size`` (height, width) as PNG bytes."""
    buffer = io.BytesIO()
    color = shade if mode == "L" else (shade,) * len(mode)
    Image.new(mode, (size[1], size[0]), color).save(buffer, format="PNG")
    return buffer.getvalue()


def _tree(root: Path, per_class: int = 10, classes: tuple[str, ...] = CLASSES) -> Path:
    """``root/<class>/<class>_NN.png``: 8x8 grayscale images, each a different shade."""
    for index, name in enumerate(classes):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            (folder / f"{name}_{i:02d}.png").write_bytes(_png(index * 80 + i))
    return root


def _config(root: Path, **images_config) -> object:
    data = {"path": str(root), "format": "images"}
    if images_config:
        data["images"] = images_config
    rule = {"thresholds": {"SparseCategoricalAccuracy": {"lower_bound": 0.5}}}
    label = {"name": "label"}
    return validate_config({"name": "shapes", "data": data, "label": label, "evaluation": rule})


# ---------------------------------------------------------------- one example


def test_example_holds_the_encoded_bytes_label_and_relative_path(tmp_path: Path) -> None:
    root = _tree(tmp_path / "shapes", per_class=1)
    path = str(root / "square" / "square_00.png")
    example = executor.read_example(path, str(root), "label", ImageSpec())
    features = example.features.feature
    stored = features["image"].bytes_list.value[0]
    assert stored == Path(path).read_bytes()  # the file as it is, never decoded floats
    assert tf.io.decode_png(stored).numpy().max() == 80  # and it still decodes to the image
    assert features["label"].bytes_list.value == [b"square"]
    assert features["image_path"].bytes_list.value == [b"square/square_00.png"]
    shape = [features[k].int64_list.value[0] for k in executor.IMAGE_KEYS[2:]]
    assert shape == [8, 8, 1]  # height, width, channels


def test_rgb_jpeg_and_the_label_key_the_config_names(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (6, 4), (10, 200, 30)).save(buffer, format="JPEG")
    example = executor.to_example(buffer.getvalue(), "/d/cat/a.jpg", "/d", "species", ImageSpec())
    features = example.features.feature
    assert features["species"].bytes_list.value == [b"cat"]
    assert [features[k].int64_list.value[0] for k in executor.IMAGE_KEYS[2:]] == [4, 6, 3]


# ---------------------------------------------------------------- a real Beam run


def _do(
    root: Path, out: Path, pattern: str = images.DEFAULT_PATTERN
) -> dict[str, list[tf.train.Example]]:
    """One run of the executor's Do (splits train 2 / eval 1, by image_path as the component
    sets them), its examples read back per split."""
    from tfx.proto import example_gen_pb2
    from tfx.types import artifact_utils, standard_artifacts
    from tfx.utils import proto_utils

    from tfxkit.components.image_example_gen.component import split_by_path

    output_config = example_gen_pb2.Output(
        split_config=example_gen_pb2.SplitConfig(
            splits=[
                example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=2),
                example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1),
            ]
        )
    )
    input_config = example_gen_pb2.Input(
        splits=[example_gen_pb2.Input.Split(name="single_split", pattern=pattern)]
    )
    examples = standard_artifacts.Examples()
    examples.uri = str(out)
    examples.split_names = artifact_utils.encode_split_names(["train", "eval"])
    exec_properties = {
        "input_base": str(root),
        "input_config": proto_utils.proto_to_json(input_config),
        "output_config": proto_utils.proto_to_json(split_by_path(output_config)),
        "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
        "output_file_format": example_gen_pb2.FORMAT_TFRECORDS_GZIP,
        "code_fingerprint": "0123456789abcdef",
        "label_key": "label",
        "image_spec": ImageSpec((8, 8), 1).to_json(),
    }
    executor.Executor().Do({}, {"examples": [examples]}, exec_properties)
    parsed = {}
    for split in ("train", "eval"):
        files = tf.io.gfile.glob(str(out / f"Split-{split}" / "*.gz"))
        records = tf.data.TFRecordDataset(files, compression_type="GZIP")
        parsed[split] = [tf.train.Example.FromString(r.numpy()) for r in records]
    return parsed


def _paths(examples: list[tf.train.Example]) -> set[str]:
    return {e.features.feature["image_path"].bytes_list.value[0].decode() for e in examples}


def _expected_split(relative: str) -> str:
    """TFX's hash-bucket rule applied to the image_path feature alone (train 2 / eval 1)."""
    feature = tf.train.Feature(bytes_list=tf.train.BytesList(value=[relative.encode()]))
    bucket = int(hashlib.sha256(feature.SerializeToString(deterministic=True)).hexdigest(), 16)
    return ("train", "eval")[bisect.bisect([2, 3], bucket % 3)]


def test_beam_run_labels_from_folders_and_a_split_by_relative_path(
    tmp_path: Path, monkeypatch
) -> None:
    root = _tree(tmp_path / "shapes", per_class=12)
    first = _do(root, tmp_path / "out1")
    everything = [e for split in first.values() for e in split]
    assert len(everything) == 36 and all(first.values())
    for example in everything:
        features = example.features.feature
        path = features["image_path"].bytes_list.value[0].decode()
        assert features["label"].bytes_list.value[0].decode() == path.split("/")[0]
        assert features["image"].bytes_list.value[0] == (root / path).read_bytes()
    for split, examples in first.items():  # a function of the relative path alone
        assert {_expected_split(p) for p in _paths(examples)} == {split}

    # The same images listed in another order (another file system, another process): the
    # same split, image by image.
    real_glob = executor.fileio.glob
    monkeypatch.setattr(executor.fileio, "glob", lambda pattern: real_glob(pattern)[::-1])
    second = _do(root, tmp_path / "out2")
    assert {s: _paths(e) for s, e in second.items()} == {s: _paths(e) for s, e in first.items()}


def test_examples_are_written_with_the_classes_mixed(tmp_path: Path) -> None:
    """Not one class after another: the Trainer reads them in this order through a bounded
    shuffle buffer, and batches of one class made a CNN forget the others."""
    root = _tree(tmp_path / "shapes", per_class=12)
    files = executor.image_files(str(root), "*/*")
    ordered = sorted(files, key=lambda f: mixed_order(f, str(root)))
    assert sorted(ordered) == sorted(files) and ordered != sorted(files)
    first_third = {Path(f).parent.name for f in ordered[:12]}
    assert first_third == set(CLASSES)  # every class within the first 12 of 36
    assert ordered == sorted(reversed(files), key=lambda f: mixed_order(f, str(root)))
    moved = tmp_path / "moved"  # the same tree elsewhere: the same order (relative paths)
    root.rename(moved)
    again = sorted(
        executor.image_files(str(moved), "*/*"), key=lambda f: mixed_order(f, str(moved))
    )
    assert [Path(f).relative_to(moved) for f in again] == [
        Path(f).relative_to(root) for f in ordered
    ]


# ---------------------------------------------------------------- bad input


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda r: _write(r / "circle" / "c.png", _png(1)[:-4]), r"c\.png: unreadable image"),
        (lambda r: _write(r / "circle" / "c.png", b"not a picture"), r"c\.png: not an image"),
        (lambda r: _write(r / "square" / "notes.txt", b"hi"), r"notes\.txt: not an image file"),
        (lambda r: (r / "empty").mkdir(), r"empty: an empty class folder"),
        (lambda r: (r / "square" / "more").mkdir(), r"more: a folder inside the class folder"),
        (lambda r: _write(r / "square" / "big.png", _png(1, (9, 8))), r"big\.png: 9x8 pixels"),
        (lambda r: _write(r / "stray.png", _png(1)), r"stray\.png: an image directly in"),
        (
            lambda r: _write(r / "circle" / "rgb.png", _png(1, mode="RGB")),
            r"rgb\.png: 3 channel\(s\)",
        ),
    ],
    ids=["truncated", "garbage", "text-file", "empty-class", "nested", "size", "stray", "rgb"],
)
def test_pre_run_check_names_the_bad_file(tmp_path: Path, spoil, message: str) -> None:
    root = _tree(tmp_path / "shapes", per_class=2)
    spoil(root)
    with pytest.raises(DataError, match=message):
        check_local_data(_config(root, size=[8, 8], channels=1))


def test_pre_run_check_missing_folder_one_class_and_no_class(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"data.path: .*nowhere does not exist"):
        check_local_data(_config(tmp_path / "nowhere"))
    one = _tree(tmp_path / "one", classes=("circle",))
    with pytest.raises(DataError, match=r"one class only \(\['circle'\]\)"):
        check_local_data(_config(one))
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "README").write_text("images of shapes")
    with pytest.raises(DataError, match="holds no class folder"):
        check_local_data(_config(flat))


def test_pre_run_check_passes_a_good_tree_and_skips_hidden_files(tmp_path: Path) -> None:
    root = _tree(tmp_path / "shapes", per_class=3)
    (root / "circle" / ".DS_Store").write_bytes(b"\0\1")
    (root / "LICENSE").write_text("CC0")  # beside the class folders: not read
    tree = images.scan_tree(root, spec=ImageSpec((8, 8), 1))
    assert tree.classes == {"circle": 3, "square": 3, "triangle": 3}
    check_local_data(_config(root, size=[8, 8], channels=1))
    check_local_data(_config(root))  # nothing fixed: any size, any channels


def test_sizes_may_differ_when_none_is_configured(tmp_path: Path) -> None:
    root = _tree(tmp_path / "shapes", per_class=2)
    _write(root / "square" / "wide.png", _png(1, (8, 20)))
    check_local_data(_config(root))
    with pytest.raises(DataError, match=r"wide\.png: 8x20 pixels .* data.images.size is 8x8"):
        check_local_data(_config(root, size=[8, 8]))


def test_executor_refuses_what_the_pre_run_check_refuses(tmp_path: Path) -> None:
    """Remote data and Kubeflow runs have no pre-run check: the executor says the same."""
    root = _tree(tmp_path / "shapes", per_class=2)
    base = str(root)
    truncated = _write(root / "circle" / "t.png", _png(1)[:50])
    with pytest.raises(DataError, match=r"t\.png: unreadable image"):
        executor.read_example(str(truncated), base, "label", ImageSpec())
    small = _write(root / "circle" / "s.png", _png(1, (4, 4)))
    with pytest.raises(DataError, match=r"s\.png: 4x4 pixels"):
        executor.read_example(str(small), base, "label", ImageSpec((8, 8), None))
    _write(root / "square" / "notes.txt", b"hi")
    with pytest.raises(DataError, match=r"notes\.txt: not an image file"):
        executor.image_files(base, images.DEFAULT_PATTERN)
    one = _tree(tmp_path / "one", classes=("circle",))
    with pytest.raises(DataError, match="one class only"):
        executor.image_files(str(one), images.DEFAULT_PATTERN)
    with pytest.raises(DataError, match="no image matches"):
        executor.image_files(str(tmp_path / "nowhere"), images.DEFAULT_PATTERN)


def test_image_spec_round_trips_through_its_exec_property() -> None:
    for spec in (ImageSpec(), ImageSpec((28, 28), 1), ImageSpec(None, 3)):
        assert ImageSpec.from_json(spec.to_json()) == spec
    assert ImageSpec.from_json(None) == ImageSpec()


def test_what_tensorflow_cannot_decode_stops_ingest_too(monkeypatch) -> None:
    """Pillow forgives some damage TensorFlow does not; Transform decodes with TensorFlow."""
    forgiving = images.ImageInfo("PNG", 8, 8, 1)
    monkeypatch.setattr(executor, "inspect_image", lambda data, source, spec: forgiving)
    with pytest.raises(DataError, match=r"a\.png: unreadable image \(TensorFlow cannot decode"):
        executor.to_example(_png(1)[:-6], "/d/cat/a.png", "/d", "label", ImageSpec())


def test_a_span_pattern_finds_the_class_folders_inside_the_latest_span(tmp_path: Path) -> None:
    root = tmp_path / "shapes"
    _tree(root / "span-1", per_class=1)
    _tree(root / "span-2", per_class=2)
    tree = images.list_tree(root, "span-{SPAN}/*/*.png")
    assert tree.classes == {"circle": 2, "square": 2, "triangle": 2}
    assert {path.parent.parent.name for path in tree.files} == {"span-2"}
    (root / "span-2" / "hexagon").mkdir()
    with pytest.raises(DataError, match="hexagon: an empty class folder"):
        images.list_tree(root, "span-{SPAN}/*/*.png")
    with pytest.raises(DataError, match=r"no file in .* matches data.pattern 'span-1/\*/\*.jpg'"):
        images.list_tree(root, "span-1/*/*.jpg")
