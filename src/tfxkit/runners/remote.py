"""Compile, submit and schedule on Kubeflow Pipelines or Vertex AI: the CLI's remote verbs.

Glue only: compiling lives in ``runners.kubeflow``, talking to an orchestrator in
``runners.backends`` (one interface, one adapter per orchestrator). Every step prints one line
so a user sees where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.config.profiles import RunnerProfile, load_profile
from tfxkit.errors import ConfigError
from tfxkit.pipeline.kfp_compiler import CompiledPipeline, compile_pipeline
from tfxkit.runners.backends import get_backend
from tfxkit.runners.summary import RunSummary

if TYPE_CHECKING:
    from tfxkit.runners.session import RunSession

Progress = Callable[[str], None]
DEFAULT_SCHEDULE = "default"


@dataclass(frozen=True)
class Submitted:
    """A compiled pipeline and, when a run was submitted, its id on the orchestrator."""

    compiled: CompiledPipeline
    run_id: str | None = None

    @property
    def pipeline_name(self) -> str:
        return self.compiled.pipeline_name


class RemoteRunner:
    """``tfxkit.run``'s runner for a remote orchestrator; the options come from the session:
    ``profile`` (path or ``RunnerProfile``, required), ``host``, ``endpoint``, ``compile_only``,
    ``schedule``, ``schedule_name``, ``output``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, session: RunSession) -> RunSummary:
        options = dict(session.runner_options)
        profile = resolve_profile(options.pop("profile", None), self.name)
        submitted = run_remote(
            session.pipeline_file,
            session.config,
            profile,
            enable_cache=session.cache,
            progress=session.progress,
            **options,
        )
        # A remote run's own id when one was submitted; compile-only and schedules have none.
        return RunSummary(pipeline_name=submitted.pipeline_name, run_id=submitted.run_id or "")


def resolve_profile(
    profile: RunnerProfile | str | Path | None, runner: str | None
) -> RunnerProfile:
    """A runner profile from a path (or as given), checked to be for ``runner``."""
    if profile is None:
        raise ConfigError(
            f"{'--runner ' + runner if runner else 'this command'} needs --profile PATH (a "
            "runner profile such as configs/kubeflow.yaml: image, shared pipeline root, resources)"
        )
    loaded = profile if isinstance(profile, RunnerProfile) else load_profile(profile)
    if runner and loaded.runner != runner:
        raise ConfigError(f"runner profile {profile} is for '{loaded.runner}', not '{runner}'")
    return loaded


def run_remote(
    pipeline_file: str | Path | None,
    config: PipelineConfig,
    profile: RunnerProfile,
    *,
    enable_cache: bool = True,
    compile_only: bool = False,
    host: str | None = None,
    endpoint: str | None = None,
    schedule: str | None = None,
    schedule_name: str = DEFAULT_SCHEDULE,
    output: str | None = None,
    progress: Progress = print,
    credentials: Any = None,
    check: Callable[[dict[str, Any], RunnerProfile], None] | None = None,
) -> Submitted:
    """Compile for the profile's orchestrator (``check``: see ``compile_pipeline``), then submit
    a run or apply a schedule."""
    backend = None
    if not compile_only:  # a missing host or endpoint fails before compiling, not after
        backend = get_backend(profile, host=host, endpoint=endpoint, credentials=credentials)
    compiled = compile_pipeline(
        pipeline_file, config, profile, enable_cache=enable_cache, output=output, check=check
    )
    progress(
        f"compiled '{compiled.pipeline_name}' for {profile.runner} "
        f"({len(compiled.tasks)} tasks, image {profile.image}) -> {compiled.path}"
    )
    if compiled.dockerfile is not None:
        progress(
            f"the image must hold your steps' package {compiled.package}: docker build -f "
            f"{compiled.dockerfile} -t {profile.image} {compiled.package} (then push it)"
        )
    if backend is None:
        return Submitted(compiled)
    if schedule:
        result = backend.apply_schedule(
            compiled, schedule_name, schedule, enable_caching=enable_cache
        )
        progress(
            f"schedule '{compiled.pipeline_name}:{schedule_name}' ({schedule}): "
            f"{result.action.value} [{result.schedule_id}] on {backend.location}"
        )
    else:
        run = backend.submit(compiled, enable_caching=enable_cache)
        progress(f"submitted run {run.id}")
        progress(f"ui: {run.url}")
        return Submitted(compiled, run.id)
    return Submitted(compiled)


def manage_schedule(
    action: str,
    profile: RunnerProfile,
    *,
    pipeline_name: str | None,
    schedule_name: str = DEFAULT_SCHEDULE,
    host: str | None = None,
    endpoint: str | None = None,
    progress: Progress = print,
    credentials: Any = None,
) -> None:
    """list | pause | resume | delete schedules keyed by pipeline and schedule name."""
    if action != "list" and not pipeline_name:
        raise ConfigError(f"schedule {action} needs --pipeline NAME")
    backend = get_backend(profile, host=host, endpoint=endpoint, credentials=credentials)
    if action == "list":
        schedules = backend.list_schedules(pipeline_name)
        if not schedules:
            progress("no schedules")
        for info in schedules:
            progress(
                f"{info.pipeline_name}:{info.schedule_name}  cron={info.cron!r}  {info.state.value}"
            )
        return
    operation = {"pause": backend.pause, "resume": backend.resume, "delete": backend.delete}
    if action not in operation:
        raise ConfigError(
            f"unknown schedule action '{action}' (apply, list, {', '.join(operation)})"
        )
    assert pipeline_name is not None
    operation[action](pipeline_name, schedule_name)
    progress(f"schedule '{pipeline_name}:{schedule_name}': {action}d")
