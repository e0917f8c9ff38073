"""The DAG loop: run each task of a compiled KFP PipelineSpec in order, and summarize the run.

Why this exists: it is the part of a KFP backend's driver that decides, task by task, whether
to skip (an upstream was skipped, or the trigger condition is false) and which handler runs the
task (resolver, importer or container), and that records what each task produced so that
downstream tasks can be given it. Everything else lives in the handler modules.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tfxkit.runners.spec_launcher.artifacts import ArtifactIndex, Artifacts, TaskOutputs
from tfxkit.runners.spec_launcher.cel import CelError, evaluate_condition
from tfxkit.runners.spec_launcher.container import run_container
from tfxkit.runners.spec_launcher.context import Progress, RunContext
from tfxkit.runners.spec_launcher.errors import RunIrError, TaskFailed
from tfxkit.runners.spec_launcher.importer import import_artifact
from tfxkit.runners.spec_launcher.inputs import condition_inputs, input_artifacts, input_parameters
from tfxkit.runners.spec_launcher.resolver import resolve
from tfxkit.runners.spec_launcher.spec import (
    CompiledSpec,
    load_spec,
    local_root,
    task_order,
    upstream_tasks,
)
from tfxkit.runners.spec_launcher.values import Params, plain_values


@dataclass
class TaskResult:
    task: str
    status: str  # finished | cached | skipped | resolved | failed
    seconds: float
    detail: str = ""


@dataclass
class IrRunSummary:
    pipeline_name: str
    run_id: str
    pipeline_root: str
    tasks: list[TaskResult] = field(default_factory=list)
    # task -> output key -> artifact URIs
    outputs: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # task -> output key -> [{name, uri, metadata}]: what downstream tasks were given
    artifacts: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def status(self, task: str) -> str | None:
        """The status of ``task`` in this run, or None if it never started."""
        return next((r.status for r in self.tasks if r.task == task), None)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Launcher:
    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.pipeline = run.pipeline
        self.progress = run.progress
        self.results: dict[str, TaskOutputs] = {}
        self.summary = IrRunSummary(self.pipeline.name, run.run_id, str(run.root))

    def execute(self) -> IrRunSummary:
        order = task_order(self.pipeline.tasks)
        for name in order:
            self.pipeline.check_supported(name)
        self.progress(
            f"[run_ir] run {self.run.run_id} of '{self.pipeline.name}': {len(order)} tasks, "
            f"root {self.run.root}"
        )
        for i, name in enumerate(order, 1):
            self._run_task(name, f"[{i}/{len(order)}] {name}")
        return self.summary

    def _run_task(self, name: str, prefix: str) -> None:
        task = self.pipeline.tasks[name]
        start = time.monotonic()
        skipped_up = sorted(u for u in upstream_tasks(task) if self.results[u].skipped)
        if skipped_up:
            self._skip(name, prefix, f"upstream {', '.join(skipped_up)} skipped")
            return
        inputs = input_artifacts(self.pipeline, self.results, name)
        params = input_parameters(self.pipeline, self.results, name)
        condition = task.get("triggerPolicy", {}).get("condition")
        if condition and not self._condition_met(name, condition, inputs, params, start):
            self._skip(name, prefix, f"condition false: {condition}")
            return
        executor = self.pipeline.executor(name)
        if "resolver" in executor:
            outputs = resolve(self.run, name, executor["resolver"], inputs, params)
            count = sum(len(v) for v in outputs.artifacts.values())
            self._done(name, outputs, "resolved", start, f"{count} artifact(s)")
            self.progress(f"{prefix}: resolved {count} artifact(s)")
            return
        if "importer" in executor:
            outputs = import_artifact(self.run, name, executor["importer"], params)
            self._done(name, outputs, "finished", start, "imported")
            uris = ", ".join(a.uri for arts in outputs.artifacts.values() for a in arts)
            self.progress(f"{prefix}: imported {uris}")
            return
        self.run.pending_announcement = f"{prefix}: started"
        try:
            outputs, cached_from = run_container(
                self.run, name, executor["container"], inputs, params
            )
        except TaskFailed as exc:  # record it, then name the task
            error = self._fail(name, start, str(exc))
            self.progress(f"{prefix}: FAILED after {time.monotonic() - start:.1f}s")
            raise error from exc.__cause__
        except RunIrError:
            self.progress(f"{prefix}: FAILED after {time.monotonic() - start:.1f}s")
            raise
        if cached_from:
            self._done(name, outputs, "cached", start, f"outputs of run {cached_from}")
            self.progress(f"{prefix}: cached (outputs of run {cached_from})")
        else:
            self._done(name, outputs, "finished", start)
            self.progress(f"{prefix}: finished in {time.monotonic() - start:.1f}s")

    def _condition_met(
        self, name: str, condition: str, inputs: Artifacts, params: Params, start: float
    ) -> bool:
        allowed = condition_inputs(self.results, name, condition, inputs, self._warn)
        env = {
            "artifacts": {k: {"artifacts": [a.public() for a in v]} for k, v in allowed.items()},
            "parameter_values": plain_values(params),
            "parameters": plain_values(params),
        }
        try:
            return evaluate_condition(condition, env)
        except CelError as exc:
            raise self._fail(name, start, f"condition {condition!r} failed: {exc}") from exc

    def _warn(self, warning: str) -> None:
        self.summary.warnings.append(warning)
        self.progress(f"[run_ir] warning: {warning}")

    def _skip(self, name: str, prefix: str, why: str) -> None:
        self.results[name] = TaskOutputs(skipped=True)
        self.summary.tasks.append(TaskResult(name, "skipped", 0.0, why))
        self.progress(f"{prefix}: skipped ({why})")

    def _done(
        self, name: str, outputs: TaskOutputs, status: str, start: float, detail: str = ""
    ) -> None:
        self.results[name] = outputs
        seconds = round(time.monotonic() - start, 2)
        self.summary.tasks.append(TaskResult(name, status, seconds, detail))
        self.summary.outputs[name] = {
            k: [a.uri for a in arts] for k, arts in outputs.artifacts.items()
        }
        self.summary.artifacts[name] = {
            k: [a.public() for a in arts] for k, arts in outputs.artifacts.items()
        }

    def _fail(self, name: str, start: float, message: str) -> RunIrError:
        seconds = round(time.monotonic() - start, 2)
        self.summary.tasks.append(TaskResult(name, "failed", seconds, message))
        return RunIrError(f"task '{name}' failed: {message}", self.summary)


def run_compiled(
    spec_path: Path,
    pipeline_root: str | None = None,
    *,
    progress: Progress = print,
    env: dict[str, str] | None = None,
    enable_cache: bool = True,
) -> IrRunSummary:
    """Run every task of a compiled KFP PipelineSpec locally, in DAG order, and summarize.

    ``pipeline_root`` defaults to the file's ``runtimeConfig.gcsOutputDirectory`` and must be
    local. ``env`` is added to each task's environment. ``enable_cache=False`` ignores every
    task's ``cachingOptions`` (as submitting with caching disabled does). Raises ``RunIrError``
    (with ``.summary``) naming the task that failed or the construct that is not supported.
    """
    job = load_spec(Path(spec_path))
    root = local_root(pipeline_root, job.get("runtimeConfig", {}).get("gcsOutputDirectory"))
    pipeline = CompiledSpec(job)
    run = RunContext(
        pipeline=pipeline,
        root=root,
        run_id=datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ"),
        index=ArtifactIndex(root),
        progress=progress,
        extra_env=dict(env or {}),
        enable_cache=enable_cache,
    )
    return _Launcher(run).execute()
