"""Explainer executor's readers: the same seed samples the same eval examples, and a slice
column is read from the records whatever its type (it need not be a model feature)."""

from __future__ import annotations

from pathlib import Path

import pytest
import tensorflow as tf

from tfxkit.components.explainer.executor import _slice_values, read_examples


def _example(index: int) -> bytes:
    features = {
        "i": tf.train.Feature(int64_list=tf.train.Int64List(value=[index])),
        "sex": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"F" if index % 2 else b"M"])),
        "score": tf.train.Feature(float_list=tf.train.FloatList(value=[index / 2])),
    }
    return tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()


def _examples(root: Path, count: int) -> str:
    split = root / "Split-eval"
    split.mkdir(parents=True)
    options = tf.io.TFRecordOptions(compression_type="GZIP")
    with tf.io.TFRecordWriter(str(split / "data.gz"), options) as writer:
        for index in range(count):
            writer.write(_example(index))
    return str(root)


def test_the_same_seed_samples_the_same_examples(tmp_path: Path) -> None:
    uri = _examples(tmp_path, 50)
    first, again = read_examples(uri, 10, seed=3), read_examples(uri, 10, seed=3)
    other = read_examples(uri, 10, seed=4)
    assert len(first) == 10 and first == again and first != other
    assert len(read_examples(uri, 500, seed=0)) == 50  # fewer examples than asked: all of them


def test_slice_values_of_any_type_and_missing_columns(tmp_path: Path) -> None:
    records = [_example(1), _example(2)]
    assert _slice_values(records, "sex") == ["F", "M"]
    assert _slice_values(records, "i") == ["1", "2"]
    assert _slice_values(records, "score") == ["0.5", "1"]
    assert _slice_values(records, "absent") == [None, None]


def test_no_eval_split_is_an_error_naming_the_folder(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="no Split-eval examples"):
        read_examples(str(tmp_path), 10, seed=0)


def test_a_model_that_cannot_be_explained_is_recorded_not_fatal(tmp_path: Path) -> None:
    import json

    from tfx.types import standard_artifacts

    from tfxkit.components.explainer import executor
    from tfxkit.components.explainer.component import Explanation
    from tfxkit.components.verdicts import VERDICT_FILE

    def artifact(kind: type, uri: str):
        found = kind()
        found.uri = uri
        return found

    output = artifact(Explanation, str(tmp_path / "explanation"))
    inputs = {
        "examples": [artifact(standard_artifacts.Examples, _examples(tmp_path / "ex", 5))],
        "transform_graph": [artifact(standard_artifacts.TransformGraph, str(tmp_path / "tg"))],
        "model": [artifact(standard_artifacts.Model, str(tmp_path / "no-model"))],
    }
    settings = {"method": "integrated_gradients", "examples": 5, "seed": 0}
    executor.Executor().Do(inputs, {"explanation": [output]}, {"settings": json.dumps(settings)})

    verdict = json.loads((tmp_path / "explanation" / VERDICT_FILE).read_text())
    assert verdict["passed"] is False and verdict["examples"] == 0
    assert verdict["reasons"][0].startswith("could not explain the model: ")
    assert output.get_string_custom_property("verdict") == "explanation"
