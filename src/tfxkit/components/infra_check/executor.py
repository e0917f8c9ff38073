"""InfraCheck executor: evaluation examples -> TF Serving requests -> a fresh serving process ->
answers compared with the Evaluator's model's predictions -> a blessing, with the reason.

What is compared, exactly: TFMA keeps no per-example predictions, so the reference is computed
here, in the executor's process, by the same SavedModel through the signature the Evaluator
called (its eval config's ``signature_name``: tfxkit's ``serving_examples``) on the same
examples. Every served answer that holds a prediction (Predict's ``probabilities`` /
``predictions``, Classify's ``scores``, Regress's values) must be within ``ATOL + RTOL *
|reference|`` of it, example by example; a signature that predicts nothing
(``transform_features``) must answer without error. So a pass proves: the export loads in a
process that never trained it, through ``tfxkit serve``'s code; every signature answers TF
Serving's protos; and the raw-feature signature a client calls predicts what the Evaluator
measured.

The checked requests become the model's warm-up file: the ``infra_blessing`` output holds
``assets.extra/tf_serving_warmup_requests`` (only when the check passed: TF Serving refuses to
load a version whose warm-up fails) and the pusher copies it into the pushed version.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np
from tfx.dsl.components.base import base_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils
from tfx.utils import io_utils, path_utils

from tfxkit.components.infra_check import probe
from tfxkit.components.infra_check import requests as rq
from tfxkit.components.infra_check.verdict import InfraCheckVerdict, SignatureCheck
from tfxkit.components.infra_check.warmup import WARMUP_FILE, WARMUP_PATH
from tfxkit.components.verdicts import Artifacts, GateExecutor, load_settings
from tfxkit.serving.custom_ops import register_for

EXAMPLES_KEY = "examples"
MODEL_KEY = "model"
EVALUATION_KEY = "evaluation"
INFRA_BLESSING_KEY = "infra_blessing"
SETTINGS_KEY = "settings"
ATOL = 1e-5
RTOL = 1e-4
PROBE = probe.__name__  # imported, so its code (and what it imports) is in the fingerprint


def evaluator_signature(evaluation_uri: str) -> str:
    """The signature TFMA called for the candidate (its eval config, stored with its output)."""
    from tensorflow_model_analysis.writers import eval_config_writer

    eval_config = eval_config_writer.load_eval_run(evaluation_uri)[0]
    specs = [s for s in eval_config.model_specs if not s.is_baseline] if eval_config else []
    return (specs[0].signature_name if specs else "") or "serving_default"


def read_examples(examples: list[Any], split: str, limit: int) -> list[bytes]:
    """The first ``limit`` serialized examples of a split (TFX writes gzipped TFRecords)."""
    import tensorflow as tf

    uri = artifact_utils.get_split_uri(examples, split)
    files = sorted(fileio.glob(os.path.join(uri, "*")))
    if not files:
        return []
    compression = "GZIP" if files[0].endswith(".gz") else ""
    dataset = tf.data.TFRecordDataset(files, compression_type=compression).take(limit)
    return [record.numpy() for record in dataset]


def signature_defs(model_dir: str) -> dict[str, Any]:
    """{name: SignatureDef} of a SavedModel, read from its proto (nothing loaded)."""
    from tensorflow.core.protobuf import saved_model_pb2

    with fileio.open(os.path.join(model_dir, "saved_model.pb"), "rb") as handle:
        proto = saved_model_pb2.SavedModel.FromString(handle.read())
    return dict(proto.meta_graphs[0].signature_def)


def reference(model_dir: str, signature: str, serialized: list[bytes]) -> dict[str, np.ndarray]:
    """The Evaluator's model's outputs: ``signature`` of the SavedModel, called in this process
    on the serialized examples (as TFMA feeds them)."""
    import tensorflow as tf

    register_for(model_dir)  # tensorflow-text's ops, for a text model
    function = tf.saved_model.load(model_dir).signatures[signature]
    inputs = dict(function.structured_input_signature[1])
    if len(inputs) != 1 or next(iter(inputs.values())).dtype != tf.string:
        raise ValueError(
            f"the Evaluator's signature '{signature}' does not take serialized examples "
            f"(inputs: {', '.join(inputs)}): nothing to compare the answers with"
        )
    outputs = function(**{next(iter(inputs)): tf.constant(serialized)})
    return {name: value.numpy() for name, value in outputs.items()}


def run_probe(
    model_dir: str, requests_path: str, model_name: str, timeout_s: int
) -> dict[str, Any]:
    """The fresh process's answers (``probe``); its failure, in words, as ``error``."""
    answers = requests_path + ".answers.json"
    command = [sys.executable, "-m", PROBE, model_dir, requests_path, answers]
    command += ["--model-name", model_name, "--deadline", str(timeout_s + 5)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return {
            "error": f"the fresh serving process did not load the model and answer within "
            f"{timeout_s} s (push.infra_check.timeout_s)"
        }
    if done.returncode != 0 or not os.path.exists(answers):
        tail = " | ".join(line for line in done.stderr.strip().splitlines()[-3:])
        return {"error": f"the fresh serving process exited {done.returncode}: {tail}"}
    with open(answers) as handle:
        return json.load(handle)


def _row(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in values[:6]) + (", ...]" if len(values) > 6 else "]")


def compare(
    request: rq.Request, answer: dict[str, Any], expected: np.ndarray, preferred: str | None
) -> SignatureCheck:
    """One served answer against the Evaluator's model's predictions, example by example."""
    check = SignatureCheck(
        signature=request.signature,
        method=request.method,
        status="error",
        seconds=answer.get("seconds"),
    )
    if "error" in answer:
        check.detail = f"answered an error: {answer['error']}"
        return check
    response = rq.empty_response(request.method)
    response.ParseFromString(base64.b64decode(answer["response"]))
    outputs = rq.response_outputs(request.method, response)
    name = rq.prediction(outputs, preferred)
    if name is None:
        check.status = "answered"
        return check
    rows = len(expected)
    want = rq.per_example(expected, rows)
    try:
        got = rq.per_example(outputs[name], rows)
    except ValueError:
        check.status, check.compared = "mismatch", name
        check.detail = f"answered {name} of shape {np.shape(outputs[name])} for {rows} examples"
        return check
    if got.shape[1] == 2 and want.shape[1] == 1:  # a binary Classify: [P(0), P(1)]
        got = got[:, 1:]
    check.compared = name
    if got.shape != want.shape:
        check.status = "mismatch"
        check.detail = f"answered {name} of shape {got.shape}, the Evaluator's model {want.shape}"
        return check
    difference = np.abs(got - want)
    check.max_difference = float(np.nanmax(difference)) if difference.size else 0.0
    close = np.isclose(got, want, atol=ATOL, rtol=RTOL, equal_nan=True).all(axis=1)
    if close.all():
        check.status = "matches"
        return check
    first = int(np.argmin(close))
    check.status = "mismatch"
    check.detail = (
        f"example {first} of {rows}: {name} {_row(got[first])}, the Evaluator's model "
        f"{_row(want[first])} (tolerance {ATOL:g} + {RTOL:g} x |expected|)"
    )
    return check


def write_warmup(requests: list[rq.Request], path: str) -> None:
    """TF Serving's warm-up file: one PredictionLog per request, as a TFRecord file."""
    import tensorflow as tf

    fileio.makedirs(os.path.dirname(path))
    with tf.io.TFRecordWriter(path) as writer:
        for request in requests:
            writer.write(request.log.SerializeToString())


class Executor(GateExecutor, base_executor.BaseExecutor):
    """Blesses a model that a fresh serving process answers for as the Evaluator's model."""

    VERDICT_OUTPUT = INFRA_BLESSING_KEY  # GateExecutor sets its ``blessed``

    def decide(
        self, inputs: Artifacts, outputs: Artifacts, properties: dict[str, Any]
    ) -> InfraCheckVerdict:
        started = time.monotonic()
        settings = load_settings(properties, SETTINGS_KEY)
        model = artifact_utils.get_single_instance(inputs[MODEL_KEY])
        infra = artifact_utils.get_single_instance(outputs[INFRA_BLESSING_KEY])
        infra.set_string_custom_property("current_model", model.uri)
        infra.set_int_custom_property("current_model_id", model.id)
        verdict = self._check(inputs, model, settings, infra.uri)
        verdict.seconds = round(time.monotonic() - started, 2)
        infra.set_int_custom_property("warmup_requests", verdict.warmup_requests)
        io_utils.write_string_file(
            os.path.join(infra.uri, "INFRA_BLESSED" if verdict.passed else "INFRA_NOT_BLESSED"),
            "",
        )
        return verdict

    def _check(
        self, inputs: Artifacts, model: Any, settings: dict[str, Any], infra_uri: str
    ) -> InfraCheckVerdict:
        model_dir = path_utils.serving_model_path(model.uri)
        evaluation_uri = artifact_utils.get_single_uri(inputs[EVALUATION_KEY])
        eval_signature = evaluator_signature(evaluation_uri)
        verdict = InfraCheckVerdict(
            passed=False,
            evaluator_signature=eval_signature,
            tolerance={"atol": ATOL, "rtol": RTOL},
        )
        serialized = read_examples(inputs[EXAMPLES_KEY], settings["split"], settings["examples"])
        verdict.examples = len(serialized)
        if not serialized:
            verdict.judged = False
            verdict.reasons = [f"no examples in the '{settings['split']}' split to send"]
            return verdict
        planned, verdict.skipped = rq.build(
            signature_defs(model_dir), serialized, settings["model_name"]
        )
        try:
            expected = reference(model_dir, eval_signature, serialized)
        except (KeyError, ValueError) as exc:
            verdict.judged = False
            verdict.reasons = [str(exc).strip("'\"")]
            return verdict
        preferred = rq.prediction(expected)
        if preferred is None:
            verdict.judged = False
            verdict.reasons = [f"the Evaluator's '{eval_signature}' returns no prediction"]
            return verdict
        with tempfile.TemporaryDirectory(prefix="tfxkit-infra-check-") as tmp:
            requests_path = os.path.join(tmp, WARMUP_FILE)
            write_warmup(planned, requests_path)
            result = run_probe(
                model_dir, requests_path, settings["model_name"], settings["timeout_s"]
            )
        verdict.load_seconds = result.get("load_seconds")
        problem = result.get("error") or result.get("load_error")
        if problem:
            where = "the model did not load: " if "load_error" in result else ""
            verdict.reasons = [where + problem]
            return verdict
        verdict.checks = [
            compare(request, answer, expected[preferred], preferred)
            for request, answer in zip(planned, result["answers"], strict=True)
        ]
        failed = [c for c in verdict.checks if c.status in ("mismatch", "error")]
        if failed:
            first = failed[0]
            more = f" (and {len(failed) - 1} more signature(s))" if len(failed) > 1 else ""
            verdict.reasons = [f"{first.signature} ({first.method}): {first.detail}{more}"]
        verdict.judged = any(c.status == "matches" for c in verdict.checks)
        verdict.passed = not failed and verdict.judged
        if not verdict.judged and not failed:
            verdict.reasons = ["no signature answered a prediction to compare"]
        if verdict.passed:
            write_warmup(planned, os.path.join(infra_uri, WARMUP_PATH))
            verdict.warmup_requests = len(planned)
        return verdict
