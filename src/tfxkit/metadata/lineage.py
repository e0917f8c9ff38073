"""Lineage in ML Metadata: what produced an artifact (upstream) and what was made from it
(downstream), execution by execution.

Why: "which data, config and code made the model now serving?" and "which models were trained
on this span?" are the first questions after an incident. TFX records every execution's input
and output events; this walks them from a pushed version, a model or a data span, and keeps what
a person needs at each step: the node, its run (and that run's config hash), whether it ran or
was cached, its code fingerprint, and the artifacts' URIs and key properties (span, the data's
content fingerprint, the pushed version, blessings).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from tfxkit.metadata.run_history import CONFIG_HASH_PROPERTY

Event = metadata_store_pb2.Event
_OUT = (Event.OUTPUT, Event.DECLARED_OUTPUT)
# Artifact properties worth a person's eye (others are TFX bookkeeping).
_ARTIFACT_KEYS = (
    "span",
    "version",
    "split_names",
    "pushed_version",
    "pushed_destination",
    "blessed",
    "passed",
    "reason",
    "optimization",
    "content_digest",
)
# Execution properties that say what code and data a step used.
_EXECUTION_KEYS = ("input_base", "input_fingerprint", "span", "code_fingerprint", "run_fn")


@dataclass
class ArtifactInfo:
    id: int
    type: str
    uri: str
    properties: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.properties.items() if k != "reason")
        return f"{self.type} #{self.id} {self.uri}" + (f" ({shown})" if shown else "")


@dataclass
class Step:
    """One execution on the path: a node of one run, with what it read and wrote."""

    execution_id: int
    node_id: str
    run_id: str
    state: str
    config_hash: str | None
    properties: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, list[ArtifactInfo]] = field(default_factory=dict)
    outputs: dict[str, list[ArtifactInfo]] = field(default_factory=dict)


class Graph:
    """Cached reads of one store (a walk visits the same contexts and types many times)."""

    def __init__(self, store: metadata_store.MetadataStore, pipeline_name: str) -> None:
        self.store, self.pipeline = store, pipeline_name
        self._types = {t.id: t.name for t in store.get_artifact_types()}
        self._context_types = {t.id: t.name for t in store.get_context_types()}

    def artifact(self, artifact_id: int) -> ArtifactInfo:
        [found] = self.store.get_artifacts_by_id([artifact_id])
        props = {
            k: _plain(found.custom_properties.get(k) or found.properties.get(k))
            for k in _ARTIFACT_KEYS
            if k in found.custom_properties or k in found.properties
        }
        return ArtifactInfo(found.id, self._types.get(found.type_id, "?"), found.uri, props)

    def step(self, execution_id: int) -> Step:
        [execution] = self.store.get_executions_by_id([execution_id])
        node, run, config_hash = "?", "?", None
        prefix = f"{self.pipeline}."
        for context in self.store.get_contexts_by_execution(execution_id):
            kind = self._context_types.get(context.type_id)
            if kind == "node" and context.name.startswith(prefix):
                node = context.name[len(prefix) :]
            elif kind == "pipeline_run":
                run = context.name
                value = context.custom_properties.get(CONFIG_HASH_PROPERTY)
                config_hash = value.string_value if value is not None else None
        props = {}
        for key in _EXECUTION_KEYS:
            value = execution.custom_properties.get(key) or execution.properties.get(key)
            if value is not None:
                props[key] = _plain(value)
        custom = execution.custom_properties.get("custom_config")
        if custom is not None and "code_fingerprint" not in props:
            try:
                fingerprint = json.loads(custom.string_value).get("code_fingerprint")
            except (ValueError, AttributeError):
                fingerprint = None
            if fingerprint:
                props["code_fingerprint"] = fingerprint
        state = metadata_store_pb2.Execution.State.Name(execution.last_known_state)
        step = Step(execution_id, node, run, state, config_hash, props)
        for event in self.store.get_events_by_execution_ids([execution_id]):
            key = next((s.key for s in event.path.steps if s.HasField("key")), "?")
            target = step.outputs if event.type in _OUT else step.inputs
            if event.type in _OUT or event.type == Event.INPUT:
                target.setdefault(key, []).append(self.artifact(event.artifact_id))
        return step

    def producers(self, artifact_id: int) -> list[int]:
        events = self.store.get_events_by_artifact_ids([artifact_id])
        return sorted({e.execution_id for e in events if e.type in _OUT})

    def consumers(self, artifact_id: int) -> list[int]:
        events = self.store.get_events_by_artifact_ids([artifact_id])
        return sorted({e.execution_id for e in events if e.type == Event.INPUT})

    def upstream(self, artifact_id: int) -> list[Step]:
        """Every execution that led to the artifact, nearest first (first producer only: a
        cached execution re-records the outputs of the one that made them)."""
        return self._walk([artifact_id], lambda a: self.producers(a)[:1], "inputs")

    def downstream(self, artifact_id: int) -> list[Step]:
        """Every execution that read the artifact or something made from it, in order."""
        steps = self._walk([artifact_id], self.consumers, "outputs")
        return sorted(steps, key=lambda s: s.execution_id)

    def _walk(self, start: list[int], next_executions: Any, follow: str) -> list[Step]:
        seen_artifacts, seen_executions = set(start), set()
        queue, steps = list(start), []
        while queue:
            artifact_id = queue.pop(0)
            for execution_id in next_executions(artifact_id):
                if execution_id in seen_executions:
                    continue
                seen_executions.add(execution_id)
                step = self.step(execution_id)
                steps.append(step)
                for artifacts in getattr(step, follow).values():
                    for artifact in artifacts:
                        if artifact.id not in seen_artifacts:
                            seen_artifacts.add(artifact.id)
                            queue.append(artifact.id)
        return steps

    def blessings_of(self, model_id: int) -> list[tuple[str, str, ArtifactInfo]]:
        """Every gate's verdict on a model, in every run that judged it (a cached model is
        judged again, e.g. under a new threshold): (node, run, blessing) for ModelBlessing /
        InfraBlessing artifacts whose ``current_model_id`` is the model."""
        found = []
        for type_name in ("ModelBlessing", "InfraBlessing"):
            for artifact in self.store.get_artifacts_by_type(type_name):
                value = artifact.custom_properties.get("current_model_id")
                if value is not None and value.int_value == model_id:
                    producers = self.producers(artifact.id)
                    step = self.step(producers[0]) if producers else None
                    node, run = (step.node_id, step.run_id) if step else ("?", "?")
                    found.append((node, run, self.artifact(artifact.id)))
        return found

    def pushed_version(self, version: int, destination: str) -> int | None:
        """The PushedModel artifact that recorded ``version`` under ``destination``."""
        best = None
        for artifact in self.store.get_artifacts_by_type("PushedModel"):
            props = artifact.custom_properties
            if props.get("pushed_version") is None:
                continue
            if props["pushed_version"].string_value != str(version):
                continue
            where = props.get("pushed_destination")
            if where is not None and _normal(where.string_value).startswith(_normal(destination)):
                best = artifact.id if best is None else min(best, artifact.id)
        return best

    def artifact_by_uri(self, uri: str, type_name: str) -> int | None:
        """The artifact at ``uri``; a local path matches however it is spelled (relative to the
        working directory or absolute, as runs record what the config said)."""
        wanted = _normal(uri)
        for artifact in self.store.get_artifacts_by_type(type_name):
            if _normal(artifact.uri) == wanted:
                return artifact.id
        return None

    def examples_of_span(self, span: int) -> list[int]:
        """The Examples artifacts an ExampleGen of this pipeline made for ``span``."""
        found = []
        for artifact in self.store.get_artifacts_by_type("Examples"):
            value = artifact.custom_properties.get("span") or artifact.properties.get("span")
            if value is None or _plain(value) != span:
                continue
            producers = self.producers(artifact.id)
            if producers and self.step(producers[0]).node_id.endswith("example_gen"):
                found.append(artifact.id)
        return found


def _normal(uri: str) -> str:
    import os

    uri = uri.rstrip("/")
    return uri if "://" in uri else os.path.realpath(uri)


def _plain(value: Any) -> Any:
    """An MLMD value as Python: structs (TFX's per-split flags) as a dict."""
    if value is None:
        return None
    kind = value.WhichOneof("value")
    if kind == "struct_value":
        from google.protobuf import json_format

        return json_format.MessageToDict(value.struct_value)
    if kind == "proto_value":
        return None  # a packed proto: nothing a person reads
    return getattr(value, kind) if kind else None
