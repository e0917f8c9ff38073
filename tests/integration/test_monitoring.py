"""Monitoring end to end on the session's penguin run (issue 24): ``tfxkit serve`` logs real
traffic, ``tfxkit monitor`` finds the serving model's training statistics and schema through ML
Metadata, says ok for traffic like training and alerts for an abrupt shift with a new category.

The module runs the penguin pipeline once in its own workspace (the retrain pushes and
promotes there, so the session's shared penguin run is untouched); logs, verdicts and alerts go
under the test's own directory.
"""

from __future__ import annotations

import csv
import json
import math
import random
from pathlib import Path

import pytest

from tests.paths import PENGUIN_CONFIG, PENGUIN_DATA

pytestmark = pytest.mark.slow

NUMBERS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
STRINGS = ("island", "sex")
PHASE = 120  # rows per window


def _rows(seed: int) -> list[dict]:
    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    random.Random(seed).shuffle(rows)
    return rows[:PHASE]


def _instance(row: dict, *, shifted: bool = False) -> dict:
    out = {k: float(row[k]) if row[k] not in ("", "NA") else math.nan for k in NUMBERS}
    out.update({k: row[k] if row[k] != "NA" else "" for k in STRINGS})
    if shifted:
        out["body_mass_g"] += 2500.0
        if random.Random(row["bill_length_mm"]).random() < 0.5:
            out["island"] = "Atlantis"
    return out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A penguin run of this module's own: the retrain pushes and promotes in it."""
    from tests.pipeline_runs import run_pipeline

    ws = tmp_path_factory.mktemp("monitored") / "ws"
    result = run_pipeline(ws)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return ws


@pytest.fixture(scope="module")
def served(workspace: Path, tmp_path_factory) -> dict:
    """Two windows logged by ``tfxkit serve``: like training, then abruptly shifted."""
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.monitoring.monitor import log_settings
    from tfxkit.serving import Client
    from tfxkit.serving.server import EmbeddedServer

    root = tmp_path_factory.mktemp("monitoring")
    overrides = [
        f"workspace={workspace}",
        "monitoring.logging.enabled=true",
        f"monitoring.logging.directory={root / 'log'}",
        f"monitoring.logging.rotate_records={PHASE}",
        f"monitoring.output={root / 'verdicts'}",
        f"monitoring.sinks=[{{type: file, path: {root / 'alerts.jsonl'}}}]",
    ]
    config = load_config(PENGUIN_CONFIG, overrides)
    with EmbeddedServer(
        config.resolved_serving_base,
        rest_port=0,
        grpc_port=None,
        log=lambda _: None,
        request_log=log_settings(config),
    ) as server:
        client = Client("127.0.0.1", server.rest_port, None, timeout=30)
        for row in _rows(1):
            client.predict("penguin", [_instance(row)], label="stable")
        for row in _rows(2):
            client.predict("penguin", [_instance(row, shifted=True)], label="stable")
        logger = server.request_log
    assert logger is not None and logger.dropped == 0
    return {"root": root, "overrides": overrides, "windows": sorted(logger.closed)}


def _monitor(served: dict, window: str) -> tuple[int, dict]:
    from tfxkit.cli.app import main

    args = ["monitor", "-c", str(PENGUIN_CONFIG), "--window", window]
    for override in served["overrides"]:
        args += ["--set", override]
    code = main(args)
    name = Path(window).stem if window != "latest" else served["windows"][-1].stem
    report = json.loads((served["root"] / "verdicts" / f"{name}.json").read_text())
    return code, report


def test_traffic_like_training_does_not_alert(served: dict) -> None:
    first = served["windows"][0]
    code, report = _monitor(served, str(first))
    assert report["rows"] == PHASE
    assert report["baseline"].startswith("ML Metadata (push of version ")
    assert report["verdict"] in ("ok", "warn"), report["reasons"]
    assert code in (0, 5)
    assert not any(d["level"] == "major" for d in report["skew"])
    judged = {d["feature"] for d in report["skew"]}
    assert set(NUMBERS) | set(STRINGS) <= judged


def test_abrupt_shift_with_a_new_category_alerts(served: dict) -> None:
    code, report = _monitor(served, "latest")
    assert code == 6 and report["verdict"] == "alert"
    major = {d["feature"]: d["caught_by"] for d in report["skew"] if d["level"] == "major"}
    assert major.get("body_mass_g") == "PSI+KS"
    assert major.get("island") == "PSI+chi-square"
    assert report["previous_window"] == str(served["windows"][0])
    drifted = {d["feature"] for d in report["drift"] if d["level"] == "major"}
    assert {"body_mass_g", "island"} <= drifted
    alerts = (served["root"] / "alerts.jsonl").read_text().splitlines()
    assert json.loads(alerts[-1])["verdict"] == "alert"


def test_monitor_runs_are_recorded_in_ml_metadata(served: dict, workspace: Path) -> None:
    from tests.pipeline_runs import sqlite_store

    _monitor(served, "latest")
    store = sqlite_store(workspace / "penguin" / "metadata.sqlite")
    runs = store.get_executions_by_type("tfxkit.Monitor")
    assert runs and runs[-1].custom_properties["verdict"].string_value == "alert"


def test_an_alert_retrains_once_and_promotes_the_blessed_model(served: dict, workspace) -> None:
    from tests.pipeline_runs import sqlite_store, versions
    from tfxkit.serving import server_config

    retrain = [
        "monitoring.retrain.enabled=true",
        "monitoring.retrain.set=[training.train_steps=220]",  # a new model, not a cached one
    ]
    served = {**served, "overrides": [*served["overrides"], *retrain]}
    code, report = _monitor(served, "latest")
    assert code == 6
    started = report["retrain"]
    assert started["started"] and started["blessed"], started
    assert started["pushed_version"] == 2 and started["promoted"] == "canary"
    base = workspace / "serving"
    assert versions(base / "penguin") == [1, 2]
    labels = server_config.labels_of(server_config.read_models_config(str(base)), "penguin")
    assert labels == {"stable": 1, "canary": 2}
    store = sqlite_store(workspace / "penguin" / "metadata.sqlite")
    context = store.get_context_by_type_and_name("pipeline_run", started["run_id"])
    assert (
        context.custom_properties["tfxkit_started_by_monitor"].int_value == (report["execution_id"])
    )
    # the same incident a minute later: cooling down, no second run
    code, again = _monitor(served, "latest")
    assert code == 6 and not again["retrain"]["started"]
    assert again["retrain"]["reason"].startswith("cooling down")
    assert versions(base / "penguin") == [1, 2]
