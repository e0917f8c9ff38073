"""Container tasks: the driver, the cache check and the executor, each as a local process.

Why this exists: on a KFP or Vertex backend a container task is a pod running TFX's Kubeflow V2
entrypoint. Here the same command runs as a subprocess of ``sys.executable`` in the current
environment, with the ExecutorInput a backend would pass, its logs kept next to its outputs,
and a failure reported with the task's name and the tail of its stderr.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tfxkit.runners.spec_launcher.artifacts import Artifacts, TaskOutputs
from tfxkit.runners.spec_launcher.context import RunContext
from tfxkit.runners.spec_launcher.errors import TaskFailed
from tfxkit.runners.spec_launcher.executor_io import (
    allocate_outputs,
    cache_key,
    executor_input,
    fold_driver_output,
    read_executor_output,
)
from tfxkit.runners.spec_launcher.placeholders import Unresolvable, substitute
from tfxkit.runners.spec_launcher.values import Params

_STDERR_TAIL_LINES = 25


def run_container(
    run: RunContext, name: str, container: dict[str, Any], inputs: Artifacts, params: Params
) -> tuple[TaskOutputs, str | None]:
    """Run task ``name``; its outputs and, on a cache hit, the run id they were reused from.

    Raises ``TaskFailed`` (the launcher names the task) when a process fails or reports too
    little, ``RunIrError`` when the spec asks for something this launcher cannot do.
    """
    task_dir = run.run_dir / name
    task_dir.mkdir(parents=True, exist_ok=True)
    component = run.pipeline.component(name)
    outputs = allocate_outputs(component, task_dir, run.artifact_prefix(name))
    out_params = component.get("outputDefinitions", {}).get("parameters", {})
    hook = container.get("lifecycle", {}).get("preCacheCheck")
    if hook:
        driver_out = task_dir / "driver_output.json"
        driver_input = executor_input(inputs, params, outputs, {}, driver_out)
        _exec(run, name, "driver", hook, driver_input, task_dir, inputs, outputs)
        fold_driver_output(driver_out, params, outputs)

    key = cache_key(run.pipeline.name, component, container, inputs, params)
    if run.enable_cache and run.pipeline.tasks[name].get("cachingOptions", {}).get("enableCache"):
        hit = run.index.cached(key)
        if hit:
            for arts in outputs.values():  # allocated for the driver, never written
                with contextlib.suppress(OSError):
                    Path(arts[0].uri).rmdir()
            return run.index.reuse(hit), hit["run_id"]

    out_param_files = {k: str(task_dir / "parameters" / k) for k in out_params}
    given = executor_input(
        inputs, params, outputs, out_param_files, task_dir / "executor_output.json"
    )
    _exec(run, name, "executor", container, given, task_dir, inputs, outputs)
    result = read_executor_output(task_dir, outputs, out_param_files)
    run.index.register(run.pipeline.name, run.run_id, name, result, key)
    return result, None


def _exec(
    run: RunContext,
    name: str,
    phase: str,
    container: dict[str, Any],
    given: dict[str, Any],
    task_dir: Path,
    inputs: Artifacts,
    outputs: Artifacts,
) -> None:
    """Run one command of the task (driver or executor); raise ``TaskFailed`` on failure."""
    run.announce()
    command = list(container.get("command", []))
    if not command:
        raise TaskFailed(f"the {phase} has no command (an image entrypoint cannot run here)")
    if Path(command[0]).name in ("python", "python3"):
        command[0] = sys.executable
    scope = run.scope(name, inputs, outputs, given)
    try:
        args = [substitute(arg, scope) for arg in container.get("args", [])]
    except Unresolvable as exc:
        raise TaskFailed(f"{phase} argument: {exc}") from exc
    (task_dir / f"{phase}_input.json").write_text(json.dumps(given, indent=1))
    env = dict(os.environ)
    env.update({e["name"]: e.get("value", "") for e in container.get("env", [])})
    env.update(run.extra_env)
    stdout_path = task_dir / f"{phase}.stdout.log"
    stderr_path = task_dir / f"{phase}.stderr.log"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        try:
            code = subprocess.run(
                command + args, stdout=out, stderr=err, env=env, check=False
            ).returncode
        except OSError as exc:
            raise TaskFailed(f"{phase} could not start: {exc}") from exc
    if code != 0:
        lines = stderr_path.read_text(errors="replace").rstrip().splitlines()
        tail = "\n".join("    " + line for line in lines[-_STDERR_TAIL_LINES:])
        raise TaskFailed(
            f"{phase} exited with code {code} (full log: {stderr_path}); last lines:\n{tail}"
        )
