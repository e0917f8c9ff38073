"""A user's own steps (issue 30 #1, #2, #4, #5): ``pipelines/custom_steps.py`` run from a copy as
a new user would, with its container step (a subprocess here, no Docker) and its function
step gating the push; then the function step's code is edited, and that step and the pusher
after it re-run with the new code while everything else stays cached (TFX alone keyed the
step on its class path and reported it cached with its old output: a silent stale result)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.paths import REPO
from tests.pipeline_runs import executions, run_pipeline, versions

pytestmark = pytest.mark.slow

UPSTREAM = ("example_gen", "count_rows", "transform", "trainer", "evaluator", "infra_check")


def _copy_example(code: Path) -> Path:
    code.mkdir()
    shutil.copy(REPO / "pipelines" / "custom_steps.py", code / "custom_steps.py")
    shutil.copytree(
        REPO / "pipelines" / "penguin_steps",
        code / "penguin_steps",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return code / "custom_steps.py"


def _run(pipeline: Path, workspace: Path, name: str) -> tuple[dict, str]:
    summary = workspace.parent / f"{name}.json"
    result = run_pipeline(workspace, pipeline=pipeline, summary=summary)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(summary.read_text()), result.stdout


def test_custom_steps_gate_the_push_and_an_edited_step_reruns(tmp_path: Path) -> None:
    pipeline = _copy_example(tmp_path / "code")
    workspace = tmp_path / "ws"

    cold, stdout = _run(pipeline, workspace, "cold")
    assert cold["blessed"] is True
    gate = cold["verdicts"]["size_gate"]
    assert gate["kind"] == "step" and gate["passed"] is True
    assert "size_gate: passed: model " in stdout and "230 training rows (at least 100)" in stdout
    assert versions(workspace / "serving" / "penguin") == [1]
    counts = next((workspace / "penguin").rglob("counts.json"))  # the container step's output
    assert json.loads(counts.read_text()) == {"eval": 103, "train": 230}
    states = {n: e.state for n, e in executions(workspace, "penguin", cold["run_id"]).items()}
    assert states["count_rows"] == states["size_gate"] == "COMPLETE", states

    steps = pipeline.parent / "penguin_steps" / "steps.py"
    steps.write_text(steps.read_text().replace("training rows", "rows to train on"))
    edited, stdout = _run(pipeline, workspace, "edited")
    assert "nothing changed" not in stdout
    states = {n: e.state for n, e in executions(workspace, "penguin", edited["run_id"]).items()}
    for node in UPSTREAM:
        assert states[node] == "CACHED", states
    assert states["size_gate"] == "COMPLETE", states  # its code changed: not a stale result
    assert states["pusher"] == "COMPLETE", states  # downstream of it
    assert "230 rows to train on (at least 100)" in stdout  # the edited code ran
