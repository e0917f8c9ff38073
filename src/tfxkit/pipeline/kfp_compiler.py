"""Compile a pipeline for Kubeflow Pipelines or Vertex AI (KFP v2 PipelineSpec).

The same definition and config as a local run, compiled with TFX's ``KubeflowV2DagRunner``.
A runner profile (``config.profiles``) supplies what differs remotely: image, shared locations,
per-component resources (TFX platform config) and Beam options. Before writing anything the
compiler checks what most often breaks remote runs:

* locations every pod must see (pipeline root, data, push destination) are shared URIs;
* every module and executor the spec references is importable in the pipeline image: from
  ``tfx``, ``tfxkit`` or the staged package (the profile's ``package``, else the pipeline
  file's folder when a step lives there; ``staging``: a Dockerfile that stages it is written
  beside the spec), never a file on this machine;
* container steps declared with ``tfxkit.PIPELINE_IMAGE`` get the profile's image;
* resource entries name real components.

Outputs typed with KFP's system types (the run report's HTML, Markdown, Metrics and
ClassificationMetrics, ``components.run_report``) are written as KFP's ``schemaTitle`` (TFX
writes a custom type as an ``instanceSchema``, which the UIs do not render), and their task runs
tfxkit's entrypoint, which tells TFX's which class each such title is.

Output: ``.yaml``/``.yml`` writes the bare PipelineSpec (what a KFP cluster uploads, with
``defaultPipelineRoot`` set); any other extension writes TFX's PipelineJob JSON (what Vertex
takes, ``runtimeConfig`` included). The file is written atomically.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2
from tfx import v1 as tfx
from tfx.dsl.components.base.base_component import BaseComponent

from tfxkit.components.run_report import artifacts as system_artifacts
from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.config.profiles import RunnerProfile, is_shared_uri
from tfxkit.errors import ConfigError, PipelineDefinitionError
from tfxkit.pipeline.dsl import KUBEFLOW_V2, load_pipeline
from tfxkit.pipeline.staging import (
    Reference,
    StagedPackage,
    check_importable,
    render_dockerfile,
    staged_modules,
)
from tfxkit.pipeline.steps import PIPELINE_IMAGE, command_modules, is_container_step

_CODE_PARAMETERS = ("module_file", "module_path")

ResourceSpec = pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec.ResourceSpec


@dataclass(frozen=True)
class CompiledPipeline:
    path: Path
    pipeline_name: str
    pipeline_root: str
    tasks: list[str]
    dockerfile: Path | None = None  # the image that stages the package, when one is staged
    package: Path | None = None  # the folder of the user's code staged into the image


def check_remote_locations(config: PipelineConfig, profile: RunnerProfile) -> None:
    """Every pod reads and writes these; a local path would exist only on this machine."""
    checks = {
        "pipeline_root": config.resolved_pipeline_root,
        "data.path": config.data.path,
        "push.destination": config.resolved_push_destination,
    }
    problems = [
        f"{key} = {value!r}"
        for key, value in checks.items()
        if not is_shared_uri(value, profile.mounted_volumes)
    ]
    if problems:
        raise ConfigError(
            f"{profile.runner} runs each component in its own pod, so these locations must be "
            f"shared (gs://, s3://, or under a mounted volume declared in the profile's "
            f"mounted_volumes {profile.mounted_volumes}): " + "; ".join(problems) + ". Set "
            "pipeline_root / data_path / push_destination in the runner profile."
        )


def apply_resources(components: list[Any], profile: RunnerProfile) -> dict[str, Any]:
    """Per-component CPU/memory/accelerator limits as TFX platform config; returns them by id."""
    ids = {c.id for c in components}
    unknown = sorted(set(profile.resources) - ids - {"default"})
    if unknown:
        raise ConfigError(
            f"runner profile resources: {unknown} are not components of this pipeline "
            f"(components: {sorted(ids)})"
        )
    default = profile.resources.get("default")
    applied: dict[str, Any] = {}
    for component in components:
        if not isinstance(component, BaseComponent):
            continue  # resolvers/importers run in the orchestrator, not in a container
        spec = profile.resources.get(component.id, default)
        if spec is None:
            continue
        resource = ResourceSpec()
        if spec.cpu is not None:
            resource.cpu_limit = spec.cpu
        if spec.memory_gb is not None:
            resource.memory_limit = spec.memory_gb
        if spec.accelerator is not None:
            resource.accelerator.type = spec.accelerator.type
            resource.accelerator.count = spec.accelerator.count
        component.with_platform_config(resource)
        applied[component.id] = resource
    return applied


def _ensure_resources(pipeline_spec: dict[str, Any], applied: dict[str, Any]) -> None:
    """TFX 1.16 drops platform config for file-based ExampleGen; put the limits back."""
    executors = pipeline_spec.get("deploymentSpec", {}).get("executors", {})
    for node_id, resource in applied.items():
        container = executors.get(f"{node_id}_executor", {}).get("container")
        if container is not None and "resources" not in container:
            container["resources"] = json_format.MessageToDict(resource)


def use_system_types(pipeline_spec: dict[str, Any]) -> list[str]:
    """KFP system types as ``schemaTitle`` (what the Kubeflow and Vertex UIs render) and
    tfxkit's entrypoint for the tasks that write them; returns those components' names."""
    titles = system_artifacts.TITLE_TO_CLASS_PATH
    executors = pipeline_spec.get("deploymentSpec", {}).get("executors", {})
    changed = []
    for name, component in pipeline_spec.get("components", {}).items():
        found = False
        for side in ("inputDefinitions", "outputDefinitions"):
            for definition in component.get(side, {}).get("artifacts", {}).values():
                schema = definition.get("artifactType", {}).get("instanceSchema", "")
                title = (yaml.safe_load(schema) or {}).get("title") if schema else None
                if title in titles:
                    definition["artifactType"] = {
                        "schemaTitle": title,
                        "schemaVersion": system_artifacts.SCHEMA_VERSION,
                    }
                    found = True
        container = executors.get(component.get("executorLabel", ""), {}).get("container")
        if found and container is not None:
            container["command"] = ["python", "-m", system_artifacts.ENTRYPOINT]
            changed.append(name)
    return changed


def _python_paths(pipeline_spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(task, what, dotted path or file) for every piece of code the spec names."""
    found: list[tuple[str, str, str]] = []
    executors = pipeline_spec.get("deploymentSpec", {}).get("executors", {})
    for label, executor in executors.items():
        args = executor.get("container", {}).get("args", [])
        for flag, value in zip(args, args[1:], strict=False):
            if flag == "--executor_class_path":
                found.append((label.removesuffix("_executor"), "executor", value))
    for task, spec in pipeline_spec.get("root", {}).get("dag", {}).get("tasks", {}).items():
        for name, param in spec.get("inputs", {}).get("parameters", {}).items():
            value = _constant(param)
            if not isinstance(value, str) or not value or value == "null":
                continue
            if name in _CODE_PARAMETERS or name.endswith("_fn"):
                found.append((task, name, value))
    return found


def _constant(param: dict[str, Any]) -> Any:
    runtime = param.get("runtimeValue", {})
    if "constant" in runtime:
        return runtime["constant"]
    constant = runtime.get("constantValue", {})
    return next(iter(constant.values()), None) if constant else None


def check_no_module_files(components: list[Any]) -> None:
    """A ``module_file`` is a path on this machine; TFX would try to package it at compile time."""
    local = [
        f"component '{c.id}': module_file {c.exec_properties['module_file']!r}"
        for c in components
        if isinstance(c, BaseComponent) and c.exec_properties.get("module_file")
    ]
    if local:
        raise PipelineDefinitionError(
            "remote runs cannot use module files from this machine ("
            + "; ".join(local)
            + "); put the code in the tfxkit package (components/ installs as "
            "tfxkit.components) and reference it by module path, e.g. run_fn=..."
        )


def check_code_is_packaged(
    pipeline_spec: dict[str, Any],
    package: StagedPackage | None = None,
    extra: list[Reference] | None = None,
    beside: StagedPackage | None = None,
) -> tuple[list[Reference], StagedPackage | None]:
    """Module files and executors must come from the image: TFX, tfxkit or the staged package
    (``staging``); ``extra``: references the spec does not spell out (container steps'
    ``python -m`` modules). Without a package, the pipeline file's folder (``beside``) is
    staged when a step lives there. Returns every reference and the package staged."""
    references = [*_python_paths(pipeline_spec), *(extra or [])]
    if package is None and beside is not None and staged_modules(references, beside):
        package = beside
    check_importable(references, package)
    return references, package


def use_pipeline_image(components: list[Any], image: str) -> list[Reference]:
    """Container steps declared with ``PIPELINE_IMAGE`` run in the profile's image; returns the
    modules their commands run (``python -m``), which that image must import."""
    modules: list[Reference] = []
    for component in components:
        if is_container_step(component) and component.executor_spec.image == PIPELINE_IMAGE:
            component.executor_spec.image = image
            modules += [(component.id, "command module", m) for m in command_modules(component)]
    return modules


def check_beam_args(args: list[str]) -> None:
    """Every flag is one Beam knows: Beam drops unknown ones with a log line on the worker, so a
    typo in ``beam.extra_args`` would otherwise vanish silently in the cloud."""
    import logging

    from apache_beam.options.pipeline_options import PipelineOptions

    beam_log = logging.getLogger("apache_beam.options.pipeline_options")
    level = beam_log.level
    beam_log.setLevel(logging.ERROR)  # its own "Discarding unparseable args" lines
    try:
        options = PipelineOptions(args)
        known = options.get_all_options(retain_unknown_options=False)
        every = options.get_all_options(retain_unknown_options=True)
    finally:
        beam_log.setLevel(level)
    unknown = sorted(set(every) - set(known))
    if unknown:
        raise ConfigError(
            f"runner profile beam options {['--' + name for name in unknown]} are not Beam "
            f"pipeline options (Beam {_beam_version()} would drop them); check the spelling"
        )


def _beam_version() -> str:
    import apache_beam

    return apache_beam.__version__


def compile_pipeline(
    pipeline_file: str | Path | None,
    config: PipelineConfig,
    profile: RunnerProfile,
    *,
    enable_cache: bool = True,
    output: str | Path | None = None,
    check: Callable[[dict[str, Any], RunnerProfile], None] | None = None,
) -> CompiledPipeline:
    """Check, compile and atomically write the KFP v2 spec for ``profile.runner``; ``check``
    sees the finished spec before anything is written (it raises to stop the compile)."""
    remote_config = profile.apply_to(config)
    check_remote_locations(remote_config, profile)
    custom_job = profile.vertex_training_config(remote_config.training.strategy)
    target = dataclasses.replace(KUBEFLOW_V2, trainer_custom_job=custom_job)
    package = StagedPackage.at(profile.package) if profile.package else None
    beside = None
    if package is None and pipeline_file is not None:
        beside = StagedPackage.at(Path(pipeline_file).resolve().parent)
    builder = load_pipeline(pipeline_file, remote_config, target=target)
    check_no_module_files(builder.components)
    command_refs = use_pipeline_image(builder.components, profile.image)
    applied = apply_resources(builder.components, profile)
    beam_args = profile.beam.pipeline_args()
    check_beam_args(beam_args)
    pipeline = builder.build(enable_cache=enable_cache, beam_pipeline_args=beam_args)
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(
            display_name=remote_config.name, default_image=profile.image
        ),
    )
    job = runner.run(pipeline, write_out=False)
    spec = job["pipelineSpec"]
    references, package = check_code_is_packaged(spec, package, command_refs, beside)
    _ensure_resources(spec, applied)
    use_system_types(spec)
    spec["defaultPipelineRoot"] = remote_config.resolved_pipeline_root
    if check is not None:
        check(spec, profile)
    out = Path(output or profile.output_path(remote_config.name))
    if out.suffix in (".yaml", ".yml"):
        text = (
            f"# KFP v2 PipelineSpec for '{remote_config.name}', compiled by tfxkit with "
            f"TFX {job['labels'].get('tfx_version', '?')}.\n"
        ) + yaml.safe_dump(spec, sort_keys=True)
    else:
        text = json.dumps(job, indent=2, sort_keys=True)
    dockerfile = None
    if package is not None:
        dockerfile = out.with_name(f"{remote_config.name}.Dockerfile")
        modules = staged_modules(references, package)
        image = render_dockerfile(package, modules, profile.image, remote_config.name, dockerfile)
        _write_atomically(dockerfile, image)
    _write_atomically(out, text)
    return CompiledPipeline(
        path=out,
        pipeline_name=remote_config.name,
        pipeline_root=remote_config.resolved_pipeline_root,
        tasks=sorted(spec["root"]["dag"]["tasks"]),
        dockerfile=dockerfile,
        package=package.folder if package is not None else None,
    )


def _write_atomically(path: Path, text: str) -> None:
    """No half-written spec: write a sibling temp file, then rename over the target.

    ``mkstemp`` creates the file 0600; the spec is not a secret (passwords are never in it) and
    is shared with CI and teammates, so it gets the mode any new file gets under the umask."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _current_umask() -> int:
    """The process umask (reading it means setting it; set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def load_spec(path: str | Path) -> dict[str, Any]:
    """The PipelineSpec dict from a compiled file of either format."""
    data = yaml.safe_load(Path(path).read_text())
    return data.get("pipelineSpec", data)
