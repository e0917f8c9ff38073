"""Serving hand-off, end to end: pipeline push -> ``tfxkit serve`` -> client, as users deploy.

Built on the session's penguin cold run (its serving base is copied, so the penguin module's
own assertions are untouched). A second real pipeline run (another seed) pushes a new version:
it must appear as the canary, the canary label must route to it, and promote / rollback must
move traffic. Answers over REST and gRPC are compared with in-process calls of the same
SavedModel on the same rows. The server here is tfxkit's embedded one: TF Serving's binary
cannot be installed in this environment (production runs the TF Serving image).
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.paths import PENGUIN_DATA, REPO
from tests.pipeline_runs import run_pipeline, versions

pytestmark = pytest.mark.slow

NUMBERS = {"bill_length_mm": float, "bill_depth_mm": float, "flipper_length_mm": int,
           "body_mass_g": int}  # fmt: skip
STRINGS = ("island", "sex")
TFXKIT = str(Path(sys.executable).parent / "tfxkit")


def _rows() -> list[dict]:
    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    picked = [r for s in ("Adelie", "Chinstrap", "Gentoo") for r in
              [row for row in rows if row["species"] == s][:2]]  # fmt: skip
    missing = dict(picked[0], bill_depth_mm="", sex="")  # a row with missing cells
    return [*picked, missing]


def _instance(row: dict) -> dict:
    """The serving_default input: numbers as float (NaN = missing), strings ("" = missing)."""
    out = {k: float(row[k]) if row[k] not in ("", "NA") else math.nan for k in NUMBERS}
    return {**out, **{k: row[k] if row[k] != "NA" else "" for k in STRINGS}}


def _example(row: dict) -> dict:
    """A tf.Example as JSON for classify: typed as configured; missing cells left out."""
    out: dict = {k: kind(float(row[k])) for k, kind in NUMBERS.items() if row[k] not in ("", "NA")}
    return {**out, **{k: row[k] for k in STRINGS if row[k] not in ("", "NA")}}


def _in_process(model_dir: Path, rows: list[dict]) -> dict:
    import tensorflow as tf

    serve = tf.saved_model.load(str(model_dir)).signatures["serving_default"]
    columns = [_instance(r) for r in rows]
    inputs = {k: tf.constant([c[k] for c in columns], tf.float64) for k in NUMBERS}
    inputs.update({k: tf.constant([c[k] for c in columns]) for k in STRINGS})
    outputs = serve(**inputs)
    return {
        "probabilities": outputs["probabilities"].numpy(),
        "classes": [c.decode() for c in outputs["classes"].numpy()],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def base(penguin_cold_run: dict, penguin_workspace: Path, tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("serving") / "base"
    shutil.copytree(penguin_workspace / "serving", copy)
    return copy


@pytest.fixture(scope="module")
def server(base: Path):
    from tfxkit.serving.server import EmbeddedServer

    with EmbeddedServer(str(base), rest_port=0, grpc_port=0, poll_seconds=0.3) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    from tfxkit.serving import Client

    return Client("127.0.0.1", server.rest_port, server.grpc_port, timeout=30)


def _labels(base: Path) -> dict[str, int]:
    from tfxkit.serving import server_config

    return server_config.labels_of(server_config.read_models_config(str(base)), "penguin")


def _wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the server did not pick up the change in time"
        time.sleep(0.2)


def test_push_writes_layout_and_configs_that_parse(base: Path) -> None:
    from tfxkit.serving import server_config

    stable = _labels(base)["stable"]
    assert stable in versions(base / "penguin")
    assert (base / "penguin" / str(stable) / "saved_model.pb").exists()
    assert server_config.validate_base(str(base)) == []
    text = (base / "models.config").read_text()
    assert 'base_path: "/models/penguin"' in text and 'key: "stable"' in text


def test_rest_and_grpc_predictions_equal_in_process_calls(base: Path, client) -> None:
    rows = _rows()
    expected = _in_process(base / "penguin" / str(_labels(base)["stable"]), rows)
    rows_answer = client.predict("penguin", [_instance(r) for r in rows], label="stable")
    assert [p["classes"] for p in rows_answer] == expected["classes"]
    got = np.array([p["probabilities"] for p in rows_answer])
    assert np.abs(got - expected["probabilities"]).max() < 1e-6
    columns = {k: [_instance(r)[k] for r in rows] for k in (*NUMBERS, *STRINGS)}
    columnar = client.predict("penguin", inputs=columns, label="stable")
    assert np.abs(np.array(columnar["probabilities"]) - expected["probabilities"]).max() < 1e-6
    grpc_out = client.predict_grpc(
        "penguin",
        {k: np.array(v, dtype=np.float64 if k in NUMBERS else object) for k, v in columns.items()},
        label="stable",
    )
    assert np.abs(grpc_out["probabilities"] - expected["probabilities"]).max() < 1e-6


def test_classify_over_rest_and_grpc_matches_predict(base: Path, client) -> None:
    rows = _rows()
    expected = _in_process(base / "penguin" / str(_labels(base)["stable"]), rows)
    results = client.classify("penguin", [_example(r) for r in rows], label="stable")
    for result, probabilities, predicted in zip(
        results, expected["probabilities"], expected["classes"], strict=True
    ):
        # Classes in the label vocabulary's order, the order of the probabilities.
        assert sorted(c for c, _ in result) == ["Adelie", "Chinstrap", "Gentoo"]
        assert np.abs(np.array([s for _, s in result]) - probabilities).max() < 1e-5
        assert max(result, key=lambda pair: pair[1])[0] == predicted
    over_grpc = client.classify_grpc("penguin", [_example(r) for r in rows], label="stable")
    for rest_row, grpc_row in zip(results, over_grpc, strict=True):
        assert [c for c, _ in rest_row] == [c for c, _ in grpc_row]
        assert np.abs(np.array([s for _, s in rest_row]) - [s for _, s in grpc_row]).max() < 1e-6


def test_malformed_requests_get_tf_serving_errors(server) -> None:
    import requests

    url = f"http://127.0.0.1:{server.rest_port}/v1/models/penguin"
    bad_json = requests.post(url + ":predict", data=b"{instances: [", timeout=30)
    assert bad_json.status_code == 400 and "error" in bad_json.json()
    instance = _instance(_rows()[0])
    del instance["island"]
    missing = requests.post(url + ":predict", json={"instances": [instance]}, timeout=30)
    assert missing.status_code == 400 and "island" in missing.json()["error"]
    unknown = requests.get(url.replace("penguin", "nope"), timeout=30)
    assert unknown.status_code == 404 and set(unknown.json()) == {"error"}


@pytest.fixture(scope="module")
def second_push(base: Path, penguin_workspace: Path, server) -> dict:
    """A second real run (another seed) pushing to the copied base."""
    before = versions(base / "penguin")
    summary = base.parent / "second.json"
    result = run_pipeline(
        penguin_workspace,
        "--set", f"push.destination={base}",
        "--set", "training.seed=13",
        "--set", "evaluation.thresholds.SparseCategoricalAccuracy={lower_bound: 0.6}",
        summary=summary,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"before": before, "summary": json.loads(summary.read_text())}


def test_second_push_is_a_new_version_and_the_canary(base: Path, second_push: dict) -> None:
    new = max(second_push["before"]) + 1
    assert versions(base / "penguin") == [*second_push["before"], new]
    assert second_push["summary"]["pushed_path"] == str(base / "penguin" / str(new))
    assert second_push["summary"]["serving_labels"]["canary"] == new
    assert _labels(base)["canary"] == new


def test_canary_label_routes_to_the_new_version(base: Path, client, second_push) -> None:
    rows, labels = _rows(), _labels(base)
    canary = _in_process(base / "penguin" / str(labels["canary"]), rows)
    stable = _in_process(base / "penguin" / str(labels["stable"]), rows)
    assert np.abs(canary["probabilities"] - stable["probabilities"]).max() > 1e-4

    def answers(label: str) -> np.ndarray:
        got = client.predict("penguin", [_instance(r) for r in rows], label=label)
        return np.array([p["probabilities"] for p in got])

    def canary_served() -> bool:
        try:
            return np.abs(answers("canary") - canary["probabilities"]).max() < 1e-6
        except Exception:  # noqa: BLE001 - not loaded yet
            return False

    _wait_for(canary_served)
    assert np.abs(answers("stable") - stable["probabilities"]).max() < 1e-6


def _tfxkit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [TFXKIT, *args], capture_output=True, text=True, cwd=REPO, check=False, timeout=300
    )


def test_promote_and_rollback_move_traffic(base: Path, client, second_push) -> None:
    labels = _labels(base)
    old, new = labels["stable"], labels["canary"]
    promoted = _tfxkit("serving", "promote", "penguin", "--version", str(new), "--label",
                       "stable", "--base", str(base))  # fmt: skip
    assert promoted.returncode == 0, promoted.stderr
    assert _labels(base) == {"stable": new}
    _wait_for(lambda: client.status("penguin", label="stable")[0]["version"] == str(new))

    rolled = _tfxkit("serving", "rollback", "penguin", "--base", str(base))
    assert rolled.returncode == 0, rolled.stderr
    assert _labels(base) == {"stable": old}
    _wait_for(lambda: client.status("penguin", label="stable")[0]["version"] == str(old))

    # A version that tfxkit's pusher did not push (no blessing record) is refused.
    shutil.copytree(base / "penguin" / str(new), base / "penguin" / str(new + 1))
    refused = _tfxkit("serving", "promote", "penguin", "--version", str(new + 1),
                      "--base", str(base))  # fmt: skip
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "not pushed by tfxkit" in refused.stderr
    assert _labels(base) == {"stable": old}


def test_tfxkit_serve_command_answers_status(base: Path) -> None:
    from tfxkit.serving import Client

    port = _free_port()
    process = subprocess.Popen(
        [TFXKIT, "serve", "--base", str(base), "--rest-port", str(port), "--no-grpc"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        client = Client("127.0.0.1", port, None, timeout=10, retries=8, backoff=1.0)
        status = client.status("penguin")
        assert status and all(s["state"] == "AVAILABLE" for s in status)
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "Local use only" in output
