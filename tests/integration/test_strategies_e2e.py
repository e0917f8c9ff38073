"""The penguin pipeline trains with each locally possible strategy by changing one config value
(``training.strategy``): mirrored over two logical CPUs, then one_device, in one workspace
(the second run reuses the cached ingest and Transform)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.pipeline_runs import run_pipeline, versions

pytestmark = pytest.mark.slow


def _run(workspace: Path, *overrides: str) -> tuple[dict, str]:
    summary = workspace.parent / "summary.json"
    extra = [arg for o in ["training.train_steps=60", *overrides] for arg in ("--set", o)]
    result = run_pipeline(workspace, *extra, summary=summary)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return json.loads(summary.read_text()), result.stdout


def test_each_local_strategy_trains_and_pushes(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    summary, out = _run(workspace, "training.strategy=mirrored", "training.cpu_devices=2")
    assert "training with strategy mirrored: 2 replica(s) on " in out
    assert "global batch 64" in out  # 32 per replica x 2
    assert summary["blessed"] is True and versions(workspace / "serving" / "penguin") == [1]

    summary, out = _run(workspace, "training.strategy=one_device")
    assert "training with strategy one_device: 1 replica(s) on " in out
    statuses = {n["node_id"]: n["status"] for n in summary["nodes"]}
    assert statuses["transform"] == "cached" and statuses["trainer"] == "finished"
