"""TextFolderExampleGen executor and the text rules it shares with the pre-run check: the text,
labels from folders, a split by relative path, and one clear error per bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import tensorflow as tf

from tfxkit.components.text_folder_example_gen import executor
from tfxkit.config.pipeline_config import validate_config
from tfxkit.data import text_folders
from tfxkit.data.checks import check_local_data
from tfxkit.errors import DataError

CLASSES = ("ham", "spam")


def _tree(root: Path, per_class: int = 6, classes: tuple[str, ...] = CLASSES) -> Path:
    """``root/<class>/<class>_NN.txt``: short texts, each different."""
    for name in classes:
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            (folder / f"{name}_{i:02d}.txt").write_text(f"{name} message number {i} é\n")
    return root


def _config(root: Path) -> object:
    return validate_config(
        {
            "name": "mail",
            "data": {"path": str(root), "format": "text_folder"},
            "features": [{"name": "text", "type": "string", "transform": "text"}],
            "label": {"name": "label"},
            "evaluation": {"bless": "always"},
        }
    )


def test_example_holds_the_text_label_and_relative_path(tmp_path: Path) -> None:
    root = _tree(tmp_path / "mail", per_class=1)
    (root / "spam" / "bom.txt").write_bytes("\ufeffBuy now".encode())
    example = executor.read_example(str(root / "spam" / "bom.txt"), str(root), "kind")
    features = example.features.feature
    assert features["text"].bytes_list.value == [b"Buy now"]  # the BOM dropped
    assert features["kind"].bytes_list.value == [b"spam"]
    assert features["text_path"].bytes_list.value == [b"spam/bom.txt"]


def test_beam_run_labels_from_folders_and_a_split_by_relative_path(tmp_path: Path) -> None:
    from tfx.proto import example_gen_pb2
    from tfx.types import artifact_utils, standard_artifacts
    from tfx.utils import proto_utils

    from tfxkit.components.text_folder_example_gen.component import split_by_path

    root = _tree(tmp_path / "mail", per_class=10)
    split_config = example_gen_pb2.SplitConfig(
        splits=[
            example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=2),
            example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1),
        ]
    )
    output_config = split_by_path(example_gen_pb2.Output(split_config=split_config))
    assert output_config.split_config.partition_feature_name == "text_path"
    pattern = text_folders.DEFAULT_PATTERN
    input_config = example_gen_pb2.Input(
        splits=[example_gen_pb2.Input.Split(name="single_split", pattern=pattern)]
    )
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "out")
    examples.split_names = artifact_utils.encode_split_names(["train", "eval"])
    executor.Executor().Do(
        {},
        {"examples": [examples]},
        {
            "input_base": str(root),
            "input_config": proto_utils.proto_to_json(input_config),
            "output_config": proto_utils.proto_to_json(output_config),
            "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
            "output_file_format": example_gen_pb2.FORMAT_TFRECORDS_GZIP,
            "code_fingerprint": "0123456789abcdef",
            "label_key": "label",
        },
    )
    found, labels = {}, []
    for split in ("train", "eval"):
        files = tf.io.gfile.glob(str(tmp_path / "out" / f"Split-{split}" / "*.gz"))
        for record in tf.data.TFRecordDataset(files, compression_type="GZIP"):
            features = tf.train.Example.FromString(record.numpy()).features.feature
            path = features["text_path"].bytes_list.value[0].decode()
            labels += [path.split("/")[0]] if split == "train" else []
            assert features["label"].bytes_list.value[0].decode() == path.split("/")[0]
            assert features["text"].bytes_list.value[0].decode() == (root / path).read_text()
            found[path] = split
    assert len(found) == 20 and set(found.values()) == {"train", "eval"}
    # Written with the classes mixed (class_folders.mixed_order), not one class after another:
    # the Trainer's bounded shuffle buffer reads them in this order.
    changes = sum(a != b for a, b in zip(labels, labels[1:], strict=False))
    assert changes >= 3, labels


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (
            lambda r: (r / "ham" / "latin1.txt").write_bytes("caf\xe9".encode("latin-1")),
            r"latin1\.txt: not UTF-8 text \(byte 0xe9 at offset 3",
        ),
        (lambda r: (r / "ham" / "empty.txt").write_bytes(b""), r"empty\.txt: an empty text file"),
        (lambda r: (r / "ham" / "blank.txt").write_text(" \n\t"), r"blank\.txt: an empty text"),
        (lambda r: (r / "spam" / "photo.png").write_bytes(b"x"), r"photo\.png: not a text file"),
        (lambda r: (r / "empty").mkdir(), r"empty: an empty class folder \(no text file\)"),
        (lambda r: (r / "ham" / "more").mkdir(), r"more: a folder inside the class folder"),
        (lambda r: (r / "stray.txt").write_text("x"), r"stray\.txt: a text file directly in"),
    ],
    ids=["latin1", "empty", "blank", "not-text", "empty-class", "nested", "stray"],
)
def test_pre_run_check_names_the_bad_file(tmp_path: Path, spoil, message: str) -> None:
    root = _tree(tmp_path / "mail", per_class=2)
    spoil(root)
    with pytest.raises(DataError, match=message):
        check_local_data(_config(root))


def test_one_class_no_class_and_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"one class only \(\['ham'\]\)"):
        check_local_data(_config(_tree(tmp_path / "one", classes=("ham",))))
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "README").write_text("mail")
    with pytest.raises(DataError, match="holds no class folder; text files go in"):
        check_local_data(_config(flat))
    with pytest.raises(DataError, match="does not exist"):
        check_local_data(_config(tmp_path / "nowhere"))
    check_local_data(_config(_tree(tmp_path / "good")))  # and a good tree passes


def test_executor_finds_what_the_pre_run_check_finds(tmp_path: Path) -> None:
    """Where no pre-run check runs (remote data), ingest fails the same way."""
    root = _tree(tmp_path / "mail", per_class=1)
    (root / "ham" / "bad.txt").write_bytes(b"\xff\xfe")
    with pytest.raises(DataError, match=r"bad\.txt: not UTF-8 text"):
        executor.read_example(str(root / "ham" / "bad.txt"), str(root), "label")
    with pytest.raises(DataError, match="one class only"):
        executor.text_files(str(_tree(tmp_path / "one", classes=("ham",))), "*/*")
    with pytest.raises(DataError, match="no text file matches"):
        executor.text_files(str(tmp_path / "one"), "*/*.md")


def test_config_for_a_text_folder_names_its_one_feature(tmp_path: Path) -> None:
    from tfxkit.errors import ConfigError

    base = {
        "name": "mail",
        "data": {"path": "d", "format": "text_folder"},
        "label": {"name": "label"},
        "evaluation": {"bless": "always"},
    }
    other = [{"name": "body", "type": "string", "transform": "text"}]
    with pytest.raises(ConfigError, match="text_folder: each file's text is the one feature"):
        validate_config({**base, "features": other})
    text = [{"name": "text", "type": "string", "transform": "text"}]
    with pytest.raises(ConfigError, match="label.name: 'text_path' is a text folder feature"):
        validate_config({**base, "features": text, "label": {"name": "text_path"}})
    with pytest.raises(ConfigError, match="split by their path"):
        validate_config({**base, "features": text, "data": {**base["data"], "split_column": "x"}})
