"""The monitor as its own Kubeflow / Vertex pipeline: one container step running
``tfxkit monitor`` in the runner profile's image, compiled to a KFP v2 PipelineSpec.

Why its own pipeline and not a step of the training one: it runs on its own schedule (every
window), far more often than training, and must not start a training run's components. The
step reads the config from inside the image (``--config-in-image``, default: the same relative
path as here) with the profile's remote locations as ``--set`` overrides; webhook URLs reach the
pod as environment variables of the run, never through the spec. With ``retrain_profile`` the
step, on an alert, submits the training pipeline through that profile (its path in the image)
after the cool-down and lock; without it the step never retrains (``--no-retrain``): training
inside the monitor's pod would bypass the orchestrator. A warn or alert ends the step
with exit code 5 or 6, so the run shows as failed in the UI, on purpose: alerts are visible
there as well as in the sinks.

Submitted and scheduled through the same backends as the training pipeline
(``runners.backends``: one run, or a cron schedule keyed ``<name>-monitor:<schedule>``), always
without caching: a cached monitor step would replay the first verdict instead of judging the
newest window.
"""

# No ``from __future__ import annotations``: KFP reads the components' annotations as objects.
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.config.profiles import RunnerProfile


def remote_overrides(profile: RunnerProfile, name: str) -> list[str]:
    """The profile's shared locations (``{name}``: the pipeline's) as ``--set`` overrides."""
    sets = []
    if profile.push_destination:
        sets.append(f"push.destination={profile.push_destination.replace('{name}', name)}")
    if profile.data_path:
        sets.append(f"data.path={profile.data_path.replace('{name}', name)}")
    return sets


def compile_monitor(
    config: PipelineConfig,
    profile: RunnerProfile,
    config_in_image: str,
    output: str | Path,
    overrides: list[str] | None = None,
    *,
    retrain_profile: str | None = None,
    host: str | None = None,
    endpoint: str | None = None,
) -> Path:
    """Write the monitor's PipelineSpec (YAML) to ``output``; its path."""
    from kfp import compiler, dsl

    args = ["monitor", "-c", config_in_image]
    if retrain_profile is None:
        args.append("--no-retrain")
    else:
        args += ["--retrain-profile", retrain_profile]
        args += ["--host", host] if host else []
        args += ["--endpoint", endpoint] if endpoint else []
    for value in [*remote_overrides(profile, config.name), *(overrides or [])]:
        args += ["--set", value]
    image = profile.image

    @dsl.container_component
    def monitor_step() -> dsl.ContainerSpec:
        return dsl.ContainerSpec(image=image, command=["tfxkit"], args=args)

    @dsl.pipeline(name=f"{config.name}-monitor", description=f"tfxkit monitor of {config.name}")
    def monitor_pipeline() -> None:
        monitor_step().set_display_name("tfxkit-monitor")

    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    compiler.Compiler().compile(monitor_pipeline, str(path))
    return path


@dataclass(frozen=True)
class CompiledMonitor:
    """The monitor's spec as the backends take it (``runners.backends.base.Compiled``)."""

    path: Path
    pipeline_name: str
    pipeline_root: str


def deploy_monitor(
    config: PipelineConfig,
    profile: RunnerProfile,
    path: Path,
    *,
    host: str | None = None,
    endpoint: str | None = None,
    schedule: str | None = None,
    schedule_name: str = "default",
    progress: Callable[[str], None] = print,
    credentials: Any = None,
) -> str:
    """Submit one run of the compiled monitor, or apply its cron schedule; the run's or the
    schedule's id. Runs go under the training pipeline's root (the profile's)."""
    from tfxkit.runners.backends import get_backend

    backend = get_backend(profile, host=host, endpoint=endpoint, credentials=credentials)
    compiled = CompiledMonitor(
        path, f"{config.name}-monitor", profile.apply_to(config).resolved_pipeline_root
    )
    if schedule:
        result = backend.apply_schedule(compiled, schedule_name, schedule, enable_caching=False)
        progress(
            f"schedule '{compiled.pipeline_name}:{schedule_name}' ({schedule}): "
            f"{result.action.value} [{result.schedule_id}] on {backend.location}"
        )
        return result.schedule_id
    run = backend.submit(compiled, enable_caching=False)
    progress(f"submitted run {run.id}")
    progress(f"ui: {run.url}")
    return run.id
