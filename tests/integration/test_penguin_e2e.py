"""End to end: the penguin pipeline really runs on this machine (TFX LocalDagRunner + Beam).

One workspace is shared by the runs in this module, in order: a cold run, a cached re-run, a
run whose blessing threshold cannot be met (nothing may be pushed), and a run whose Transform
fails. Every claim is checked against ML Metadata or the pushed SavedModel, not the console.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import PENGUIN_CONFIG, PENGUIN_DATA, PENGUIN_EXECUTOR_NODES, PENGUIN_PIPELINE, REPO

pytestmark = pytest.mark.slow


def _run_pipeline(workspace: Path, *extra: str, summary: Path | None = None):
    cmd = [
        str(Path(sys.executable).parent / "run-pipeline"),
        str(PENGUIN_PIPELINE),
        "--config",
        str(PENGUIN_CONFIG),
        "--runner",
        "beam",
        "--set",
        f"workspace={workspace}",
        "--set",
        f"data.path={PENGUIN_DATA}",
        *extra,
    ]
    if summary:
        cmd += ["--summary-json", str(summary)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, check=False)


def _store(workspace: Path):
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    conn = metadata_store_pb2.ConnectionConfig()
    conn.sqlite.filename_uri = str(workspace / "penguin" / "metadata.sqlite")
    return metadata_store.MetadataStore(conn)


def _executions(workspace: Path, run_id: str):
    from tfxkit.metadata import run_executions

    return {e.node_id: e for e in run_executions(_store(workspace), "penguin", run_id)}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("penguin") / "ws"


@pytest.fixture(scope="module")
def cold_run(workspace: Path) -> dict:
    summary_path = workspace.parent / "cold.json"
    result = _run_pipeline(workspace, summary=summary_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"stdout": result.stdout, "summary": json.loads(summary_path.read_text())}


def test_cold_run_completes_every_component(workspace: Path, cold_run: dict) -> None:
    summary = cold_run["summary"]
    executions = _executions(workspace, summary["run_id"])
    executor_nodes = PENGUIN_EXECUTOR_NODES
    assert executor_nodes <= set(executions), executions.keys()
    assert {executions[n].state for n in executor_nodes} == {"COMPLETE"}
    assert executions["latest_blessed_model_resolver"].state == "COMPLETE"
    # Progress lines and summary on the console.
    out = cold_run["stdout"]
    for node in executor_nodes:
        assert f"{node}: started" in out and f"{node}: finished in" in out
    assert "blessed:   yes" in out
    assert summary["blessed"] is True


def test_model_and_pushed_model_recorded(workspace: Path, cold_run: dict) -> None:
    from tfxkit.metadata import output_artifacts

    store = _store(workspace)
    executions = _executions(workspace, cold_run["summary"]["run_id"])
    [model] = output_artifacts(store, executions["trainer"].execution_id, "Model")
    assert Path(model.uri, "Format-Serving", "saved_model.pb").is_file()
    [pushed] = output_artifacts(store, executions["pusher"].execution_id, "PushedModel")
    assert pushed.custom_properties["pushed"].int_value == 1
    destination = pushed.custom_properties["pushed_destination"].string_value
    assert destination == cold_run["summary"]["pushed_path"]
    assert Path(destination).parent == workspace / "penguin" / "serving_model"


def test_pushed_model_answers_raw_features(cold_run: dict) -> None:
    import tensorflow as tf

    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    # Two birds of each species.
    picked = [
        r
        for s in ("Adelie", "Chinstrap", "Gentoo")
        for r in [row for row in rows if row["species"] == s][:2]
    ]
    model = tf.saved_model.load(cold_run["summary"]["pushed_path"])
    serve = model.signatures["serving_default"]
    floats = ("bill_length_mm", "bill_depth_mm")
    ints = ("flipper_length_mm", "body_mass_g")
    strings = ("island", "sex")
    inputs = {
        **{k: tf.constant([float(r[k]) for r in picked], tf.float32) for k in floats},
        **{k: tf.constant([int(r[k]) for r in picked], tf.int64) for k in ints},
        **{k: tf.constant([r[k] for r in picked]) for k in strings},
    }
    outputs = serve(**inputs)
    probabilities = outputs["probabilities"].numpy()
    assert probabilities.shape == (6, 3)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    assert abs(probabilities.sum(axis=1) - 1).max() < 1e-4
    predicted = [c.decode() for c in outputs["classes"].numpy()]
    assert set(predicted) <= {"Adelie", "Chinstrap", "Gentoo"}
    correct = sum(p == r["species"] for p, r in zip(predicted, picked, strict=True))
    assert correct >= 5, list(zip(predicted, [r["species"] for r in picked], strict=True))


def test_cached_rerun_executes_nothing(workspace: Path, cold_run: dict) -> None:
    summary_path = workspace.parent / "cached.json"
    result = _run_pipeline(workspace, summary=summary_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    executions = _executions(workspace, summary["run_id"])
    states = {
        node: e.state for node, e in executions.items() if node != "latest_blessed_model_resolver"
    }
    assert len(states) == 8
    assert set(states.values()) == {"CACHED"}, states
    # The cached run reports the same pushed model; nothing new was written.
    assert summary["pushed_path"] == cold_run["summary"]["pushed_path"]
    assert len(list((workspace / "penguin" / "serving_model").iterdir())) == 1


def test_unblessed_model_is_not_pushed(workspace: Path, cold_run: dict) -> None:
    summary_path = workspace.parent / "strict.json"
    result = _run_pipeline(
        workspace,
        "--set",
        "evaluation.thresholds.SparseCategoricalAccuracy={lower_bound: 1.01}",
        summary=summary_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    assert summary["blessed"] is False
    assert summary["pushed_path"] is None
    assert "pusher: skipped" in result.stdout
    executions = _executions(workspace, summary["run_id"])
    assert executions["evaluator"].state == "COMPLETE"
    assert "pusher" not in executions
    assert len(list((workspace / "penguin" / "serving_model").iterdir())) == 1


def test_failed_component_is_named_and_exit_nonzero(workspace: Path, cold_run: dict) -> None:
    schema = workspace.parent / "schema.pbtxt"
    schema.write_text(
        'feature { name: "species" type: BYTES presence { min_fraction: 1.0 } '
        "shape { dim { size: 1 } } }\n"
    )
    result = _run_pipeline(workspace, "--set", f"schema.path={schema}")
    assert result.returncode == 1
    assert "component 'transform' failed" in result.stderr
    assert "feature 'bill_length_mm' is configured but not in the data's schema" in result.stderr
    assert "Traceback" not in result.stderr
    assert "transform: FAILED" in result.stdout
