"""Request logging of ``tfxkit serve`` and the Client (issue 24): sampled rows as tf.Examples in
rotated TFRecord windows, each with its request id, timestamp and model version."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
import tensorflow as tf

from tests.serving_toy import MODEL, ROWS, new_base, save_toy
from tfxkit.serving import Client
from tfxkit.serving.request_log import (
    MODEL_VERSION,
    PARTIAL,
    PREDICTION,
    REQUEST_ID,
    TIMESTAMP,
    LogSettings,
    RequestLogger,
    prediction_key,
)
from tfxkit.serving.server import EmbeddedServer


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("toy-models")
    for version in (1, 2):
        save_toy(root / str(version), float(version))
    return new_base(root, tmp_path_factory.mktemp("base"))


def _rows(path: Path) -> list[tf.train.Example]:
    return [tf.train.Example.FromString(r.numpy()) for r in tf.data.TFRecordDataset(str(path))]


def _value(example: tf.train.Example, key: str):
    feature = example.features.feature[key]
    kind = feature.WhichOneof("kind")
    return list(getattr(feature, kind).value)[0]


def _serve(base: Path, settings: LogSettings) -> EmbeddedServer:
    return EmbeddedServer(
        str(base), rest_port=0, grpc_port=None, log=lambda _: None, request_log=settings
    )


def test_served_rows_are_logged_with_id_time_and_version(base: Path, tmp_path: Path) -> None:
    settings = LogSettings(str(tmp_path / "log"), rotate_records=3)
    with _serve(base, settings) as server:
        url = f"http://127.0.0.1:{server.rest_port}/v1/models/{MODEL}/versions/1:predict"
        answer = requests.post(url, json={"instances": ROWS}, headers={"X-Request-Id": "abc"})
        assert answer.status_code == 200 and answer.headers["X-Request-Id"] == "abc"
        plain = requests.post(url, json={"instances": ROWS[:1]})
        generated = plain.headers["X-Request-Id"]
        requests.post(url, json={"instances": [{"x": 1.0}]})  # refused (400): not logged
    windows = sorted((tmp_path / "log" / MODEL).iterdir())
    assert [w.suffix for w in windows] == [".tfrecord"]  # 3 rows: one full window, renamed
    rows = _rows(windows[0])
    assert [_value(r, REQUEST_ID).decode() for r in rows] == ["abc-0", "abc-1", generated]
    assert {_value(r, MODEL_VERSION) for r in rows} == {1}
    assert [_value(r, "s") for r in rows] == [b"a", b"b", b"a"]
    # the toy answers x + y + k and echoes s: version 1 adds 1
    assert _value(rows[1], prediction_key("sum")) == pytest.approx(3.0 + 4.0 + 1.0)
    stamps = [_value(r, TIMESTAMP) for r in rows]
    assert all(1.6e12 < t <= time.time() * 1000 for t in stamps) and stamps == sorted(stamps)


def test_windows_rotate_by_count_and_sampling_drops_rows(base: Path, tmp_path: Path) -> None:
    settings = LogSettings(str(tmp_path / "log"), sample_rate=0.5, rotate_records=10)
    logger = RequestLogger(settings, seed=7)
    with _serve(base, settings) as server:
        server._rest.app.request_log = server.request_log = logger.start()
        client = Client("127.0.0.1", server.rest_port, None, retries=0)
        for _ in range(100):
            client.predict(MODEL, ROWS[:1], version=2)
    windows = sorted((tmp_path / "log" / MODEL).glob("*"))
    counts = [len(_rows(w)) for w in windows]
    assert not any(w.name.endswith(PARTIAL) for w in windows)
    assert all(c == 10 for c in counts[:-1]) and 0 < counts[-1] <= 10
    assert 30 <= sum(counts) <= 70  # about half of 100 sampled
    assert logger.written == sum(counts) and logger.dropped == 0


def test_windows_rotate_by_time(tmp_path: Path) -> None:
    logger = RequestLogger(LogSettings(str(tmp_path), rotate_seconds=0.3)).start()
    body = b'{"instances": [{"x": 1.0}]}'
    logger.offer("m", 3, "predict", body, {"predictions": [2.0]})
    time.sleep(1.5)  # the writer closes a window older than rotate_seconds while idle
    assert len(logger.closed) == 1
    logger.offer("m", 3, "predict", body, {"predictions": [2.0]})
    logger.stop()
    assert len(logger.closed) == 2
    assert [_value(_rows(p)[0], PREDICTION) for p in logger.closed] == [2.0, 2.0]


def test_client_logs_its_own_requests(base: Path, tmp_path: Path) -> None:
    logger = RequestLogger(LogSettings(str(tmp_path / "client-log"))).start()
    with EmbeddedServer(str(base), rest_port=0, grpc_port=None, log=lambda _: None) as server:
        client = Client("127.0.0.1", server.rest_port, None, retries=0, request_log=logger)
        client.predict(MODEL, ROWS, version=2)
    logger.stop()
    [window] = logger.closed
    rows = _rows(window)
    assert [_value(r, MODEL_VERSION) for r in rows] == [2, 2]
    assert [_value(r, "x") for r in rows] == [1.0, 3.0]


def test_a_full_queue_drops_records_instead_of_blocking(tmp_path: Path) -> None:
    logger = RequestLogger(LogSettings(str(tmp_path), queue_size=2))  # not started: nothing drains
    for _ in range(5):
        logger.offer("m", 1, "predict", b'{"instances": [1]}', {"predictions": [1]})
    assert logger.dropped == 3


def test_serve_logs_what_the_configs_monitoring_section_says(tmp_path: Path) -> None:
    from tfxkit.config.pipeline_config import validate_config
    from tfxkit.monitoring.monitor import log_settings

    data = {
        "name": "shop",
        "workspace": str(tmp_path),
        "data": {"format": "csv", "path": str(tmp_path)},
        "features": [{"name": "x", "type": "float", "transform": "zscore"}],
        "label": {"name": "y", "type": "float"},
        "evaluation": {"bless": "always"},
    }
    assert log_settings(validate_config(data)) is None  # off unless enabled
    data["monitoring"] = {"logging": {"enabled": True, "sample_rate": 0.1, "rotate_records": 5}}
    settings = log_settings(validate_config(data))
    assert settings == LogSettings(str(tmp_path / "shop" / "request_log"), 0.1, 3600.0, 5, 10_000)


def test_grpc_predict_is_logged_too(base: Path, tmp_path: Path) -> None:
    settings = LogSettings(str(tmp_path / "log"))
    with EmbeddedServer(
        str(base), rest_port=0, grpc_port=0, log=lambda _: None, request_log=settings
    ) as server:
        client = Client("127.0.0.1", server.rest_port, server.grpc_port, retries=0)
        columns = {"x": [1.0, 3.0], "y": [2.0, 4.0], "s": ["a", "b"]}
        client.predict_grpc(MODEL, columns, version=2)
        logger = server.request_log
    [window] = logger.closed
    rows = _rows(window)
    assert [_value(r, "s") for r in rows] == [b"a", b"b"]
    assert [_value(r, MODEL_VERSION) for r in rows] == [2, 2]
    assert [_value(r, prediction_key("sum")) for r in rows] == [5.0, 9.0]  # x + y + 2
    ids = [_value(r, REQUEST_ID).decode() for r in rows]
    assert ids[0].endswith("-0") and ids[1].endswith("-1")
