"""The compiled KFP PipelineSpec as the launcher reads it: the file, the root, the task DAG.

Why this exists: every part of the launcher asks the same questions of the spec (which
component and executor does a task use, in what order do tasks run, what is a pipeline
parameter's value, can this task run here at all). Answering them in one place keeps the
PipelineJob's JSON layout out of the task handlers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tfxkit.runners.spec_launcher.errors import RunIrError
from tfxkit.runners.spec_launcher.values import from_legacy

_SUPPORTED_TRIGGERS = (None, "TRIGGER_STRATEGY_UNSPECIFIED", "ALL_UPSTREAM_TASKS_SUCCEEDED")


def load_spec(spec_path: Path) -> dict[str, Any]:
    """A PipelineJob (``pipelineSpec`` + ``runtimeConfig``) or a bare PipelineSpec, JSON/YAML."""
    path = Path(spec_path)
    if not path.is_file():
        raise RunIrError(f"compiled pipeline {path} does not exist")
    text = path.read_text()
    try:
        if path.suffix in (".yaml", ".yml"):
            import yaml

            doc = yaml.safe_load(text)
        else:
            doc = json.loads(text)
    except Exception as exc:  # a truncated or hand-edited file: say which
        raise RunIrError(f"compiled pipeline {path} is not valid JSON/YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise RunIrError(f"compiled pipeline {path} is not a PipelineJob or PipelineSpec")
    if "pipelineSpec" in doc:
        return doc
    if "root" in doc and "deploymentSpec" in doc:
        return {"pipelineSpec": doc, "runtimeConfig": {}}
    raise RunIrError(f"compiled pipeline {path} has neither 'pipelineSpec' nor 'root'")


def local_root(root: str | None, spec_root: str | None) -> Path:
    """The local pipeline root; remote roots are refused because tasks run as local processes."""
    chosen = root or spec_root
    if not chosen:
        raise RunIrError(
            "no pipeline root: the compiled file has no runtimeConfig.gcsOutputDirectory "
            "and none was given"
        )
    if chosen.startswith("file://"):
        chosen = chosen[len("file://") :]
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", chosen):
        raise RunIrError(
            f"pipeline root {chosen} is not a local path: run_ir runs every task as a local "
            "process and writes artifacts to local directories; pass a local pipeline_root"
        )
    return Path(chosen).expanduser().resolve()


def task_order(tasks: dict[str, dict[str, Any]]) -> list[str]:
    """Topological order of the DAG's tasks; ties broken by name so runs are reproducible."""
    deps = {name: upstream_tasks(task) for name, task in tasks.items()}
    for name, ups in deps.items():
        unknown = sorted(ups - tasks.keys())
        if unknown:
            raise RunIrError(f"task '{name}' depends on unknown task(s) {', '.join(unknown)}")
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(tasks):
        ready = sorted(n for n in tasks if n not in done and deps[n] <= done)
        if not ready:
            cycle = sorted(n for n in tasks if n not in done)
            raise RunIrError(f"the pipeline DAG has a cycle among tasks {', '.join(cycle)}")
        order.append(ready[0])
        done.add(ready[0])
    return order


def upstream_tasks(task: dict[str, Any]) -> set[str]:
    """Tasks that must finish first: declared dependencies plus every producer it reads from."""
    ups = set(task.get("dependentTasks", []))
    inputs = task.get("inputs", {})
    for spec in inputs.get("artifacts", {}).values():
        if "taskOutputArtifact" in spec:
            ups.add(spec["taskOutputArtifact"]["producerTask"])
    for spec in inputs.get("parameters", {}).values():
        if "taskOutputParameter" in spec:
            ups.add(spec["taskOutputParameter"]["producerTask"])
    return ups


def schema_title(artifact_type: dict[str, Any]) -> str:
    """``tfx.Model`` from an ArtifactTypeSchema (schemaTitle or instanceSchema's title)."""
    if artifact_type.get("schemaTitle"):
        return artifact_type["schemaTitle"]
    match = re.search(r"^title:\s*(\S+)", artifact_type.get("instanceSchema", ""), re.M)
    return match.group(1) if match else "system.Artifact"


class CompiledSpec:
    """One PipelineJob: its name, root DAG tasks, components and executors, with lookups."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.job = job
        self.spec: dict[str, Any] = job["pipelineSpec"]
        self.name: str = self.spec.get("pipelineInfo", {}).get("name") or job.get("displayName", "")
        if not self.name:
            raise RunIrError("the compiled pipeline has no pipelineInfo.name")
        self.components: dict[str, Any] = self.spec.get("components", {})
        self.executors: dict[str, Any] = self.spec.get("deploymentSpec", {}).get("executors", {})
        root_dag = self.spec.get("root", {}).get("dag", {})
        self.tasks: dict[str, dict[str, Any]] = root_dag.get("tasks", {})
        if not self.tasks:
            raise RunIrError("the compiled pipeline's root DAG has no tasks")

    def component(self, name: str) -> dict[str, Any]:
        """The ComponentSpec task ``name`` refers to."""
        ref = self.tasks[name].get("componentRef", {}).get("name", name)
        if ref not in self.components:
            raise RunIrError(f"task '{name}' references unknown component '{ref}'")
        return self.components[ref]

    def executor(self, name: str) -> dict[str, Any]:
        """The deploymentSpec executor (container, resolver or importer) of task ``name``."""
        label = self.component(name).get("executorLabel")
        if label not in self.executors:
            raise RunIrError(f"task '{name}': no deploymentSpec executor '{label}'")
        return self.executors[label]

    def check_supported(self, name: str) -> None:
        """Refuse, before anything runs, what this launcher cannot execute."""
        task = self.tasks[name]
        for unsupported in ("iteratorPolicy", "parameterIterator", "artifactIterator"):
            if unsupported in task:
                raise RunIrError(f"task '{name}': {unsupported} (loops) is not supported")
        strategy = task.get("triggerPolicy", {}).get("strategy")
        if strategy not in _SUPPORTED_TRIGGERS:
            raise RunIrError(f"task '{name}': trigger strategy {strategy} is not supported")
        if "dag" in self.component(name):
            raise RunIrError(f"task '{name}': sub-DAG components are not supported")
        executor = self.executor(name)
        if not any(k in executor for k in ("container", "resolver", "importer")):
            raise RunIrError(
                f"task '{name}': executor kind {', '.join(sorted(executor)) or '(none)'} "
                "is not supported (run_ir runs container, resolver and importer executors)"
            )

    def pipeline_parameter(self, name: str, param: str) -> Any:
        """A pipeline input's value: the job's runtimeConfig, else the spec's default."""
        runtime = self.job.get("runtimeConfig", {})
        if param in runtime.get("parameterValues", {}):
            return runtime["parameterValues"][param]
        if param in runtime.get("parameters", {}):
            return from_legacy(runtime["parameters"][param])
        definition = (
            self.spec.get("root", {}).get("inputDefinitions", {}).get("parameters", {}).get(param)
        )
        if definition and "defaultValue" in definition:
            return definition["defaultValue"]
        raise RunIrError(f"task '{name}': pipeline parameter '{param}' has no value")
