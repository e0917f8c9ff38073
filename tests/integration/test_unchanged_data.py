"""Unchanged data is one input to the cache however it is touched or spelled (issue 31: `touch`
or a relative path re-ran every node and pushed an identical model as version 2); a changed
value re-runs from ExampleGen on. Its own workspace and data copy: nothing shared is modified."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.paths import PENGUIN_DATA, PENGUIN_EXECUTOR_NODES
from tests.pipeline_runs import executions, run_pipeline, versions

pytestmark = pytest.mark.slow


def _states(workspace: Path, summary: Path) -> dict[str, str]:
    run_id = json.loads(summary.read_text())["run_id"]
    found = executions(workspace, "penguin", run_id)
    return {node: e.state for node, e in found.items() if node in PENGUIN_EXECUTOR_NODES}


def test_touch_and_respelling_cache_everything_a_changed_value_reruns(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(PENGUIN_DATA, data)
    workspace = tmp_path / "ws"
    first = run_pipeline(workspace, data=data, summary=tmp_path / "1.json")
    assert first.returncode == 0, first.stderr[-3000:]
    assert versions(workspace / "serving" / "penguin") == [1]

    csv_file = next(data.glob("*.csv"))
    info = csv_file.stat()
    os.utime(csv_file, ns=(info.st_atime_ns, info.st_mtime_ns + 10**10))  # `touch`
    relative = Path(os.path.relpath(data, Path.cwd()))  # run_pipeline runs in the repo root
    respelled = run_pipeline(workspace, data=relative, summary=tmp_path / "2.json")
    assert respelled.returncode == 0, respelled.stderr[-3000:]
    states = _states(workspace, tmp_path / "2.json")
    assert set(states) == PENGUIN_EXECUTOR_NODES and set(states.values()) == {"CACHED"}, states
    assert versions(workspace / "serving" / "penguin") == [1], "no new version of the same model"

    lines = csv_file.read_text().splitlines()
    cells = lines[1].split(",")
    cells[2] = str(float(cells[2]) + 0.1)  # one bill length, first data row
    csv_file.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    changed = run_pipeline(workspace, data=data, summary=tmp_path / "3.json")
    assert changed.returncode == 0, changed.stderr[-3000:]
    states = _states(workspace, tmp_path / "3.json")
    assert states["example_gen"] == "COMPLETE", states
    for node in ("statistics_gen", "transform", "trainer", "evaluator"):
        assert states[node] == "COMPLETE", states
    # `tfxkit why` names the data's content as what changed, and the new examples downstream.
    run_id = json.loads((tmp_path / "3.json").read_text())["run_id"]
    why = _why(workspace, "example_gen", run_id)
    assert "input_fingerprint" in why and "the input data's content" in why, why
    assert "input 'examples' changed: now example_gen's output" in _why(
        workspace, "statistics_gen", run_id
    )


def _why(workspace: Path, node: str, run_id: str) -> str:
    """``tfxkit why NODE RUN`` on this workspace's store; its output."""
    import subprocess
    import sys

    from tests.paths import PENGUIN_CONFIG

    tfxkit = str(Path(sys.executable).parent / "tfxkit")
    command = [tfxkit, "why", node, run_id, "-c", str(PENGUIN_CONFIG)]
    result = subprocess.run(
        [*command, "--set", f"workspace={workspace}"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout
