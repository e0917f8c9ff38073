"""BatchScorer executor and component: the version just pushed (or one named) scores the batch
into the output artifact, the verdict counts every row, a copy is published atomically; nothing
is scored when nothing was pushed, and a batch that breaks the schema of record fails before
anything is written. On toy models with tfxkit's serving contract (``training.export``): version
k answers ``classes``, ``probabilities`` and ``class_names`` from ``bill length (mm)`` + k."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tensorflow as tf
from tensorflow_metadata.proto.v0 import schema_pb2
from tfx import v1 as tfx
from tfx.types import standard_artifacts

from tfxkit.batch.pipeline import BatchAnomalies
from tfxkit.components.batch_scorer import component, executor
from tfxkit.components.verdicts import read
from tfxkit.fingerprint import code_fingerprint
from tfxkit.serving import rollout

MODEL = "toy"
NUMBER = "bill length (mm)"


class _Toy(tf.Module):
    def __init__(self, k: float) -> None:
        super().__init__()
        self.k = tf.constant(k, tf.float64)

    @tf.function(
        input_signature=[
            tf.TensorSpec([None], tf.float64, name="bill_length_mm"),
            tf.TensorSpec([None], tf.string, name="island"),
        ]
    )
    def serve(self, bill_length_mm, island):
        mean = tf.constant(45.0, tf.float64)
        x = (tf.where(tf.math.is_nan(bill_length_mm), mean, bill_length_mm) - mean) / 10 + self.k
        dream = tf.cast(tf.equal(island, "Dream"), tf.float64)
        scores = tf.cast(tf.nn.softmax(tf.stack([-x, dream, x], axis=1)), tf.float32)
        names = tf.constant(["Adelie", "Chinstrap", "Gentoo"])
        return {
            "classes": tf.gather(names, tf.argmax(scores, axis=1)),
            "probabilities": scores,
            "class_names": tf.tile(names[tf.newaxis, :], [tf.shape(scores)[0], 1]),
        }


def save_base(base: Path) -> None:
    """Versions 1 (stable) and 2 (canary), pushed as tfxkit's pusher leaves them."""
    from tensorflow.core.protobuf import saved_model_pb2

    for version in (1, 2):
        path = base / MODEL / str(version)
        module = _Toy(version - 1.0)
        tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
        proto = saved_model_pb2.SavedModel.FromString((path / "saved_model.pb").read_bytes())
        raw = proto.meta_graphs[0].signature_def["serving_default"]
        raw.inputs[NUMBER].CopyFrom(raw.inputs["bill_length_mm"])
        del raw.inputs["bill_length_mm"]
        (path / "saved_model.pb").write_bytes(proto.SerializeToString())
        (base / MODEL / ".tfxkit-pushes").mkdir(exist_ok=True)
        (base / MODEL / ".tfxkit-pushes" / f"{version}.json").write_text('{"blessed": true}')
        rollout.label_new_version(str(base), MODEL, version)


def _schema(tmp_path: Path, islands: list[str]) -> standard_artifacts.Schema:
    proto = schema_pb2.Schema()
    proto.feature.add(name="island", type=schema_pb2.BYTES, domain="island")
    proto.string_domain.add(name="island", value=islands)
    proto.feature.add(name="bill_length__mm_", type=schema_pb2.FLOAT)
    artifact = standard_artifacts.Schema()
    artifact.uri = str(tmp_path / "schema")
    Path(artifact.uri).mkdir()
    (Path(artifact.uri) / "schema.pbtxt").write_text(str(proto))
    return artifact


def _settings(tmp_path: Path, **extra) -> dict:
    data = tmp_path / "batch.csv"
    data.write_text(f"id,{NUMBER},island\n1,40,Dream\n2,x,Biscoe\n3,50,Biscoe\n")
    return {
        "data": str(data),
        "format": "csv",
        "pass_through": ["id"],
        "dialect": {},
        "declared": {"bill_length__mm_": "float", "island": "string"},
        "on_anomaly": "fail",
        "serving_base": str(tmp_path / "serving"),
        "model_name": MODEL,
        **extra,
    }


def _run(tmp_path: Path, settings: dict, pushed=None, islands=("Biscoe", "Dream")):
    scores = standard_artifacts.InferenceResult()
    scores.uri = str(tmp_path / "scores")
    Path(scores.uri).mkdir()
    inputs = {"schema": [_schema(tmp_path, list(islands))]}
    if pushed is not None:
        inputs["pushed_model"] = [pushed]
    executor.Executor().Do(inputs, {"scores": [scores]}, {"settings": json.dumps(settings)})
    return scores


def _pushed(tmp_path: Path, version: int, pushed: int = 1) -> standard_artifacts.PushedModel:
    artifact = standard_artifacts.PushedModel()
    artifact.set_int_custom_property("pushed", pushed)
    artifact.set_string_custom_property("pushed_version", str(version))
    artifact.set_string_custom_property(
        "pushed_destination", str(tmp_path / "serving" / MODEL / str(version))
    )
    return artifact


def test_the_version_just_pushed_scores_and_a_copy_is_published(tmp_path: Path) -> None:
    save_base(tmp_path / "serving")
    settings = _settings(tmp_path, output=str(tmp_path / "published"))
    scores = _run(tmp_path, settings, pushed=_pushed(tmp_path, 2))
    verdict = read(scores)
    assert (verdict.rows_in, verdict.rows_out, verdict.rejected) == (3, 2, 1)
    assert verdict.model_version == 2 and "rows with toy version 2" in verdict.lines()[0]
    assert scores.get_int_custom_property("rejected") == 1
    lines = (Path(scores.uri) / "predictions.csv").read_text().splitlines()
    assert len(lines) == 3 and lines[1].endswith(",2")
    published = tmp_path / "published"
    assert (published / "predictions.csv").read_text() == (
        Path(scores.uri) / "predictions.csv"
    ).read_text()
    assert "line" in (published / "rejects.csv").read_text()


def test_the_scoring_pipeline_names_a_version_and_nothing_pushed_scores_nothing(
    tmp_path: Path,
) -> None:
    save_base(tmp_path / "serving")
    scores = _run(tmp_path, _settings(tmp_path, version="canary"))
    assert read(scores).model_version == 2
    (tmp_path / "n").mkdir()
    nothing = _run(tmp_path / "n", _settings(tmp_path), pushed=_pushed(tmp_path, 1, pushed=0))
    verdict = read(nothing)
    assert not verdict.judged and verdict.lines() == [
        "scored:    nothing: no model was pushed in this run"
    ]


def test_a_batch_that_breaks_the_schema_of_record_writes_nothing(tmp_path: Path) -> None:
    save_base(tmp_path / "serving")
    settings = _settings(tmp_path, output=str(tmp_path / "published"))
    with pytest.raises(BatchAnomalies, match="island"):
        _run(tmp_path, settings, pushed=_pushed(tmp_path, 1), islands=("Torgersen",))
    assert list((tmp_path / "scores").iterdir()) == []
    assert not (tmp_path / "published").exists()


def test_spec_inputs_output_and_fingerprint() -> None:
    scorer = component.BatchScorer(
        schema=tfx.dsl.Channel(type=standard_artifacts.Schema),
        settings={"data": "d"},
        pushed_model=tfx.dsl.Channel(type=standard_artifacts.PushedModel),
    )
    assert json.loads(scorer.exec_properties["settings"]) == {"data": "d"}
    assert scorer.outputs["scores"].type == standard_artifacts.InferenceResult
    assert scorer.exec_properties["code_fingerprint"] == code_fingerprint(executor.__name__)
