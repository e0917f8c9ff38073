"""InfraCheck executor: a model that serves as evaluated is blessed and gets a warm-up file; a
raw-feature signature that disagrees with the Evaluator's, a signature that fails, a process
that does not answer in time or dies, and an empty split are refused, each saying why.

The models are small stand-ins of tfxkit's export (``training.export``): ``serving_default``
takes raw feature values, ``serving_examples`` (the Evaluator's) and ``classification`` take
serialized tf.Examples; a missing ``size`` is imputed with 2.0 by the examples' path.
"""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from tfx.types import standard_artifacts

from tfxkit.components.infra_check import executor, probe
from tfxkit.components.infra_check import requests as rq
from tfxkit.components.infra_check.verdict import InfraCheckVerdict
from tfxkit.components.infra_check.warmup import WARMUP_PATH
from tfxkit.components.verdicts import read

MEAN_SIZE = 2.0
ROWS = [(1.0, "red"), (3.0, "blue"), (2.5, "red"), (None, "blue"), (0.5, "")]


def export(path: Path, *, raw_missing: float = MEAN_SIZE, one_at_a_time: bool = False) -> str:
    """A binary model; ``raw_missing``: what its raw-feature signature puts for a missing size
    (a skew when not the mean); ``one_at_a_time``: classification refuses a batch."""

    class Model(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(0.8, dtype=tf.float32)

        def score(self, size: tf.Tensor, color: tf.Tensor) -> tf.Tensor:
            red = tf.cast(tf.equal(color, "red"), tf.float32)
            return tf.sigmoid(self.w * size - 1.5 + red)

        def parsed(self, serialized: tf.Tensor) -> tf.Tensor:
            spec = {
                "size": tf.io.FixedLenFeature([], tf.float32, default_value=MEAN_SIZE),
                "color": tf.io.FixedLenFeature([], tf.string, default_value=""),
            }
            features = tf.io.parse_example(serialized, spec)
            return self.score(features["size"], features["color"])

        @tf.function(
            input_signature=[
                tf.TensorSpec([None], tf.float64, name="size"),
                tf.TensorSpec([None], tf.string, name="color"),
            ]
        )
        def serve_raw(self, size, color):
            size = tf.where(tf.math.is_nan(size), tf.constant(raw_missing, tf.float64), size)
            p = self.score(tf.cast(size, tf.float32), color)
            names = tf.tile(tf.constant([["no", "yes"]]), [tf.shape(p)[0], 1])
            return {  # the export's contract: predicted class, [P(no), P(yes)], their names
                "classes": tf.where(p > 0.5, "yes", "no"),
                "probabilities": tf.stack([1.0 - p, p], axis=1),
                "class_names": names,
            }

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
        def serve_examples(self, examples):
            return {"probabilities": self.parsed(examples)}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="inputs")])
        def classify(self, inputs):
            if one_at_a_time:
                tf.debugging.assert_equal(tf.size(inputs), 1, "one example per request")
            p = self.parsed(inputs)
            batch = tf.shape(p)[0]
            return {
                "classes": tf.tile(tf.constant([["no", "yes"]]), [batch, 1]),
                "scores": tf.stack([1.0 - p, p], axis=1),
            }

    model = Model()
    signatures = {
        "serving_default": model.serve_raw.get_concrete_function(),
        "serving_examples": model.serve_examples.get_concrete_function(),
        "classification": model.classify.get_concrete_function(),
    }
    serving = path / "Format-Serving"
    tf.saved_model.save(model, str(serving), signatures=signatures)
    _set_method(serving, "classification", rq.CLASSIFY)
    return str(path)


def _set_method(saved_model: Path, signature: str, method: str) -> None:
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel.FromString((saved_model / "saved_model.pb").read_bytes())
    proto.meta_graphs[0].signature_def[signature].method_name = method
    (saved_model / "saved_model.pb").write_bytes(proto.SerializeToString())


def _example(size: float | None, color: str) -> bytes:
    feature = {"color": tf.train.Feature(bytes_list=tf.train.BytesList(value=[color.encode()]))}
    if size is not None:
        feature["size"] = tf.train.Feature(float_list=tf.train.FloatList(value=[size]))
    feature["label"] = tf.train.Feature(int64_list=tf.train.Int64List(value=[1]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _examples(path: Path, rows: list) -> standard_artifacts.Examples:
    split = path / "Split-eval"
    split.mkdir(parents=True)
    with tf.io.TFRecordWriter(str(split / "data.gz"), options="GZIP") as writer:
        for size, color in rows:
            writer.write(_example(size, color))
    examples = standard_artifacts.Examples()
    examples.uri, examples.split_names = str(path), '["eval"]'
    return examples


def _evaluation(path: Path) -> standard_artifacts.ModelEvaluation:
    import tensorflow_model_analysis as tfma
    from tensorflow_model_analysis.writers import eval_config_writer

    path.mkdir(parents=True)
    config = tfma.EvalConfig(model_specs=[tfma.ModelSpec(signature_name="serving_examples")])
    text = eval_config_writer._serialize_eval_run(config, "", "", {})
    (path / "eval_config.json").write_text(text)
    evaluation = standard_artifacts.ModelEvaluation()
    evaluation.uri = str(path)
    return evaluation


def check(tmp_path: Path, rows: list = ROWS, timeout_s: int = 120, **model: object):
    """One executor run; its output (the infra blessing, twice: the verdict's blessing and the
    warm-up's holder are one artifact) and verdict."""
    artifact = standard_artifacts.Model()
    artifact.uri = export(tmp_path / "model", **model)
    infra = standard_artifacts.InfraBlessing()
    infra.uri = str(tmp_path / "infra")
    blessing = infra
    settings = {"examples": 32, "timeout_s": timeout_s, "split": "eval", "model_name": "m"}
    executor.Executor().Do(
        {
            "examples": [_examples(tmp_path / "examples", rows)],
            "model": [artifact],
            "evaluation": [_evaluation(tmp_path / "evaluation")],
        },
        {"infra_blessing": [infra]},
        {"settings": json.dumps(settings), "code_fingerprint": "x"},
    )
    verdict = read(blessing)
    assert isinstance(verdict, InfraCheckVerdict)
    return blessing, infra, verdict


def test_a_model_that_serves_as_evaluated_is_blessed_with_a_warmup_file(tmp_path: Path) -> None:
    blessing, infra, verdict = check(tmp_path)
    assert verdict.passed and blessing.get_int_custom_property("blessed") == 1
    assert infra.get_int_custom_property("blessed") == 1
    assert {(c.signature, c.method, c.status) for c in verdict.checks} == {
        ("serving_default", "predict", "matches"),
        ("serving_examples", "predict", "matches"),
        ("classification", "classify", "matches"),
    }
    assert verdict.examples == len(ROWS) and verdict.evaluator_signature == "serving_examples"
    warmup = tmp_path / "infra" / WARMUP_PATH
    records = probe.read_records(str(warmup))  # TF Serving's format: PredictionLog records
    assert verdict.warmup_requests == len(records) == 3
    assert {r.WhichOneof("log_type") for r in records} == {"predict_log", "classify_log"}
    specs = [getattr(r, r.WhichOneof("log_type")).request.model_spec for r in records]
    assert {(s.name, s.signature_name) for s in specs} == {
        ("m", "serving_default"),
        ("m", "serving_examples"),
        ("m", "classification"),
    }
    assert verdict.lines()[0].startswith("serves:    passed")
    assert blessing.get_string_custom_property("reason").startswith("blessed: 3 signature(s)")


def test_a_raw_signature_that_imputes_otherwise_is_refused_naming_the_example(
    tmp_path: Path,
) -> None:
    blessing, infra, verdict = check(tmp_path, raw_missing=0.0)
    assert not verdict.passed and blessing.get_int_custom_property("blessed") == 0
    assert infra.get_int_custom_property("blessed") == 0
    assert not (tmp_path / "infra" / WARMUP_PATH).exists(), "no warm-up of a refused model"
    (reason,) = verdict.reasons
    assert reason.startswith("serving_default (predict): example 3 of 5: probabilities [")
    assert "the Evaluator's model" in reason
    assert blessing.get_string_custom_property("reason") == f"not blessed: {reason}"
    (line,) = verdict.lines()  # the run summary: one line, the reason in it
    assert line.startswith("serves:    FAILED in ") and line.endswith(reason)


def test_a_signature_that_answers_an_error_is_refused(tmp_path: Path) -> None:
    _, _, verdict = check(tmp_path, one_at_a_time=True)
    assert not verdict.passed
    assert verdict.reasons[0].startswith("classification (classify): answered an error: ")
    assert "INVALID_ARGUMENT" in verdict.reasons[0]


def test_a_process_that_does_not_answer_in_time_is_refused(tmp_path: Path) -> None:
    _, _, verdict = check(tmp_path, timeout_s=1)  # TensorFlow alone takes longer to import
    assert not verdict.passed
    assert verdict.reasons == [
        "the fresh serving process did not load the model and answer within 1 s "
        "(push.infra_check.timeout_s)"
    ]


def test_a_process_that_dies_is_refused_with_its_last_words(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(executor, "PROBE", "tfxkit.components.infra_check.no_such_module")
    _, _, verdict = check(tmp_path)
    assert not verdict.passed
    assert verdict.reasons[0].startswith("the fresh serving process exited 1: ")
    assert "no_such_module" in verdict.reasons[0]


def test_an_empty_split_judges_nothing_and_blesses_nothing(tmp_path: Path) -> None:
    blessing, _, verdict = check(tmp_path, rows=[])
    assert (verdict.passed, verdict.judged) == (False, False)
    assert blessing.get_int_custom_property("blessed") == 0
    assert "no examples in the 'eval' split" in verdict.reasons[0]


def test_a_model_that_does_not_load_is_reported_not_raised(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "saved_model.pb").write_bytes(b"not a SavedModel")
    requests = tmp_path / "requests"
    executor.write_warmup([], str(requests))
    result = probe.answer(str(broken), str(requests), "m")
    assert result["answers"] == [] and "load_error" in result


def test_raw_inputs_carry_a_missing_value_as_nan_or_empty() -> None:
    examples = [tf.train.Example.FromString(_example(None, ""))]
    assert math.isnan(rq._column(examples, "size", tf.float64.as_datatype_enum)[0])
    assert rq._column(examples, "color", tf.string.as_datatype_enum).tolist() == [b""]
    assert rq._column(examples, "size", tf.int64.as_datatype_enum).tolist() == [0]


@pytest.mark.parametrize(
    ("served", "expected", "status"),
    [
        (np.array([[0.3, 0.7], [0.9, 0.1]]), np.array([0.7, 0.1]), "matches"),  # binary classify
        (np.array([0.7, 0.1]), np.array([[0.7], [0.1]]), "matches"),
        (np.array([0.7, 0.2]), np.array([0.7, 0.1]), "mismatch"),
    ],
)
def test_compare_lines_up_binary_shapes(served, expected, status) -> None:
    response = rq.predict_pb2.PredictResponse()
    response.outputs["probabilities"].CopyFrom(tf.make_tensor_proto(served.astype(np.float32)))
    answer = {"response": base64.b64encode(response.SerializeToString()).decode()}
    request = rq.Request("s", "predict", None)
    result = executor.compare(request, answer, expected, "probabilities")
    assert result.status == status
    if status == "mismatch":
        assert result.detail.startswith("example 1 of 2: probabilities [0.2]")
