"""Compile, submit and schedule on Kubeflow Pipelines or Vertex AI: the CLI's remote verbs.

Glue only: compiling lives in ``runners.kubeflow``, the API clients in ``runners.kfp_client``
and ``runners.vertex_client``. Every step prints one line so a user sees where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tfxkit.config import PipelineConfig
from tfxkit.errors import ConfigError
from tfxkit.profiles import RunnerProfile
from tfxkit.runners.kubeflow import CompiledPipeline, compile_pipeline

Progress = Callable[[str], None]
DEFAULT_SCHEDULE = "default"


def kfp_host(profile: RunnerProfile, host: str | None) -> str:
    resolved = host or profile.kubeflow.host
    if not resolved:
        raise ConfigError(
            "submitting to Kubeflow needs the KFP API URL: pass --host URL or set kubeflow.host "
            "in the runner profile (or use --compile-only to stop after compiling)"
        )
    return resolved


def vertex_target(
    profile: RunnerProfile,
    pipeline_name: str,
    endpoint: str | None = None,
    credentials: Any = None,
):
    from tfxkit.runners.vertex_client import VertexTarget

    vertex = profile.vertex
    assert vertex is not None  # the profile schema requires it for runner: vertex
    return VertexTarget(
        project=vertex.project,
        region=vertex.region,
        pipeline_root=profile.expand(profile.pipeline_root, pipeline_name),
        service_account=vertex.service_account,
        labels=dict(vertex.labels),
        api_endpoint=endpoint,
        credentials=credentials,
    )


def run_remote(
    pipeline_file: str | Path,
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
) -> CompiledPipeline:
    """Compile for the profile's orchestrator, then submit a run or apply a schedule."""
    url = None
    if profile.runner == "kubeflow" and not compile_only:
        url = kfp_host(profile, host)  # fail before compiling, not after
    compiled = compile_pipeline(
        pipeline_file, config, profile, enable_cache=enable_cache, output=output
    )
    progress(
        f"compiled '{compiled.pipeline_name}' for {profile.runner} "
        f"({len(compiled.tasks)} tasks, image {profile.image}) -> {compiled.path}"
    )
    if compile_only:
        return compiled
    if profile.runner == "kubeflow":
        from tfxkit.runners import kfp_client

        assert url is not None
        if schedule:
            result = kfp_client.apply_schedule(
                url,
                compiled.path,
                compiled.pipeline_name,
                schedule_name,
                schedule,
                experiment=profile.kubeflow.experiment,
                enable_caching=enable_cache,
                namespace=profile.kubeflow.namespace,
            )
            progress(
                f"schedule '{compiled.pipeline_name}:{schedule_name}' ({schedule}): "
                f"{result.action} [{result.schedule_id}] on {url}"
            )
        else:
            run = kfp_client.submit_run(
                url,
                compiled.path,
                compiled.pipeline_name,
                experiment=profile.kubeflow.experiment,
                enable_caching=enable_cache,
                namespace=profile.kubeflow.namespace,
            )
            progress(f"submitted run {run.run_id}")
            progress(f"ui: {run.url}")
    else:
        from tfxkit.runners import vertex_client

        target = vertex_target(profile, compiled.pipeline_name, endpoint, credentials)
        if schedule:
            result = vertex_client.apply_schedule(
                target,
                compiled.path,
                compiled.pipeline_name,
                schedule_name,
                schedule,
                enable_caching=enable_cache,
            )
            progress(
                f"schedule '{compiled.pipeline_name}:{schedule_name}' ({schedule}): "
                f"{result.action} [{result.name}]"
            )
        else:
            job = vertex_client.submit_job(
                target, compiled.path, compiled.pipeline_name, enable_caching=enable_cache
            )
            progress(f"submitted pipeline job {job.name}")
            progress(f"console: {job.console_url}")
    return compiled


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
    if profile.runner == "kubeflow":
        from tfxkit.runners import kfp_client as client

        where: Any = kfp_host(profile, host)
        kwargs: dict[str, Any] = {"namespace": profile.kubeflow.namespace}
    else:
        from tfxkit.runners import vertex_client as client

        where = vertex_target(profile, pipeline_name or "", endpoint, credentials)
        kwargs = {}
    if action == "list":
        schedules = client.list_schedules(where, pipeline_name, **kwargs)
        if not schedules:
            progress("no schedules")
        for info in schedules:
            state = getattr(info, "state", None) or ("enabled" if info.enabled else "paused")
            progress(f"{info.pipeline_name}:{info.schedule_name}  cron={info.cron!r}  {state}")
        return
    operation = {
        "pause": client.pause_schedule,
        "resume": client.resume_schedule,
        "delete": client.delete_schedule,
    }[action]
    operation(where, pipeline_name, schedule_name, **kwargs)
    progress(f"schedule '{pipeline_name}:{schedule_name}': {action}d")
