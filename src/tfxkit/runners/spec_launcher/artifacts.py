"""Artifacts handed between tasks, and the index of earlier runs' artifacts and executions.

Why this exists: a KFP or Vertex backend keeps artifacts in ML Metadata, where resolver tasks
query them and the cache finds earlier executions. Here a JSON file under the pipeline root
(``.run_ir/index.json``) stands in for it, with the AND-only subset of the Vertex ML Metadata
list filter that TFX's resolvers emit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tfxkit.runners.spec_launcher.errors import RunIrError
from tfxkit.runners.spec_launcher.spec import schema_title

INDEX_DIR = ".run_ir"
INDEX_FILE = "index.json"

Clause = tuple[str, str, Any]

_CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(!=|=)\s*(.+?)\s*$")
_FILTER_FIELDS = ("schema_title", "state", "name", "uri", "display_name")


@dataclass
class Artifact:
    """One runtime artifact as an ExecutorInput carries it."""

    name: str
    uri: str
    type: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)

    def runtime(self) -> dict[str, Any]:
        """The form an ExecutorInput lists it in."""
        return {"name": self.name, "type": self.type, "uri": self.uri, "metadata": self.metadata}

    def public(self) -> dict[str, Any]:
        """The form the run summary and trigger conditions see."""
        return {"name": self.name, "uri": self.uri, "metadata": self.metadata}


Artifacts = dict[str, list[Artifact]]


@dataclass
class TaskOutputs:
    """What one task produced (or reused): artifacts and parameters by output key."""

    artifacts: Artifacts = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False


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

    def query(self, clauses: list[Clause]) -> list[dict[str, Any]]:
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

    def reuse(self, execution: dict[str, Any]) -> TaskOutputs:
        """The outputs of an earlier (cached) execution, as if the task had just produced them."""
        result = TaskOutputs(parameters=dict(execution.get("parameters", {})))
        for key, names in execution["outputs"].items():
            result.artifacts[key] = [
                Artifact(a["name"], a["uri"], a["type"], dict(a["metadata"]))
                for a in map(self.artifact, names)
            ]
        return result

    def register(
        self,
        pipeline: str,
        run_id: str,
        task: str,
        outputs: TaskOutputs,
        cache_key: str | None,
    ) -> None:
        """Record a task's outputs and save, so later runs can resolve and reuse them."""
        created = datetime.now(timezone.utc).isoformat()
        records = [
            {
                "name": a.name,
                "uri": a.uri,
                "type": a.type,
                "schema_title": schema_title(a.type),
                "metadata": a.metadata,
                "state": "LIVE",
                "pipeline": pipeline,
                "run_id": run_id,
                "task": task,
                "output_key": key,
                "create_time": created,
            }
            for key, arts in outputs.artifacts.items()
            for a in arts
        ]
        self.add_artifacts(records)
        self.add_execution(
            {
                "pipeline": pipeline,
                "run_id": run_id,
                "task": task,
                "cache_key": cache_key,
                "outputs": {k: [a.name for a in arts] for k, arts in outputs.artifacts.items()},
                "parameters": outputs.parameters,
                "create_time": created,
            }
        )
        self.save()


def parse_filter(text: str) -> list[Clause]:
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
            key in _FILTER_FIELDS
            or re.fullmatch(r"metadata\.[\w-]+(\.(number|string|bool)_value)?", key)
        ):
            raise RunIrError(f"resolver filter field {key!r} (in {text!r}) is not supported")
        clauses.append((key, op, value))
    return clauses


def _match(artifact: dict[str, Any], clause: Clause) -> bool:
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
