"""The models an embedded server holds: which versions of which models are loaded, and labels.

Mirrors what TF Serving does with a base and its ``models.config``: each model's version
policy says which versions to load (the labelled ones, or the latest), labels resolve to
versions, and a poll picks up new versions and config edits without a restart. A version is
served only once fully loaded; a version that fails to load is reported as such, never
half-served.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

from tfxkit.serving import custom_ops, layout, server_config, storage


class RequestError(Exception):
    """A request TF Serving would refuse; ``code`` is the gRPC status name."""

    http_status = {
        "INVALID_ARGUMENT": 400,
        "FAILED_PRECONDITION": 400,
        "NOT_FOUND": 404,
        "UNAVAILABLE": 503,
        "INTERNAL": 500,
        "UNIMPLEMENTED": 501,
    }

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return self.http_status.get(self.code, 500)


@dataclass
class LoadedVersion:
    version: int
    path: str
    state: str = "LOADING"  # LOADING, AVAILABLE, END (failed or unloaded)
    error: str = ""
    saved_model: Any = None  # tf.saved_model.load(...) result
    signature_defs: Any = None  # {name: SignatureDef proto}, read from saved_model.pb


@dataclass
class ServedModel:
    name: str
    versions: dict[int, LoadedVersion] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)


def _read_signature_defs(path: str) -> dict[str, Any]:
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as handle:
        proto.ParseFromString(handle.read())
    return dict(proto.meta_graphs[0].signature_def)


def desired_versions(base: str) -> dict[str, tuple[list[int], dict[str, int]]]:
    """model name -> (versions to load, labels), from models.config or, without one, the
    latest version of every model directory (TF Serving's default policy)."""
    config = server_config.read_models_config(base)
    wanted: dict[str, tuple[list[int], dict[str, int]]] = {}
    entries = list(config.model_config_list.config)
    if not entries:
        for name in layout.models_in(base):
            wanted[name] = ([layout.versions(layout.model_dir(base, name))[-1]], {})
        return wanted
    for entry in entries:
        on_disk = layout.versions(layout.model_dir(base, entry.name))
        policy = entry.model_version_policy
        if policy.HasField("specific"):
            chosen = [v for v in policy.specific.versions if v in on_disk]
        elif policy.HasField("all"):
            chosen = on_disk
        else:
            count = policy.latest.num_versions or 1
            chosen = on_disk[-count:]
        wanted[entry.name] = (chosen, dict(entry.version_labels))
    return wanted


class ModelStore:
    """Thread-safe view of what is served; ``refresh`` brings it in line with the base."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._models: dict[str, ServedModel] = {}
        self._lock = threading.Lock()

    def refresh(self) -> list[str]:
        """Load new versions, drop unwanted ones, update labels; returns what changed."""
        changes: list[str] = []
        wanted = desired_versions(self.base)
        for name, (versions, labels) in wanted.items():
            with self._lock:
                model = self._models.setdefault(name, ServedModel(name))
                missing = [v for v in versions if v not in model.versions]
            for version in missing:
                changes.append(self._load(model, version))
            with self._lock:
                for version in [v for v in model.versions if v not in versions]:
                    del model.versions[version]
                    changes.append(f"{name}: unloaded version {version}")
                if labels != model.labels:
                    changes.append(f"{name}: labels {labels}")
                model.labels = labels
        with self._lock:
            for name in [n for n in self._models if n not in wanted]:
                del self._models[name]
                changes.append(f"{name}: removed")
        return changes

    def _load(self, model: ServedModel, version: int) -> str:
        import tensorflow as tf

        path = os.path.join(layout.model_dir(self.base, model.name), str(version))
        loaded = LoadedVersion(version, path)
        try:
            loaded.signature_defs = _read_signature_defs(path)
            custom_ops.register_for(path)  # tensorflow-text's ops, for a text model
            loaded.saved_model = tf.saved_model.load(path)
            loaded.state = "AVAILABLE"
            message = f"{model.name}: loaded version {version}"
        except Exception as exc:  # noqa: BLE001 - a bad version is reported, not fatal
            loaded.state, loaded.error = "END", f"{type(exc).__name__}: {exc}"
            message = f"{model.name}: version {version} failed to load: {loaded.error}"
        with self._lock:
            model.versions[version] = loaded
        return message

    def model_names(self) -> list[str]:
        with self._lock:
            return sorted(self._models)

    def status(self, name: str, version: int | None = None, label: str | None = None) -> list:
        with self._lock:
            model = self._models.get(name)
            if model is None or not model.versions:
                raise RequestError("NOT_FOUND", f"Could not find any versions of model {name}")
            if label is not None:
                version = self._label_version(model, label)
            if version is not None:
                if version not in model.versions:
                    raise RequestError(
                        "NOT_FOUND", f"Could not find version {version} of model {name}"
                    )
                return [model.versions[version]]
            return [model.versions[v] for v in sorted(model.versions, reverse=True)]

    @staticmethod
    def _label_version(model: ServedModel, label: str) -> int:
        if label not in model.labels:
            raise RequestError("INVALID_ARGUMENT", f"Unrecognized servable version label: {label}")
        return model.labels[label]

    def get(self, name: str, version: int | None = None, label: str | None = None):
        """The loaded version a request names (latest available when it names none)."""
        with self._lock:
            model = self._models.get(name)
            spec = (
                f"Specific({name}, {version})"
                if version is not None
                else f"Label({name}, {label})"
                if label is not None
                else f"Latest({name})"
            )
            if model is None:
                raise RequestError("NOT_FOUND", f"Servable not found for request: {spec}")
            if label is not None:
                version = self._label_version(model, label)
            if version is None:
                available = [v for v, lv in model.versions.items() if lv.state == "AVAILABLE"]
                if not available:
                    raise RequestError("NOT_FOUND", f"Servable not found for request: {spec}")
                version = max(available)
            loaded = model.versions.get(version)
            if loaded is None or loaded.state != "AVAILABLE":
                raise RequestError("NOT_FOUND", f"Servable not found for request: {spec}")
            return loaded


def base_exists(base: str) -> bool:
    return storage.isdir(base)
