"""Request logging for monitoring: sampled requests and answers as tf.Examples in rotated
TFRecord windows, written off the request thread.

Why here (not in ``tfxkit.monitoring``): ``tfxkit serve`` and the ``Client`` write the log, and
serving sits below the monitor in the layers. The request thread only draws the sample, takes an
id and puts the raw body on a bounded queue (a full queue drops the record and counts it: logging
never blocks or fails a request); one writer thread turns bodies into rows and writes them.

Layout (docs/monitoring.md): ``<dir>/<model>/<UTC start>-<seq>.tfrecord``, one file per window.
A window is written as ``.partial`` and renamed when it closes (after ``rotate_seconds`` or
``rotate_records`` rows, or on stop), so a reader never sees half a window. Each row holds the
request's features, ``__request_id__`` (one id per row: ``<id>`` for a one-row request,
``<id>-<row>`` otherwise), ``__timestamp_ms__`` (Unix milliseconds, an int: a float32 of
seconds would be 128 s coarse), ``__model__``, ``__model_version__`` and the answer:
``__prediction__`` (``__prediction_<output>__`` for a model with several outputs; for classify
the top class and ``__prediction_score__``).
"""

from __future__ import annotations

import base64
import json
import os
import queue
import random
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REQUEST_ID = "__request_id__"
TIMESTAMP = "__timestamp_ms__"
MODEL = "__model__"
MODEL_VERSION = "__model_version__"
PREDICTION = "__prediction__"
SCORE = "__prediction_score__"
SUFFIX = ".tfrecord"
PARTIAL = ".partial"
HEADER = "X-Request-Id"


def is_log_key(name: str) -> bool:
    """A column the logger adds (``__...__``), not one the request sent."""
    return name.startswith("__") and name.endswith("__")


def prediction_key(output: str | None) -> str:
    return PREDICTION if not output else f"__prediction_{output}__"


@dataclass(frozen=True)
class LogSettings:
    """Where and how much to log (the config's ``monitoring.logging``)."""

    directory: str
    sample_rate: float = 1.0
    rotate_seconds: float = 3600.0
    rotate_records: int = 100_000
    queue_size: int = 10_000


@dataclass(frozen=True)
class _Entry:
    model: str
    version: int
    timestamp: float
    request_id: str
    verb: str  # predict, classify, regress
    body: bytes | dict  # a REST body as sent, or gRPC's {"inputs": {name: array}}
    answer: dict


def _scalar_feature(values: list) -> Any:
    import tensorflow as tf

    flat: list = []
    for v in values:
        if isinstance(v, dict) and set(v) == {"b64"}:
            v = base64.b64decode(v["b64"])
        if isinstance(v, list):
            return None  # nested lists (images, sequences) are not monitored per value
        flat.append(v)
    if not flat:
        return None
    if all(isinstance(v, str | bytes) for v in flat):
        data = [v.encode() if isinstance(v, str) else v for v in flat]
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=data))
    if all(isinstance(v, bool | int) for v in flat):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v) for v in flat]))
    if all(isinstance(v, int | float) for v in flat):
        return tf.train.Feature(float_list=tf.train.FloatList(value=[float(v) for v in flat]))
    return None


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _plain(value: Any) -> Any:
    """A numpy array as lists (one row per element of its first axis)."""
    return value.tolist() if hasattr(value, "tolist") else value


def request_rows(body: dict) -> list[dict[str, Any]]:
    """The rows of a predict / classify / regress body as ``{input: value}``."""
    if isinstance(body.get("instances"), list):
        return [r if isinstance(r, dict) else {"input": r} for r in body["instances"]]
    if isinstance(body.get("examples"), list):
        context = body.get("context") or {}
        return [{**context, **e} for e in body["examples"] if isinstance(e, dict)]
    inputs = body.get("inputs")
    if isinstance(inputs, dict):
        columns = {k: v for k, v in inputs.items() if isinstance(v, list)}
        rows = max((len(v) for v in columns.values()), default=0)
        return [{k: v[i] for k, v in columns.items() if i < len(v)} for i in range(rows)]
    return [{"input": v} for v in inputs] if isinstance(inputs, list) else []


def answer_rows(verb: str, answer: dict, rows: int) -> list[dict[str, Any]]:
    """The answer of each row as ``{log key: value}``."""
    if verb == "classify":
        out = []
        for pairs in answer.get("results", []):
            best = max(pairs, key=lambda p: p[1]) if pairs else None
            out.append({PREDICTION: best[0], SCORE: best[1]} if best else {})
        return out
    if verb == "regress":
        return [{PREDICTION: v} for v in answer.get("results", [])]
    if "predictions" in answer:
        predictions = answer["predictions"]
        return [
            {prediction_key(k): v for k, v in p.items()} if isinstance(p, dict) else {PREDICTION: p}
            for p in predictions
        ]
    outputs = answer.get("outputs")
    if isinstance(outputs, dict):
        return [
            {prediction_key(k): v[i] for k, v in outputs.items() if i < len(v)} for i in range(rows)
        ]
    return [{PREDICTION: v} for v in outputs] if isinstance(outputs, list) else []


def to_examples(entry: _Entry) -> list[bytes]:
    """One serialized tf.Example per row of the request, with its answer and the log keys."""
    import tensorflow as tf

    if isinstance(entry.body, dict):  # gRPC: arrays, converted here off the request thread
        body = {"inputs": {k: _plain(v) for k, v in entry.body["inputs"].items()}}
        answer = {"outputs": {k: _plain(v) for k, v in entry.answer["outputs"].items()}}
    else:
        try:
            body = json.loads(entry.body)
        except ValueError:
            return []
        answer = entry.answer
    inputs = request_rows(body) if isinstance(body, dict) else []
    answers = answer_rows(entry.verb, answer, len(inputs))
    out = []
    for index, row in enumerate(inputs):
        values = {**row, **(answers[index] if index < len(answers) else {})}
        rid = entry.request_id if len(inputs) == 1 else f"{entry.request_id}-{index}"
        values.update(
            {
                REQUEST_ID: rid,
                TIMESTAMP: int(entry.timestamp * 1000),
                MODEL: entry.model,
                MODEL_VERSION: entry.version,
            }
        )
        features = {}
        for name, value in values.items():
            feature = _scalar_feature(_as_list(value))
            if feature is not None:
                features[str(name)] = feature
        example = tf.train.Example(features=tf.train.Features(feature=features))
        out.append(example.SerializeToString())
    return out


class _Window:
    """One open TFRecord window of one model."""

    def __init__(self, directory: Path, model: str, sequence: int) -> None:
        import tensorflow as tf

        self.started = time.time()
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(self.started))
        stamp += f"{self.started % 1:.3f}"[1:]  # milliseconds: names sort by start time
        folder = directory / model
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{stamp}-{sequence:05d}{SUFFIX}"
        while self.path.exists() or Path(str(self.path) + PARTIAL).exists():  # a restart
            sequence += 1
            self.path = folder / f"{stamp}-{sequence:05d}{SUFFIX}"
        self.records = 0
        self._writer = tf.io.TFRecordWriter(str(self.path) + PARTIAL)

    def write(self, record: bytes) -> None:
        self._writer.write(record)
        self.records += 1

    def close(self) -> Path:
        self._writer.close()
        os.replace(str(self.path) + PARTIAL, self.path)
        return self.path


class RequestLogger:
    """The queue and the writer thread; ``offer`` is what a request thread calls."""

    def __init__(self, settings: LogSettings, *, seed: int | None = None) -> None:
        self.settings = settings
        self.directory = Path(settings.directory)
        self._queue: queue.Queue[_Entry | None] = queue.Queue(maxsize=settings.queue_size)
        self._random = random.Random(seed)
        self._windows: dict[str, _Window] = {}
        self._sequence = 0
        self.dropped = 0  # records lost to a full queue
        self.written = 0  # rows written
        self.closed: list[Path] = []
        self._thread: threading.Thread | None = None

    def start(self) -> RequestLogger:
        self._thread = threading.Thread(target=self._run, name="tfxkit-request-log", daemon=True)
        self._thread.start()
        return self

    def sampled(self) -> bool:
        rate = self.settings.sample_rate
        return rate >= 1.0 or (rate > 0 and self._random.random() < rate)

    def offer(
        self,
        model: str,
        version: int,
        verb: str,
        body: bytes | dict,
        answer: dict,
        request_id: str | None = None,
    ) -> str:
        """Queue one answered request if it is sampled; its request id either way."""
        rid = request_id or uuid.uuid4().hex
        if self.sampled():
            entry = _Entry(model, version, time.time(), rid, verb, body, answer)
            try:
                self._queue.put_nowait(entry)
            except queue.Full:
                self.dropped += 1
        return rid

    def _run(self) -> None:
        while True:
            try:
                entry = self._queue.get(timeout=min(1.0, self.settings.rotate_seconds))
            except queue.Empty:
                self._rotate_old()
                continue
            if entry is None:
                break
            try:
                self._write(entry)
            except Exception as exc:  # noqa: BLE001 - a bad record must not stop the log
                print(f"[tfxkit serve] request log: a record was not written: {exc}")
            self._rotate_old()
        for model in list(self._windows):
            self._close(model)

    def _write(self, entry: _Entry) -> None:
        records = to_examples(entry)
        if not records:
            return
        window = self._windows.get(entry.model)
        if window is None:
            self._sequence += 1
            window = self._windows[entry.model] = _Window(
                self.directory, entry.model, self._sequence
            )
        for record in records:
            window.write(record)
        self.written += len(records)
        if window.records >= self.settings.rotate_records:
            self._close(entry.model)

    def _rotate_old(self) -> None:
        now = time.time()
        for model, window in list(self._windows.items()):
            if now - window.started >= self.settings.rotate_seconds:
                self._close(model)

    def _close(self, model: str) -> None:
        self.closed.append(self._windows.pop(model).close())

    def stop(self) -> None:
        """Write what is queued and close every window."""
        if self._thread is None:
            return
        self._queue.put(None)  # after every queued record: all of them are written
        self._thread.join()
        self._thread = None
