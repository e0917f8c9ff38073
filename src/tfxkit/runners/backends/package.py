"""Read a compiled pipeline package once, the same way for every backend.

``runners.kubeflow`` writes either TFX's ``PipelineJob`` JSON (``displayName``, ``labels``,
``pipelineSpec``, ``runtimeConfig``) or a bare ``PipelineSpec`` YAML. Both backends take either
file, but need different parts of it: KFP uploads the bare spec and passes the runtime config
on each run; Vertex sends the file as is and merges its labels. The package is checked here,
before anything is sent, so a wrong file fails with a message naming it, not as an API error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tfxkit.runners.backends.base import one_paragraph

# What a compiled PipelineSpec always has (pipeline_spec.proto, as TFX and kfp write it).
_REQUIRED = ("pipelineInfo", "root", "deploymentSpec", "components", "schemaVersion")


class PackageError(ValueError):
    """The file is not a compiled pipeline; adapters add where and what to the message."""


@dataclass(frozen=True)
class Package:
    """A compiled pipeline read from disk, split into the spec and what each run gets."""

    path: Path
    raw: bytes
    spec: dict[str, Any]  # the bare PipelineSpec
    extra_docs: list[dict[str, Any]] = field(default_factory=list)  # e.g. a PlatformSpec
    labels: dict[str, str] = field(default_factory=dict)  # the PipelineJob's own labels
    pipeline_root: str | None = None  # runtimeConfig.gcsOutputDirectory
    parameters: dict[str, Any] = field(default_factory=dict)  # runtimeConfig values

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def load_package(path: Path) -> Package:
    """Read and check a PipelineJob JSON or a bare PipelineSpec (JSON or YAML)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PackageError(
            f"cannot read the compiled package {path}: {exc.strerror or exc}. Compile it first "
            "(`--compile-only`)."
        ) from exc
    return parse_package(path, raw)


def parse_package(path: Path, raw: bytes) -> Package:
    """The package in ``raw`` (read from ``path``), or a :class:`PackageError` saying why not."""
    try:
        docs = [d for d in yaml.safe_load_all(raw.decode("utf-8")) if d is not None]
    except (UnicodeDecodeError, yaml.YAMLError) as exc:  # JSON is YAML: one parser for both
        raise _not_a_package(
            path, f"it is neither JSON nor YAML ({one_paragraph(exc, 200)})"
        ) from exc
    first = docs[0] if docs else None
    if not isinstance(first, dict):
        raise _not_a_package(path, "it is not a JSON/YAML object")
    wrapped = "pipelineSpec" in first
    spec = first["pipelineSpec"] if wrapped else first
    if not isinstance(spec, dict):
        raise _not_a_package(path, "pipelineSpec is not an object")
    if not wrapped and not any(key in spec for key in _REQUIRED):
        raise _not_a_package(path, "it has no pipelineSpec and is not a bare PipelineSpec either")
    missing = [key for key in _REQUIRED if key not in spec]
    if not missing and not (spec.get("pipelineInfo") or {}).get("name"):
        missing.append("pipelineInfo.name")
    if not missing and not isinstance(spec.get("root"), dict):
        missing.append("root (an object)")
    if wrapped and not isinstance(first.get("runtimeConfig"), dict):
        missing.append("runtimeConfig (top level)")
    if missing:
        raise _not_a_package(path, f"the pipeline spec lacks {', '.join(missing)}")
    if not wrapped:
        return Package(path, raw, spec, extra_docs=[d for d in docs[1:] if isinstance(d, dict)])
    runtime = first["runtimeConfig"]
    parameters = dict(runtime.get("parameterValues") or {})
    for name, value in (runtime.get("parameters") or {}).items():  # legacy typed values
        if isinstance(value, dict) and len(value) == 1:
            parameters.setdefault(name, next(iter(value.values())))
    return Package(
        path,
        raw,
        spec,
        labels={str(k): str(v) for k, v in (first.get("labels") or {}).items()},
        pipeline_root=runtime.get("gcsOutputDirectory") or None,
        parameters=parameters,
    )


def _not_a_package(path: Path, problem: str) -> PackageError:
    return PackageError(
        f"{path} is not a compiled pipeline package: {problem}. Pass the file the compile step "
        "wrote (`--compile-only`): a PipelineJob JSON or a bare PipelineSpec YAML."
    )
