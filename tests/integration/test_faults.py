"""Faults on real local runs: interrupts, kills and a concurrent run, then a re-run.

One workspace, in order: SIGINT during Transform (canceled, cleaned, exit 130, one line);
SIGKILL during Transform (left RUNNING by a dead process); SIGKILL during the push; then a
run that must mark the dead executions abandoned, complete, and leave exactly one complete
model version with nothing unfinished in ML Metadata; then a damaged cached Transform graph,
which the next run must re-execute rather than reuse. A second workspace checks that two runs
at once do the work and push once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests import chaos
from tests.paths import PENGUIN_EXECUTOR_NODES, REPO
from tests.pipeline_runs import executions, sqlite_store, versions

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def faults(tmp_path_factory) -> dict:
    workspace = tmp_path_factory.mktemp("faults")
    steps = {
        "sigint_transform": chaos.kill_during(workspace, "transform", signal.SIGINT),
        "sigkill_transform": chaos.kill_during(workspace, "transform", signal.SIGKILL),
        "sigkill_infra_check": chaos.kill_during(workspace, "infra_check", signal.SIGKILL),
    }
    steps["outliving"] = chaos.outliving_processes(workspace)  # the check's serving process
    steps["sigkill_push"] = chaos.kill_during(workspace, "pusher", signal.SIGKILL, delay=0.0)
    steps["final"] = chaos.rerun(workspace)
    return {"workspace": workspace, **steps}


def _stopped(workspace: Path, why: str) -> list[str]:
    from tfxkit.metadata.recovery import STOPPED_PROPERTY

    store = sqlite_store(workspace / "penguin" / "metadata.sqlite")
    return [
        e.custom_properties[STOPPED_PROPERTY].string_value
        for e in store.get_executions()
        if e.custom_properties[STOPPED_PROPERTY].string_value == why
        and e.last_known_state == e.CANCELED
    ]


def test_sigint_cancels_cleans_and_says_one_line(faults: dict) -> None:
    run = faults["sigint_transform"]
    assert run.reached
    assert run.returncode == 130, run.stderr[-2000:]
    assert run.stderr.strip().splitlines()[-1] == (
        "interrupted during transform; re-run to resume: completed components are cached"
    )
    assert "Traceback" not in run.stderr
    assert _stopped(faults["workspace"], "interrupted")


def test_sigkill_leaves_work_the_next_run_abandons(faults: dict) -> None:
    assert faults["sigkill_transform"].returncode == -signal.SIGKILL
    assert faults["sigkill_push"].reached and faults["sigkill_push"].returncode == -signal.SIGKILL
    killed_check = faults["sigkill_infra_check"]
    assert killed_check.reached and killed_check.returncode == -signal.SIGKILL
    # The run after each kill found the dead execution RUNNING and abandoned it.
    assert "marked abandoned and cleaned: transform" in killed_check.stdout
    assert "marked abandoned and cleaned: infra_check" in faults["sigkill_push"].stdout
    assert faults["outliving"] == []  # the infra check's process ended with its run
    assert _stopped(faults["workspace"], "abandoned")
    final = faults["final"]
    assert final.returncode == 0, final.stderr[-2000:]


def test_after_the_faults_one_complete_version_and_nothing_unfinished(faults: dict) -> None:
    workspace = faults["workspace"]
    assert chaos.store_problems(workspace) == []
    assert versions(workspace / "serving" / "penguin") == [1]
    # The canceled Transform's partial outputs were removed: one output dir per finished run.
    transform_graphs = list(
        (workspace / "penguin" / "pipeline_root" / "transform" / "transform_graph").iterdir()
    )
    assert len(transform_graphs) == 1


def test_a_damaged_cached_output_is_re_run_not_reused(faults: dict) -> None:
    """Issue 28 #4: a damaged ``transform_fn/saved_model.pb`` in the cached Transform graph made
    every later run fail the same way until ``--no-cache``. Now the re-run says so in one line,
    re-executes Transform and what follows, keeps what precedes cached, and the run after that
    is cached again. After the checks above: it adds a Transform execution to the workspace."""
    workspace = faults["workspace"]
    damaged = chaos.newest_output(workspace, "transform", "transform_graph")
    assert chaos.damage(workspace, "transform", "transform_graph", "transform_fn/saved_model.pb")
    summary = workspace / "damaged.json"
    again = chaos.rerun(workspace, "--summary-json", str(summary))
    assert again.returncode == 0, again.stderr[-2000:]
    assert "nothing changed since" not in again.stdout  # the no-TFX shortcut was not fooled
    said = [line for line in again.stdout.splitlines() if "cache:" in line]
    assert said == [
        "[tfxkit] cache: transform's output transform_graph changed on disk since it was "
        "recorded (transform_fn/saved_model.pb); re-running transform"
    ]
    states = _states(workspace, summary)
    for node in ("example_gen", "statistics_gen", "schema_gen", "example_validator"):
        assert states[node] == "CACHED", states
    for node in ("transform", "trainer", "evaluator"):
        assert states[node] == "COMPLETE", states
    assert (damaged / "transform_fn" / "saved_model.pb").is_file()  # kept, never reused
    # The store is touched so the run goes through TFX's cache, not the no-TFX shortcut.
    store = workspace / "penguin" / "metadata.sqlite"
    os.utime(store, ns=(store.stat().st_atime_ns, store.stat().st_mtime_ns + 1_000_000))
    cached = chaos.rerun(workspace, "--summary-json", str(summary))
    assert cached.returncode == 0, cached.stderr[-2000:]
    assert "cache:" not in cached.stdout
    assert set(_states(workspace, summary).values()) == {"CACHED"}


def _states(workspace: Path, summary: Path) -> dict[str, str]:
    run_id = json.loads(summary.read_text())["run_id"]
    found = executions(workspace, "penguin", run_id)
    return {node: e.state for node, e in found.items() if node in PENGUIN_EXECUTOR_NODES}


def _start(workspace: Path, *extra: str, holding: bool = False) -> subprocess.Popen:
    """A run in the background; ``holding``: return once it holds its locks (its first node
    started)."""
    run = subprocess.Popen(
        chaos.command(workspace, *extra),
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    if holding:
        assert run.stdout is not None
        for line in run.stdout:
            if "] example_gen: started" in line:
                break
    return run


def test_two_runs_at_once_push_once(tmp_path: Path) -> None:
    first = _start(tmp_path, holding=True)
    refused = chaos.rerun(tmp_path, "--no-wait")
    assert refused.returncode == 3
    assert f"pid {first.pid}" in refused.stderr and "holds the workspace" in refused.stderr
    second = _start(tmp_path)
    first_out = first.communicate(timeout=600)
    second_out, second_err = second.communicate(timeout=600)
    assert first.returncode == 0, first_out[1][-2000:]
    assert second.returncode == 0, second_err[-2000:]
    assert "[tfxkit] waiting for run" in second_out
    assert "finished in" not in second_out.split("waiting for run", 1)[1]  # all cached
    assert versions(tmp_path / "serving" / "penguin") == [1]


def test_two_workspaces_sharing_one_store_never_abandon_each_other(tmp_path: Path) -> None:
    """Issue 31: with one shared ``metadata.sqlite.path`` the second run marked the first's live
    Transform abandoned and both pushed. The lock lives beside the store now: the second run
    is refused (--no-wait) or waits, and nothing is marked abandoned."""
    store = f"metadata.sqlite.path={tmp_path / 'shared' / 'metadata.sqlite'}"
    first = _start(tmp_path / "a", "--set", store, holding=True)
    refused = chaos.rerun(tmp_path / "b", "--set", store, "--no-wait")
    assert refused.returncode == 3, refused.stderr[-2000:]
    assert f"pid {first.pid}" in refused.stderr and "holds pipeline 'penguin' in the store" in (
        refused.stderr
    )
    second = _start(tmp_path / "b", "--set", store)
    first_out = first.communicate(timeout=600)
    second_out, second_err = second.communicate(timeout=600)
    assert first.returncode == 0, first_out[1][-2000:]
    assert second.returncode == 0, second_err[-2000:]
    assert "[tfxkit] waiting for run" in second_out
    assert "abandoned" not in second_out
    from tests.pipeline_runs import sqlite_store
    from tfxkit.metadata.recovery import STOPPED_PROPERTY

    executions = sqlite_store(tmp_path / "shared" / "metadata.sqlite").get_executions()
    assert not [e.id for e in executions if STOPPED_PROPERTY in e.custom_properties]
