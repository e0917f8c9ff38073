"""Continuous training: an alert starts one pipeline run on fresh data; a blessed, pushed model
is promoted; ML Metadata records which monitor run started which pipeline run.

Why a cool-down and a lock: monitors run on a schedule and one incident alerts window after
window; each alert starting its own run would queue hours of training for one cause. The lock
(a file created exclusively beside the verdicts) makes two monitors at once start one run; the
cool-down (``monitoring.retrain.cooldown_minutes`` since the last start, kept in
``retrain.json``) makes the next alerts of the same incident start none. The run itself takes
the pipeline's own lock without waiting, so a scheduled run in progress wins. Only a model that
passes the pipeline's gates is pushed (the pusher's rule); only a pushed new version is promoted.
With a runner profile (``remote``) the run is submitted to Kubeflow / Vertex instead, after the
same cool-down and lock (``monitoring.remote_retrain``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.errors import TfxkitError

if TYPE_CHECKING:
    from tfxkit.monitoring.remote_retrain import RemoteTarget

STATE = "retrain.json"
LOCK = "retrain.lock"
STARTED_BY = "tfxkit_started_by_monitor"  # pipeline_run context property: the monitor's id


@dataclass
class Retrain:
    """What an alert did about retraining."""

    started: bool
    reason: str
    run_id: str | None = None
    blessed: bool | None = None
    pushed_version: int | None = None
    promoted: str | None = None
    runner: str | None = None  # kubeflow / vertex when the run was submitted there
    url: str | None = None  # the submitted run's page


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _take_lock(path: Path) -> bool:
    """Create the lock file exclusively; a lock left by a dead process is taken over."""
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                holder = int(path.read_text() or 0)
            except (OSError, ValueError):
                holder = 0
            if holder and _alive(holder):
                return False
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as out:
            out.write(str(os.getpid()))
        return True
    return False


def _record(config: PipelineConfig, execution_id: int | None, run_id: str, what: Retrain) -> None:
    """The monitor execution names the run it started; the run's context names the monitor."""
    from tfxkit.metadata.store import PIPELINE_RUN_CONTEXT, connection_config, open_store

    store = open_store(connection_config(config))
    _record_execution(store, execution_id, what)
    context = store.get_context_by_type_and_name(PIPELINE_RUN_CONTEXT, run_id)
    if context is not None and execution_id is not None:
        context.custom_properties[STARTED_BY].int_value = execution_id
        store.put_contexts([context])


def _record_execution(store: Any, execution_id: int | None, what: Retrain) -> None:
    """What the alert did, as the monitor execution's ``retrain`` property (JSON)."""
    if execution_id is not None:
        [execution] = store.get_executions_by_id([execution_id])
        execution.custom_properties["retrain"].string_value = json.dumps(asdict(what))
        store.put_executions([execution])


def retrain(
    config: PipelineConfig,
    config_path: str,
    overrides: list[str],
    report: dict[str, Any],
    *,
    run: Callable[..., Any] | None = None,
    promote: Callable[[str, str, int, str], Any] | None = None,
    progress: Callable[[str], None] = print,
    now: float | None = None,
    remote: RemoteTarget | None = None,
) -> Retrain:
    """Retrain after ``report`` (an alert), unless cooling down or another retrain starts."""
    settings = config.monitoring.retrain
    out = Path(report["report_path"]).parent
    state_file, lock_file = out / STATE, out / LOCK
    now = time.time() if now is None else now
    if not _take_lock(lock_file):
        return Retrain(False, f"another monitor is starting a retrain ({lock_file})")
    try:
        state = json.loads(state_file.read_text()) if state_file.exists() else {}
        last = state.get("started_at")
        if last is not None and now - last < settings.cooldown_minutes * 60:
            return Retrain(
                False,
                f"cooling down: a retrain started {(now - last) / 60:.0f} min ago (run "
                f"{state.get('run_id')}, for {Path(state.get('window', '')).name}); "
                f"monitoring.retrain.cooldown_minutes is {settings.cooldown_minutes:g}",
            )
        state = {"started_at": now, "window": report["window"], "run_id": None}
        state_file.write_text(json.dumps(state))
    finally:
        lock_file.unlink(missing_ok=True)

    if remote is not None:
        return _submit_remote(config, config_path, overrides, report, remote, state, progress)
    if run is None:
        from tfxkit.runners.session import run as run_pipeline

        run = run_pipeline
    progress(f"[tfxkit monitor] alert: retraining {config.name} ({report['window']})")
    try:
        summary = run(
            config_path,
            settings.pipeline,
            overrides=[*overrides, *settings.set],
            wait=False,
            progress=progress,
        )
    except TfxkitError as exc:
        what = Retrain(False, f"the retraining run did not complete: {exc}")
        _save(state_file, state, what)
        return what
    what = Retrain(True, "retrained", summary.run_id, summary.blessed)
    if summary.pushed_path and not summary.already_pushed:
        what.pushed_version = int(Path(summary.pushed_path).name)
        if settings.promote != "none":
            if promote is None:
                from tfxkit.serving.rollout import promote as promote_label

                promote = promote_label
            promote(
                config.resolved_serving_base,
                config.resolved_model_name,
                what.pushed_version,
                settings.promote,
            )
            what.promoted = settings.promote
        what.reason = f"retrained; version {what.pushed_version} pushed" + (
            f" and labelled {what.promoted}" if what.promoted else ""
        )
    else:
        what.reason = "retrained; the new model was not blessed (or not new): nothing pushed"
    _save(state_file, state, what)
    _record(config, report.get("execution_id"), summary.run_id, what)
    return what


def _submit_remote(
    config: PipelineConfig,
    config_path: str,
    overrides: list[str],
    report: dict[str, Any],
    remote: RemoteTarget,
    state: dict,
    progress: Callable[[str], None],
) -> Retrain:
    """Submit the training run to the profile's orchestrator; record it in ML Metadata."""
    from tfxkit.metadata.store import connection_config, open_store
    from tfxkit.monitoring import remote_retrain

    settings = config.monitoring.retrain
    out = Path(report["report_path"]).parent
    state_file = out / STATE
    runner = remote.profile.runner
    progress(f"[tfxkit monitor] alert: submitting a retrain of {config.name} to {runner}")
    try:
        submitted = remote_retrain.submit(
            config_path, settings.pipeline, overrides, settings.set, remote, out, progress
        )
    except TfxkitError as exc:
        what = Retrain(False, f"the retraining run was not submitted to {runner}: {exc}")
        _save(state_file, state, what)
        return what
    what = Retrain(
        True,
        f"submitted run {submitted.run_id} to {runner} ({submitted.url}); it pushes only a "
        "blessed model",
        submitted.run_id,
        runner=runner,
        url=submitted.url,
    )
    _save(state_file, state, what)
    execution_id = report.get("execution_id")
    store = open_store(connection_config(config))
    _record_execution(store, execution_id, what)
    remote_retrain.record(store, execution_id, submitted)
    return what


def _save(state_file: Path, state: dict, what: Retrain) -> None:
    state_file.write_text(json.dumps({**state, "run_id": what.run_id, "result": asdict(what)}))
