"""The pushed version carries TF Serving's warm-up file: PredictionLog records that a model store
loading the version replays without error; the file is not part of the model (the same model
with other warm-up requests is already pushed); an infra check that did not bless stops the push.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import tensorflow as tf
from tfx.types import standard_artifacts

from tfxkit.components.infra_check import executor as infra_executor
from tfxkit.components.infra_check import probe
from tfxkit.components.infra_check import requests as rq
from tfxkit.components.infra_check.warmup import WARMUP_PATH
from tfxkit.components.model_pusher import executor
from tfxkit.components.model_pusher.identity import identity_digest
from tfxkit.components.model_pusher.verdict import NOT_BLESSED, PushVerdict


def _export(path: Path, weight: float = 2.0) -> str:
    class Model(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(weight)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x):
            return {"predictions": x * self.w}

    model = Model()
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return str(path)


def _warmup(path: Path, model_dir: str, *xs: float) -> str:
    """The infra check's warm-up file for requests of these x values."""
    examples = [
        tf.train.Example(
            features=tf.train.Features(
                feature={"x": tf.train.Feature(float_list=tf.train.FloatList(value=[x]))}
            )
        ).SerializeToString()
        for x in xs
    ]
    planned, skipped = rq.build(infra_executor.signature_defs(model_dir), examples, "m")
    assert skipped == {} and len(planned) == 1
    infra_executor.write_warmup(planned, str(path / WARMUP_PATH))
    return str(path / WARMUP_PATH)


def test_the_warmup_file_is_pushed_and_a_model_store_replays_it(tmp_path: Path) -> None:
    from tfxkit.serving.grpc_service import PredictionService
    from tfxkit.serving.models import ModelStore

    model = _export(tmp_path / "model")
    base = tmp_path / "serving"
    result = executor.push_model(
        model, str(base / "m"), warmup=_warmup(tmp_path / "infra", model, 1.0, 2.5)
    )
    assert result.warmup and (result.version, result.already_pushed) == (1, False)
    records = probe.read_records(os.path.join(result.path, WARMUP_PATH))
    assert [r.WhichOneof("log_type") for r in records] == ["predict_log"]
    store = ModelStore(str(base))
    assert store.refresh() == ["m: loaded version 1"]
    (answer,) = probe.replay(PredictionService(store), records)
    assert "error" not in answer
    response = rq.empty_response("predict")
    response.ParseFromString(base64.b64decode(answer["response"]))
    assert tf.make_ndarray(response.outputs["predictions"]).tolist() == [2.0, 5.0]


def test_other_warmup_requests_do_not_make_another_model(tmp_path: Path) -> None:
    model = _export(tmp_path / "model")
    base = str(tmp_path / "serving")
    first = executor.push_model(model, base, warmup=_warmup(tmp_path / "a", model, 1.0))
    again = executor.push_model(model, base, warmup=_warmup(tmp_path / "b", model, 7.0, 8.0))
    assert (again.version, again.already_pushed) == (first.version, True)
    # The pushed version and the model it came from have one digest and one identity.
    assert executor.content_digest(first.path) == executor.content_digest(model)
    assert identity_digest(first.path) == identity_digest(model)
    assert executor.push_model(model, base).already_pushed  # nor does no warm-up at all


def _do(tmp_path: Path, name: str, infra_blessed: int) -> standard_artifacts.PushedModel:
    model = standard_artifacts.Model()
    model.uri = str(tmp_path / "model")
    if not (tmp_path / "model").exists():
        _export(tmp_path / "model" / "Format-Serving")
    infra = standard_artifacts.InfraBlessing()
    infra.uri = str(tmp_path / f"infra-{name}")
    infra.set_int_custom_property("blessed", infra_blessed)
    if infra_blessed:
        _warmup(Path(infra.uri), str(tmp_path / "model" / "Format-Serving"), 1.0)
    pushed = standard_artifacts.PushedModel()
    pushed.uri = str(tmp_path / name)
    props = {"base_directory": str(tmp_path / "serving"), "code_fingerprint": "x"}
    inputs = {"model": [model], "infra_blessing": [infra]}
    executor.Executor().Do(inputs, {"pushed_model": [pushed]}, props)
    return pushed


def test_the_executor_needs_the_infra_blessing_and_says_the_version_is_warmed_up(
    tmp_path: Path,
) -> None:
    refused = PushVerdict.read(_do(tmp_path, "refused", infra_blessed=0))
    assert (refused.pushed, refused.reasons) == (False, [NOT_BLESSED])
    pushed = _do(tmp_path, "pushed", infra_blessed=1)
    verdict = PushVerdict.read(pushed)
    assert verdict.pushed and verdict.warmup and pushed.get_int_custom_property("warmup") == 1
    assert verdict.lines() == [f"pushed:    {tmp_path / 'serving' / '1'} (with warm-up requests)"]
    assert (tmp_path / "serving" / "1" / WARMUP_PATH).is_file()
