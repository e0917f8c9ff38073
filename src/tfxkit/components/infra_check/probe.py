"""The fresh process of the infra check: load a model as ``tfxkit serve`` does, answer requests.

``python -m tfxkit.components.infra_check.probe MODEL_DIR REQUESTS ANSWERS --model-name NAME``
puts the SavedModel in a serving base of its own (``<tmp>/<name>/1``: a link, or a copy when
the model is not on a local disk), loads it with ``serving.models.ModelStore`` and replays every
``PredictionLog`` of REQUESTS (a TFRecord file: TF Serving's warm-up format) through the gRPC
``PredictionService`` of ``serving.grpc_service`` (Predict, Classify, Regress: the request and
response protos TF Serving takes and gives). ANSWERS gets JSON: the load time or error, and for
each request its serialized response or the error TF Serving's status code would carry.

Why a process of its own: the executor has already imported the model's ops and traced
nothing of serving; a fresh interpreter proves the SavedModel loads and answers with nothing
but what was exported (a missing custom op, an asset path that exists only on the trainer, a
signature that only works in the training process all fail here, not in production).

The process never outlives its caller: it ends itself at ``--deadline`` seconds and as soon as
its parent dies (a run killed mid-check leaves no process behind).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


class Aborted(Exception):
    """What ``context.abort`` raises: the status code and message a gRPC client would get."""

    def __init__(self, code: Any, details: str) -> None:
        super().__init__(details)
        self.code = getattr(code, "name", str(code))
        self.details = details


class _Context:
    """The part of ``grpc.ServicerContext`` the servicer uses: ``abort``."""

    def abort(self, code: Any, details: str) -> None:
        raise Aborted(code, details)


def _watch_parent(parent: int) -> None:
    """End this process when the one that started it is gone (SIGKILLed runs included)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def serving_base(model_dir: str, model_name: str, root: str) -> str:
    """``<root>/<model_name>/1`` holding the model: a symlink, or a copy for remote models."""
    version = Path(root, model_name, "1")
    version.parent.mkdir(parents=True)
    if "://" in model_dir:
        from tfx.utils import io_utils

        io_utils.copy_dir(model_dir, str(version))
    else:
        version.symlink_to(Path(model_dir).resolve(), target_is_directory=True)
    return root


def replay(service: Any, records: list[Any]) -> list[dict[str, Any]]:
    """Send each PredictionLog's request to ``service`` (a PredictionService); per request its
    serialized response (base64) or its error, and the seconds it took."""
    calls = {"predict_log": "Predict", "classify_log": "Classify", "regress_log": "Regress"}
    answers = []
    for record in records:
        kind = record.WhichOneof("log_type")
        started = time.monotonic()
        answer: dict[str, Any] = {"kind": kind}
        try:
            if kind not in calls:
                raise Aborted("UNIMPLEMENTED", f"no replay for a {kind} warm-up record")
            request = getattr(record, kind).request
            response = getattr(service, calls[kind])(request, _Context())
            answer["response"] = base64.b64encode(response.SerializeToString()).decode()
        except Aborted as exc:
            answer["error"] = f"{exc.code}: {exc.details}"
        except Exception as exc:  # noqa: BLE001 - any failure is the answer, in words
            answer["error"] = f"{type(exc).__name__}: {exc}"
        answer["seconds"] = round(time.monotonic() - started, 4)
        answers.append(answer)
    return answers


def read_records(path: str) -> list[Any]:
    """The PredictionLog records of a warm-up file."""
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    return [
        prediction_log_pb2.PredictionLog.FromString(raw.numpy())
        for raw in tf.data.TFRecordDataset([path])
    ]


def answer(model_dir: str, requests_path: str, model_name: str) -> dict[str, Any]:
    """Load the model in a serving base of its own and replay the requests."""
    from tfxkit.serving.grpc_service import PredictionService
    from tfxkit.serving.models import ModelStore

    result: dict[str, Any] = {"answers": []}
    with tempfile.TemporaryDirectory(prefix="tfxkit-infra-check-") as root:
        store = ModelStore(serving_base(model_dir, model_name, root))
        started = time.monotonic()
        store.refresh()
        result["load_seconds"] = round(time.monotonic() - started, 3)
        loaded = store.status(model_name)[0]
        if loaded.state != "AVAILABLE":
            result["load_error"] = loaded.error or f"version state {loaded.state}"
            return result
        started = time.monotonic()
        result["answers"] = replay(PredictionService(store), read_records(requests_path))
        result["answer_seconds"] = round(time.monotonic() - started, 3)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tfxkit.components.infra_check.probe")
    parser.add_argument("model_dir")
    parser.add_argument("requests")
    parser.add_argument("answers")
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--deadline", type=int, default=0, help="seconds; 0: none")
    args = parser.parse_args(argv)
    if args.deadline:
        signal.alarm(args.deadline)  # SIGALRM ends the process: its caller waits no longer
    _watch_parent(os.getppid())
    result = answer(args.model_dir, args.requests, args.model_name)
    Path(args.answers).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
