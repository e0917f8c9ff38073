"""RowFilter's executor, run on a small Examples artifact (pytest; as generated, it passes)."""

from pathlib import Path

import pytest
from tfx.types import artifact_utils, standard_artifacts

from .executor import Executor


def _examples(root: Path, splits: list[str]) -> standard_artifacts.Examples:
    examples = standard_artifacts.Examples()
    examples.uri = str(root)
    examples.split_names = artifact_utils.encode_split_names(splits)
    for split in splits:
        (root / f"Split-{split}").mkdir(parents=True)
        (root / f"Split-{split}" / "data_tfrecord-00000-of-00001.gz").write_bytes(b"rows")
    return examples


def test_the_kept_splits_are_passed_through(tmp_path: Path) -> None:
    output = standard_artifacts.Examples()
    output.uri = str(tmp_path / "out")
    inputs = {"examples": [_examples(tmp_path / "in", ["train", "eval"])]}
    Executor().Do(inputs, {"output_examples": [output]}, {"keep_splits": "train"})
    assert artifact_utils.decode_split_names(output.split_names) == ["train"]
    assert (tmp_path / "out" / "Split-train" / "data_tfrecord-00000-of-00001.gz").exists()
    assert not (tmp_path / "out" / "Split-eval").exists()


def test_an_unknown_split_is_named(tmp_path: Path) -> None:
    output = standard_artifacts.Examples()
    output.uri = str(tmp_path / "out")
    inputs = {"examples": [_examples(tmp_path / "in", ["train"])]}
    with pytest.raises(ValueError, match="no split \\['test'\\]"):
        Executor().Do(inputs, {"output_examples": [output]}, {"keep_splits": "test"})
