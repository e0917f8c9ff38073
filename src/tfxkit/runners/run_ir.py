"""Run a compiled Kubeflow V2 / Vertex PipelineJob file on this machine, task by task.

Why this exists: ``KubeflowV2DagRunner`` only *compiles*; whether the JSON it writes actually
runs is normally learned on a KFP or Vertex backend. This module stands in for that backend's
driver + launcher so "it compiles" can be checked as "it runs" without a cluster: it walks the
PipelineSpec's DAG and runs each task's container command (TFX's Kubeflow V2 entrypoints) as a
subprocess of ``sys.executable``, handing it the ``ExecutorInput`` JSON a real launcher would,
with artifact URIs under a local pipeline root.

What it does, as the KFP backend would:

- orders tasks by ``dependentTasks`` and their artifact / parameter producers;
- resolves input parameters (``runtimeValue.constantValue`` / ``constant``, pipeline inputs,
  upstream output parameters) and input artifacts (upstream outputs, with the metadata the
  upstream executor reported in its ``executor_output.json``);
- runs a container's ``lifecycle.preCacheCheck`` (ExampleGen's driver) first and folds its
  output (span, version, input fingerprint, resolved input config, output artifact metadata)
  into the executor's input;
- runs ``resolver`` executors (``outputArtifactQueries``, e.g. the two-phase latest blessed
  model resolver) against a small artifact index kept under the pipeline root
  (``.run_ir/index.json``), so a later run sees the artifacts of earlier ones;
- runs ``importer`` executors (registers the imported URI as an artifact);
- evaluates ``triggerPolicy.condition`` (the CEL subset TFX emits) and skips the task when false;
- caches like KFP when a task's ``cachingOptions.enableCache`` is set: the key covers the
  component and executor spec, the input parameters (after the driver, so ExampleGen re-runs
  when its input files change) and the input artifact names; a hit reuses the earlier
  execution's outputs if they still exist on disk.

What it does not do: no parallelism (one task at a time), no ML Metadata (the JSON index stands
in for Vertex ML Metadata's artifact queries), no container images (commands run in the
current environment; ``python`` is replaced by ``sys.executable``), no sub-DAGs, loops or exit
handlers, no retries, and no remote pipeline roots (gs://, s3://): every artifact is a local
directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

Progress = Callable[[str], None]

INDEX_DIR = ".run_ir"
INDEX_FILE = "index.json"
_STDERR_TAIL_LINES = 25
# Artifact types whose URI is a file, not a directory (TFX ValueArtifacts).
_VALUE_TYPES = {
    "tfx.String",
    "tfx.Integer",
    "tfx.Float",
    "tfx.Boolean",
    "tfx.Bytes",
    "tfx.JsonValue",
    "system.String",
    "system.Integer",
    "system.Float",
    "system.Boolean",
}


# ------------------------------------------------------------------------------------ results
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


class RunIrError(RuntimeError):
    """A compiled pipeline could not be run; ``summary`` holds what ran before it stopped."""

    def __init__(self, message: str, summary: IrRunSummary | None = None) -> None:
        super().__init__(message)
        self.summary = summary


# ------------------------------------------------------------------------------ spec loading
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


# ------------------------------------------------------------------------ parameter values
def _legacy_value(value: Any, ptype: str | None) -> dict[str, Any]:
    """A kfp ``Value`` (intValue/doubleValue/stringValue), the form TFX reads without spec 2.1."""
    if isinstance(value, bool):
        return {"intValue": str(int(value))}
    if isinstance(value, int | float):
        is_int = ptype in ("INT", "NUMBER_INTEGER") or (
            ptype not in ("DOUBLE", "NUMBER_DOUBLE") and float(value).is_integer()
        )
        return {"intValue": str(int(value))} if is_int else {"doubleValue": float(value)}
    if isinstance(value, str):
        return {"stringValue": value}
    return {"stringValue": json.dumps(value)}


def _from_legacy(value: dict[str, Any]) -> Any:
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "stringValue" in value:
        return value["stringValue"]
    raise RunIrError(f"unsupported parameter value {value}")


def _param_type(definition: dict[str, Any]) -> str | None:
    return definition.get("parameterType") or definition.get("type")


# --------------------------------------------------------------------------- artifact index
class ArtifactIndex:
    """Artifacts and executions of earlier runs under one pipeline root (stands in for MLMD)."""

    def __init__(self, root: Path) -> None:
        self.path = root / INDEX_DIR / INDEX_FILE
        self.data: dict[str, list[dict[str, Any]]] = {"artifacts": [], "executions": []}
        if self.path.is_file():
            try:
                self.data = json.loads(self.path.read_text())
            except json.JSONDecodeError as exc:
                raise RunIrError(f"artifact index {self.path} is corrupt: {exc}") from exc

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True))
        tmp.replace(self.path)

    def add_artifacts(self, records: list[dict[str, Any]]) -> None:
        known = {a["name"] for a in self.data["artifacts"]}
        self.data["artifacts"].extend(r for r in records if r["name"] not in known)

    def add_execution(self, record: dict[str, Any]) -> None:
        self.data["executions"].append(record)

    def query(self, clauses: list[tuple[str, str, Any]]) -> list[dict[str, Any]]:
        """Artifacts matching every clause, oldest first."""
        return [a for a in self.data["artifacts"] if all(_match(a, c) for c in clauses)]

    def cached(self, cache_key: str) -> dict[str, Any] | None:
        """The latest finished execution with this key whose outputs still exist."""
        by_name = {a["name"]: a for a in self.data["artifacts"]}
        for execution in reversed(self.data["executions"]):
            if execution.get("cache_key") != cache_key:
                continue
            names = [n for names in execution["outputs"].values() for n in names]
            if all(n in by_name and Path(by_name[n]["uri"]).exists() for n in names):
                return execution
        return None

    def artifact(self, name: str) -> dict[str, Any]:
        return next(a for a in self.data["artifacts"] if a["name"] == name)


_CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(!=|=)\s*(.+?)\s*$")


def parse_filter(text: str) -> list[tuple[str, str, Any]]:
    """Vertex ML Metadata list filter, the AND-only subset TFX's resolvers emit."""
    if re.search(r"\bOR\b|\bNOT\b", text):
        raise RunIrError(f"resolver filter {text!r}: only AND-joined clauses are supported")
    clauses = []
    for part in re.split(r"\s+AND\s+", text.strip()):
        match = _CLAUSE.match(part)
        if not match:
            raise RunIrError(f"resolver filter clause {part!r} is not supported")
        key, op, raw = match.groups()
        if raw.startswith('"') and raw.endswith('"'):
            value: Any = raw[1:-1]
        else:
            try:
                value = float(raw)
            except ValueError:
                value = raw
        if not (
            key in ("schema_title", "state", "name", "uri", "display_name")
            or re.fullmatch(r"metadata\.[\w-]+(\.(number|string|bool)_value)?", key)
        ):
            raise RunIrError(f"resolver filter field {key!r} (in {text!r}) is not supported")
        clauses.append((key, op, value))
    return clauses


def _match(artifact: dict[str, Any], clause: tuple[str, str, Any]) -> bool:
    key, op, want = clause
    if key.startswith("metadata."):
        meta_key = key.split(".")[1]
        have = artifact.get("metadata", {}).get(meta_key)
    elif key == "state":
        have = artifact.get("state", "LIVE")
    elif key == "display_name":
        have = artifact["name"].rsplit("/", 1)[-1]
    else:
        have = artifact.get(key)
    if have is None:
        equal = False
    elif isinstance(want, float):
        try:
            equal = float(have) == want
        except (TypeError, ValueError):
            equal = False
    else:
        equal = str(have) == want
    return equal if op == "=" else not equal


# ----------------------------------------------------------------------- placeholders (args)
_PLACEHOLDER = re.compile(r"\{\{\$(.*?)\}\}")
_ART_REF = re.compile(
    r"^\.(inputs|outputs)\.artifacts\['([^']+)'\]\.(uri|path|metadata\['([^']+)'\])$"
)
_PARAM_REF = re.compile(r"^\.inputs\.(?:parameters|parameter_values)\['([^']+)'\]$")
_OUT_PARAM_REF = re.compile(r"^\.outputs\.parameters\['([^']+)'\]\.output_file$")


class _Unresolvable(Exception):
    """A placeholder points at an input with no artifact (e.g. a resolver found nothing)."""


# ------------------------------------------------------------------------------- CEL subset
_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.\d*|\d*\.\d+|\d+)|(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[()\[\].!<>+-])|(?P<id>[A-Za-z_]\w*))"
)


class CelError(Exception):
    """A condition that the CEL subset cannot parse or evaluate."""


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise CelError(f"unexpected character at {text[pos:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Cel:
    """Recursive-descent evaluator for the CEL that TFX's placeholder_to_cel emits."""

    def __init__(self, text: str, env: dict[str, Any]) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.env = env

    def run(self) -> Any:
        value = self._or()
        if self.pos != len(self.tokens):
            raise CelError(f"unexpected {self.tokens[self.pos][1]!r}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self, want: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise CelError("unexpected end of expression")
        token = self.tokens[self.pos]
        if want is not None and token[1] != want:
            raise CelError(f"expected {want!r}, got {token[1]!r}")
        self.pos += 1
        return token

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = bool(value) or bool(right)
        return value

    def _and(self) -> Any:
        value = self._cmp()
        while self._peek() == "&&":
            self._take()
            right = self._cmp()
            value = bool(value) and bool(right)
        return value

    def _cmp(self) -> Any:
        left = self._add()
        op = self._peek()
        if op in ("==", "!=", "<", ">", "<=", ">="):
            self._take()
            right = self._add()
            if isinstance(left, int | float) and isinstance(right, int | float):
                left, right = float(left), float(right)
            try:
                return {
                    "==": lambda: left == right,
                    "!=": lambda: left != right,
                    "<": lambda: left < right,
                    ">": lambda: left > right,
                    "<=": lambda: left <= right,
                    ">=": lambda: left >= right,
                }[op]()
            except TypeError as exc:
                raise CelError(f"cannot compare {left!r} {op} {right!r}") from exc
        return left

    def _add(self) -> Any:
        value = self._unary()
        while self._peek() in ("+", "-"):
            op = self._take()[1]
            right = self._unary()
            try:
                value = value + right if op == "+" else value - right
            except TypeError as exc:
                raise CelError(f"cannot apply {op} to {value!r} and {right!r}") from exc
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not self._unary()
        if self._peek() == "-":
            self._take()
            return -self._unary()
        return self._postfix()

    def _postfix(self) -> Any:
        value = self._primary()
        while self._peek() in (".", "["):
            if self._take()[1] == ".":
                kind, name = self._take()
                if kind != "id":
                    raise CelError(f"expected a field name after '.', got {name!r}")
                value = self._index(value, name)
            else:
                key = self._or()
                self._take("]")
                value = self._index(value, key)
        return value

    @staticmethod
    def _index(value: Any, key: Any) -> Any:
        try:
            if isinstance(value, list):
                return value[int(key)]
            return value[key]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise CelError(f"no such key {key!r}") from exc

    def _primary(self) -> Any:
        kind, text = self._take()
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "str":
            return bytes(text[1:-1], "utf-8").decode("unicode_escape")
        if kind == "id":
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
            if text not in self.env:
                raise CelError(f"unknown name {text!r}")
            return self.env[text]
        if text == "(":
            value = self._or()
            self._take(")")
            return value
        raise CelError(f"unexpected {text!r}")


def evaluate_condition(condition: str, inputs: dict[str, Any]) -> bool:
    """Evaluate a ``triggerPolicy.condition``; ``inputs`` holds artifacts and parameter_values."""
    return bool(_Cel(condition, {"inputs": inputs}).run())


def condition_input_keys(condition: str) -> list[str]:
    """The ``inputs.artifacts['key']`` keys a condition reads."""
    return re.findall(r"inputs\.artifacts\['([^']+)'\]", condition)


# ------------------------------------------------------------------------------- the launcher
@dataclass
class _Artifact:
    name: str
    uri: str
    type: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)

    def runtime(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "uri": self.uri, "metadata": self.metadata}

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "uri": self.uri, "metadata": self.metadata}


@dataclass
class _TaskOutputs:
    artifacts: dict[str, list[_Artifact]] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False


class _Launcher:
    def __init__(
        self,
        job: dict[str, Any],
        root: Path,
        progress: Progress,
        env: dict[str, str] | None,
        enable_cache: bool,
    ) -> None:
        self.job = job
        self.spec = job["pipelineSpec"]
        self.root = root
        self.progress = progress
        self.extra_env = dict(env or {})
        self.enable_cache = enable_cache
        self.name = self.spec.get("pipelineInfo", {}).get("name") or job.get("displayName", "")
        if not self.name:
            raise RunIrError("the compiled pipeline has no pipelineInfo.name")
        self.components = self.spec.get("components", {})
        self.executors = self.spec.get("deploymentSpec", {}).get("executors", {})
        root_dag = self.spec.get("root", {}).get("dag", {})
        self.tasks: dict[str, dict[str, Any]] = root_dag.get("tasks", {})
        if not self.tasks:
            raise RunIrError("the compiled pipeline's root DAG has no tasks")
        self.run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        self.run_dir = root / self.name / self.run_id
        self.index = ArtifactIndex(root)
        self.results: dict[str, _TaskOutputs] = {}
        self._announce: str | None = None
        self.summary = IrRunSummary(self.name, self.run_id, str(root))

    # -------------------------------------------------------------------- driving the DAG
    def run(self) -> IrRunSummary:
        order = task_order(self.tasks)
        for name in order:
            self._check_supported(name)
        self.progress(
            f"[run_ir] run {self.run_id} of '{self.name}': {len(order)} tasks, root {self.root}"
        )
        for i, name in enumerate(order, 1):
            self._run_task(name, f"[{i}/{len(order)}] {name}")
        return self.summary

    def _check_supported(self, name: str) -> None:
        """Refuse, before anything runs, what this launcher cannot execute."""
        task = self.tasks[name]
        for unsupported in ("iteratorPolicy", "parameterIterator", "artifactIterator"):
            if unsupported in task:
                raise RunIrError(f"task '{name}': {unsupported} (loops) is not supported")
        strategy = task.get("triggerPolicy", {}).get("strategy")
        if strategy not in (None, "TRIGGER_STRATEGY_UNSPECIFIED", "ALL_UPSTREAM_TASKS_SUCCEEDED"):
            raise RunIrError(f"task '{name}': trigger strategy {strategy} is not supported")
        component = self._component(name)
        if "dag" in component:
            raise RunIrError(f"task '{name}': sub-DAG components are not supported")
        executor = self._executor(name)
        kinds = [k for k in executor if k in ("container", "resolver", "importer")]
        if not kinds:
            raise RunIrError(
                f"task '{name}': executor kind {', '.join(sorted(executor)) or '(none)'} "
                "is not supported (run_ir runs container, resolver and importer executors)"
            )

    def _component(self, name: str) -> dict[str, Any]:
        ref = self.tasks[name].get("componentRef", {}).get("name", name)
        if ref not in self.components:
            raise RunIrError(f"task '{name}' references unknown component '{ref}'")
        return self.components[ref]

    def _executor(self, name: str) -> dict[str, Any]:
        label = self._component(name).get("executorLabel")
        if label not in self.executors:
            raise RunIrError(f"task '{name}': no deploymentSpec executor '{label}'")
        return self.executors[label]

    def _run_task(self, name: str, prefix: str) -> None:
        task = self.tasks[name]
        start = time.monotonic()
        skipped_up = sorted(u for u in upstream_tasks(task) if self.results[u].skipped)
        if skipped_up:
            self._skip(name, prefix, f"upstream {', '.join(skipped_up)} skipped")
            return
        inputs = self._input_artifacts(name)
        params = self._input_parameters(name)
        condition = task.get("triggerPolicy", {}).get("condition")
        if condition:
            allowed = self._condition_inputs(name, condition, inputs)
            env = {
                "artifacts": {
                    k: {"artifacts": [a.public() for a in v]} for k, v in allowed.items()
                },
                "parameter_values": {k: v for k, (v, _) in params.items()},
                "parameters": {k: v for k, (v, _) in params.items()},
            }
            try:
                met = evaluate_condition(condition, env)
            except CelError as exc:
                raise self._fail(name, start, f"condition {condition!r} failed: {exc}") from exc
            if not met:
                self._skip(name, prefix, f"condition false: {condition}")
                return
        executor = self._executor(name)
        if "resolver" in executor:
            outputs = self._resolve(name, executor["resolver"], inputs, params)
            count = sum(len(v) for v in outputs.artifacts.values())
            self._done(name, outputs, "resolved", start, f"{count} artifact(s)")
            self.progress(f"{prefix}: resolved {count} artifact(s)")
            return
        if "importer" in executor:
            outputs = self._import(name, executor["importer"], params)
            self._done(name, outputs, "finished", start, "imported")
            self.progress(f"{prefix}: imported {self._uris(outputs)}")
            return
        self._announce = f"{prefix}: started"  # printed when a process really starts
        try:
            outputs, cached_from = self._run_container(name, executor["container"], inputs, params)
        except RunIrError:
            self.progress(f"{prefix}: FAILED after {time.monotonic() - start:.1f}s")
            raise
        if cached_from:
            self._done(name, outputs, "cached", start, f"outputs of run {cached_from}")
            self.progress(f"{prefix}: cached (outputs of run {cached_from})")
        else:
            self._done(name, outputs, "finished", start)
            self.progress(f"{prefix}: finished in {time.monotonic() - start:.1f}s")

    @staticmethod
    def _uris(outputs: _TaskOutputs) -> str:
        return ", ".join(a.uri for arts in outputs.artifacts.values() for a in arts)

    def _skip(self, name: str, prefix: str, why: str) -> None:
        self.results[name] = _TaskOutputs(skipped=True)
        self.summary.tasks.append(TaskResult(name, "skipped", 0.0, why))
        self.progress(f"{prefix}: skipped ({why})")

    def _done(
        self, name: str, outputs: _TaskOutputs, status: str, start: float, detail: str = ""
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

    # ------------------------------------------------------------------------- inputs
    def _input_artifacts(self, name: str) -> dict[str, list[_Artifact]]:
        result: dict[str, list[_Artifact]] = {}
        for key, spec in self.tasks[name].get("inputs", {}).get("artifacts", {}).items():
            if "taskOutputArtifact" not in spec:
                raise RunIrError(
                    f"task '{name}': input artifact '{key}' source "
                    f"{sorted(spec)} is not supported (only taskOutputArtifact)"
                )
            ref = spec["taskOutputArtifact"]
            producer, out_key = ref["producerTask"], ref["outputArtifactKey"]
            produced = self.results[producer].artifacts
            if out_key not in produced:
                raise RunIrError(
                    f"task '{name}': input '{key}' wants output '{out_key}' of task "
                    f"'{producer}', which produced only {sorted(produced)}"
                )
            wanted = self._component(name).get("inputDefinitions", {}).get("artifacts", {}).get(key)
            result[key] = [
                _Artifact(a.name, a.uri, wanted["artifactType"] if wanted else a.type, a.metadata)
                for a in produced[out_key]
            ]
        return result

    def _input_parameters(self, name: str) -> dict[str, tuple[Any, str | None]]:
        """Parameter name -> (JSON value, declared type)."""
        definitions = self._component(name).get("inputDefinitions", {}).get("parameters", {})
        result: dict[str, tuple[Any, str | None]] = {}
        for key, spec in self.tasks[name].get("inputs", {}).get("parameters", {}).items():
            ptype = _param_type(definitions.get(key, {}))
            result[key] = (self._parameter_value(name, key, spec), ptype)
        return result

    def _parameter_value(self, name: str, key: str, spec: dict[str, Any]) -> Any:
        if "runtimeValue" in spec:
            runtime = spec["runtimeValue"]
            if "constantValue" in runtime:
                return _from_legacy(runtime["constantValue"])
            if "constant" in runtime:
                return runtime["constant"]
        if "componentInputParameter" in spec:
            return self._pipeline_parameter(name, spec["componentInputParameter"])
        if "taskOutputParameter" in spec:
            ref = spec["taskOutputParameter"]
            produced = self.results[ref["producerTask"]].parameters
            if ref["outputParameterKey"] not in produced:
                raise RunIrError(
                    f"task '{name}': parameter '{key}' wants output parameter "
                    f"'{ref['outputParameterKey']}' of task '{ref['producerTask']}', "
                    "which it did not produce"
                )
            return produced[ref["outputParameterKey"]]
        raise RunIrError(f"task '{name}': parameter '{key}' source {sorted(spec)} not supported")

    def _pipeline_parameter(self, name: str, param: str) -> Any:
        runtime = self.job.get("runtimeConfig", {})
        if param in runtime.get("parameterValues", {}):
            return runtime["parameterValues"][param]
        if param in runtime.get("parameters", {}):
            return _from_legacy(runtime["parameters"][param])
        definition = (
            self.spec.get("root", {}).get("inputDefinitions", {}).get("parameters", {}).get(param)
        )
        if definition and "defaultValue" in definition:
            return definition["defaultValue"]
        raise RunIrError(f"task '{name}': pipeline parameter '{param}' has no value")

    def _condition_inputs(
        self, name: str, condition: str, inputs: dict[str, list[_Artifact]]
    ) -> dict[str, list[_Artifact]]:
        """The task's inputs plus implicit ``_<task>.<output>`` keys the condition reads.

        TFX 1.16 names a Cond's channel ``_<producer>.<output>`` in the condition but, when the
        same channel is also a regular input, declares it only under the regular name. A strict
        backend would find no such input; here the producer's output is used and a warning is
        recorded so the mismatch is visible.
        """
        allowed = dict(inputs)
        for key in condition_input_keys(condition):
            if key in allowed:
                continue
            match = re.fullmatch(r"_(.+)\.([^.]+)", key)
            producer = match and self.results.get(match.group(1))
            if not match or producer is None or match.group(2) not in producer.artifacts:
                raise RunIrError(
                    f"task '{name}': condition reads inputs.artifacts['{key}'], which is "
                    "neither an input of the task nor an upstream output"
                )
            warning = (
                f"task '{name}': condition reads inputs.artifacts['{key}'], which the task "
                f"does not declare as an input; used output '{match.group(2)}' of task "
                f"'{match.group(1)}' (a KFP/Vertex backend may reject this)"
            )
            self.summary.warnings.append(warning)
            self.progress(f"[run_ir] warning: {warning}")
            allowed[key] = producer.artifacts[match.group(2)]
        return allowed

    # ---------------------------------------------------------------------- containers
    def _run_container(
        self,
        name: str,
        container: dict[str, Any],
        inputs: dict[str, list[_Artifact]],
        params: dict[str, tuple[Any, str | None]],
    ) -> tuple[_TaskOutputs, str | None]:
        start = time.monotonic()
        task_dir = self.run_dir / name
        task_dir.mkdir(parents=True, exist_ok=True)
        component = self._component(name)
        outputs = self._allocate_outputs(name, component, task_dir)
        out_params = component.get("outputDefinitions", {}).get("parameters", {})
        hook = container.get("lifecycle", {}).get("preCacheCheck")
        if hook:
            driver_out = task_dir / "driver_output.json"
            executor_input = self._executor_input(inputs, params, outputs, {}, driver_out)
            self._exec(name, "driver", hook, executor_input, task_dir, inputs, outputs, start)
            self._fold_driver_output(name, driver_out, params, outputs, start)

        cache_key = self._cache_key(name, container, inputs, params)
        if self.enable_cache and self.tasks[name].get("cachingOptions", {}).get("enableCache"):
            hit = self.index.cached(cache_key)
            if hit:
                for arts in outputs.values():  # allocated for the driver, never written
                    with contextlib.suppress(OSError):
                        Path(arts[0].uri).rmdir()
                return self._reuse(hit), hit["run_id"]

        out_param_files = {k: str(task_dir / "parameters" / k) for k in out_params}
        executor_input = self._executor_input(
            inputs, params, outputs, out_param_files, task_dir / "executor_output.json"
        )
        self._exec(name, "executor", container, executor_input, task_dir, inputs, outputs, start)
        result = self._read_executor_output(name, task_dir, outputs, out_param_files, start)
        self._register(name, result, cache_key)
        return result, None

    def _allocate_outputs(
        self, name: str, component: dict[str, Any], task_dir: Path
    ) -> dict[str, list[_Artifact]]:
        outputs = {}
        for key, definition in component.get("outputDefinitions", {}).get("artifacts", {}).items():
            uri = task_dir / key
            artifact_type = definition.get("artifactType", {})
            if schema_title(artifact_type) in _VALUE_TYPES:
                uri.parent.mkdir(parents=True, exist_ok=True)
            else:
                uri.mkdir(parents=True, exist_ok=True)
            artifact_name = f"run_ir/{self.name}/{self.run_id}/{name}/{key}"
            outputs[key] = [_Artifact(artifact_name, str(uri), artifact_type, {})]
        return outputs

    @staticmethod
    def _executor_input(
        inputs: dict[str, list[_Artifact]],
        params: dict[str, tuple[Any, str | None]],
        outputs: dict[str, list[_Artifact]],
        out_param_files: dict[str, str],
        output_file: Path,
    ) -> dict[str, Any]:
        """The kfp ExecutorInput; parameters in both the legacy and the struct form."""
        return {
            "inputs": {
                "parameters": {k: _legacy_value(v, t) for k, (v, t) in params.items()},
                "parameterValues": {k: v for k, (v, _) in params.items()},
                "artifacts": {
                    k: {"artifacts": [a.runtime() for a in arts]} for k, arts in inputs.items()
                },
            },
            "outputs": {
                "artifacts": {
                    k: {"artifacts": [a.runtime() for a in arts]} for k, arts in outputs.items()
                },
                "parameters": {k: {"outputFile": f} for k, f in out_param_files.items()},
                "outputFile": str(output_file),
            },
        }

    def _exec(
        self,
        name: str,
        phase: str,
        container: dict[str, Any],
        executor_input: dict[str, Any],
        task_dir: Path,
        inputs: dict[str, list[_Artifact]],
        outputs: dict[str, list[_Artifact]],
        start: float,
    ) -> None:
        """Run one command of the task (driver or executor); raise naming the task on failure."""
        if self._announce:
            self.progress(self._announce)
            self._announce = None
        command = list(container.get("command", []))
        if not command:
            raise self._fail(
                name, start, f"the {phase} has no command (an image entrypoint cannot run here)"
            )
        if Path(command[0]).name in ("python", "python3"):
            command[0] = sys.executable
        context = {"inputs": inputs, "outputs": outputs, "executor_input": executor_input}
        try:
            args = [self._substitute(name, arg, context) for arg in container.get("args", [])]
        except _Unresolvable as exc:
            raise self._fail(name, start, f"{phase} argument: {exc}") from exc
        (task_dir / f"{phase}_input.json").write_text(json.dumps(executor_input, indent=1))
        env = dict(os.environ)
        env.update({e["name"]: e.get("value", "") for e in container.get("env", [])})
        env.update(self.extra_env)
        stdout_path, stderr_path = (
            task_dir / f"{phase}.stdout.log",
            task_dir / f"{phase}.stderr.log",
        )
        with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
            try:
                code = subprocess.run(
                    command + args, stdout=out, stderr=err, env=env, check=False
                ).returncode
            except OSError as exc:
                raise self._fail(name, start, f"{phase} could not start: {exc}") from exc
        if code != 0:
            lines = stderr_path.read_text(errors="replace").rstrip().splitlines()
            tail = "\n".join("    " + line for line in lines[-_STDERR_TAIL_LINES:])
            raise self._fail(
                name,
                start,
                f"{phase} exited with code {code} (full log: {stderr_path}); last lines:\n{tail}",
            )

    def _substitute(self, name: str, arg: str, context: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            return self._placeholder(name, match.group(1), context)

        return _PLACEHOLDER.sub(replace, arg)

    def _placeholder(self, name: str, expr: str, context: dict[str, Any]) -> str:
        """Value of one ``{{$...}}`` placeholder; the subset KFP documents for containers."""
        if expr == "":
            return json.dumps(context["executor_input"])
        simple = {
            ".pipeline_job_name": self.name,
            ".pipeline_job_resource_name": f"{self.name}/{self.run_id}",
            ".pipeline_job_uuid": self.run_id,
            ".pipeline_task_name": name,
            ".pipeline_task_uuid": f"{self.run_id}/{name}",
            ".pipeline_root": str(self.root),
        }
        if expr in simple:
            return simple[expr]
        if expr == ".outputs.output_file" and "outputFile" in context["executor_input"]["outputs"]:
            return context["executor_input"]["outputs"]["outputFile"]
        if match := _ART_REF.match(expr):
            side, key, field_, meta_key = match.groups()
            artifacts = context[side].get(key)
            if artifacts is None:
                raise RunIrError(f"task '{name}': placeholder {{{{${expr}}}}}: no {side} '{key}'")
            if not artifacts:
                raise _Unresolvable(f"{{{{${expr}}}}}: '{key}' has no artifact")
            artifact = artifacts[0]
            if meta_key is not None:
                if meta_key not in artifact.metadata:
                    raise _Unresolvable(f"{{{{${expr}}}}}: no metadata '{meta_key}'")
                value = artifact.metadata[meta_key]
                return value if isinstance(value, str) else json.dumps(value)
            return artifact.uri
        if match := _PARAM_REF.match(expr):
            params = context["executor_input"]["inputs"]["parameterValues"]
            if match.group(1) not in params:
                raise RunIrError(f"task '{name}': placeholder {{{{${expr}}}}}: no such parameter")
            value = params[match.group(1)]
            return value if isinstance(value, str) else json.dumps(value)
        if match := _OUT_PARAM_REF.match(expr):
            files = context["executor_input"]["outputs"]["parameters"]
            if match.group(1) not in files:
                raise RunIrError(f"task '{name}': placeholder {{{{${expr}}}}}: no such output")
            return files[match.group(1)]["outputFile"]
        raise RunIrError(f"task '{name}': placeholder {{{{${expr}}}}} is not supported")

    def _fold_driver_output(
        self,
        name: str,
        path: Path,
        params: dict[str, tuple[Any, str | None]],
        outputs: dict[str, list[_Artifact]],
        start: float,
    ) -> None:
        """What the backend does with a preCacheCheck result: new parameters and output metadata."""
        if not path.is_file():
            raise self._fail(name, start, f"the driver wrote no output file ({path})")
        driver = json.loads(path.read_text())
        for key, value in driver.get("parameterValues", {}).items():
            params[key] = (value, params.get(key, (None, None))[1])
        for key, value in driver.get("parameters", {}).items():
            params[key] = (_from_legacy(value), params.get(key, (None, None))[1])
        for key, listed in driver.get("artifacts", {}).items():
            if key in outputs and listed.get("artifacts"):
                outputs[key][0].metadata.update(listed["artifacts"][0].get("metadata", {}))

    def _read_executor_output(
        self,
        name: str,
        task_dir: Path,
        outputs: dict[str, list[_Artifact]],
        out_param_files: dict[str, str],
        start: float,
    ) -> _TaskOutputs:
        """Merge the executor's reported artifacts (URI, metadata) and parameters."""
        path = task_dir / "executor_output.json"
        reported = json.loads(path.read_text()) if path.is_file() else {}
        result = _TaskOutputs(artifacts={k: list(v) for k, v in outputs.items()})
        for key, listed in reported.get("artifacts", {}).items():
            if key not in outputs:
                continue
            mine = outputs[key][0]
            merged = []
            for item in listed.get("artifacts", []):
                metadata = {**mine.metadata, **item.get("metadata", {})}
                merged.append(
                    _Artifact(mine.name, item.get("uri") or mine.uri, mine.type, metadata)
                )
            result.artifacts[key] = merged or [mine]
        for key, value in reported.get("parameterValues", {}).items():
            result.parameters[key] = value
        for key, value in reported.get("parameters", {}).items():
            result.parameters.setdefault(key, _from_legacy(value))
        for key, file in out_param_files.items():
            if key not in result.parameters and Path(file).is_file():
                result.parameters[key] = Path(file).read_text()
            if key not in result.parameters:
                raise self._fail(name, start, f"the executor did not produce parameter '{key}'")
        return result

    def _cache_key(
        self,
        name: str,
        container: dict[str, Any],
        inputs: dict[str, list[_Artifact]],
        params: dict[str, tuple[Any, str | None]],
    ) -> str:
        component = self._component(name)
        material = {
            "pipeline": self.name,
            "component": {k: v for k, v in component.items() if k != "executorLabel"},
            "container": {k: v for k, v in container.items() if k != "lifecycle"},
            "parameters": {k: v for k, (v, _) in params.items()},
            "inputs": {k: [a.name for a in arts] for k, arts in inputs.items()},
        }
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()

    def _reuse(self, execution: dict[str, Any]) -> _TaskOutputs:
        result = _TaskOutputs(parameters=dict(execution.get("parameters", {})))
        for key, names in execution["outputs"].items():
            result.artifacts[key] = [
                _Artifact(a["name"], a["uri"], a["type"], dict(a["metadata"]))
                for a in map(self.index.artifact, names)
            ]
        return result

    def _register(self, name: str, outputs: _TaskOutputs, cache_key: str | None) -> None:
        """Record outputs in the index so later runs can resolve and reuse them."""
        created = datetime.now(timezone.utc).isoformat()
        records = [
            {
                "name": a.name,
                "uri": a.uri,
                "type": a.type,
                "schema_title": schema_title(a.type),
                "metadata": a.metadata,
                "state": "LIVE",
                "pipeline": self.name,
                "run_id": self.run_id,
                "task": name,
                "output_key": key,
                "create_time": created,
            }
            for key, arts in outputs.artifacts.items()
            for a in arts
        ]
        self.index.add_artifacts(records)
        self.index.add_execution(
            {
                "pipeline": self.name,
                "run_id": self.run_id,
                "task": name,
                "cache_key": cache_key,
                "outputs": {k: [a.name for a in arts] for k, arts in outputs.artifacts.items()},
                "parameters": outputs.parameters,
                "create_time": created,
            }
        )
        self.index.save()

    # ----------------------------------------------------------------- resolver/importer
    def _resolve(
        self,
        name: str,
        resolver: dict[str, Any],
        inputs: dict[str, list[_Artifact]],
        params: dict[str, tuple[Any, str | None]],
    ) -> _TaskOutputs:
        """Each output query picks the latest matching artifact of earlier tasks and runs."""
        definitions = self._component(name).get("outputDefinitions", {}).get("artifacts", {})
        result = _TaskOutputs()
        executor_input = {
            "inputs": {"parameterValues": {k: v for k, (v, _) in params.items()}},
            "outputs": {"parameters": {}},
        }
        context = {"inputs": inputs, "outputs": {}, "executor_input": executor_input}
        for key, query in resolver.get("outputArtifactQueries", {}).items():
            try:
                text = self._substitute(name, query.get("filter", ""), context)
            except _Unresolvable:
                result.artifacts[key] = []  # e.g. no blessed model yet: nothing to look up
                continue
            matches = self.index.query(parse_filter(text))
            artifact_type = definitions.get(key, {}).get("artifactType", {})
            result.artifacts[key] = [
                _Artifact(m["name"], m["uri"], artifact_type, dict(m["metadata"]))
                for m in matches[-1:]
            ]
        return result

    def _import(
        self, name: str, importer: dict[str, Any], params: dict[str, tuple[Any, str | None]]
    ) -> _TaskOutputs:
        source = importer.get("artifactUri", {})
        if "constant" in source:
            uri = source["constant"]
        elif "constantValue" in source:
            uri = _from_legacy(source["constantValue"])
        elif source.get("runtimeParameter") in params:
            uri = params[source["runtimeParameter"]][0]
        else:
            raise RunIrError(f"task '{name}': importer artifactUri {source} is not supported")
        artifact_type = importer.get("typeSchema", {})
        outputs = self._component(name).get("outputDefinitions", {}).get("artifacts", {})
        key = next(iter(outputs), "artifact")
        known = self.index.query(
            [("uri", "=", uri), ("schema_title", "=", schema_title(artifact_type))]
        )
        if known and not importer.get("reimport"):
            a = known[-1]
            artifact = _Artifact(a["name"], a["uri"], artifact_type, dict(a["metadata"]))
        else:
            artifact = _Artifact(
                f"run_ir/{self.name}/{self.run_id}/{name}/{key}",
                str(uri),
                artifact_type,
                dict(importer.get("metadata", {})),
            )
        result = _TaskOutputs(artifacts={key: [artifact]})
        self._register(name, result, None)
        return result


def run_compiled(
    spec_path: Path,
    pipeline_root: str | None = None,
    *,
    progress: Progress = print,
    env: dict[str, str] | None = None,
    enable_cache: bool = True,
) -> IrRunSummary:
    """Run every task of a compiled PipelineJob locally, in DAG order, and summarize the run.

    ``pipeline_root`` defaults to the file's ``runtimeConfig.gcsOutputDirectory`` and must be
    local. ``env`` is added to each task's environment. ``enable_cache=False`` ignores every
    task's ``cachingOptions`` (as submitting with caching disabled does). Raises ``RunIrError``
    (with ``.summary``) naming the task that failed or the construct that is not supported.
    """
    job = load_spec(Path(spec_path))
    root = local_root(pipeline_root, job.get("runtimeConfig", {}).get("gcsOutputDirectory"))
    return _Launcher(job, root, progress, env, enable_cache).run()
