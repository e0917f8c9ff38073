"""Labels and rollouts: which version is ``stable`` and which is ``canary``, changed safely.

A push labels its new version (``push.label``: the first version becomes stable, later ones
canary); ``promote`` moves a label to a version and ``rollback`` undoes the last move. Each
change rewrites ``models.config`` atomically under the base's lock and appends to the
model's label history, which is what rollback reads. A label never points at a version that
does not exist or that tfxkit's pusher did not push (it pushes only blessed models): such a
change is refused and nothing is written.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

from tfxkit.config.serving import BatchingSettings
from tfxkit.errors import ServingError
from tfxkit.serving import layout, server_config, storage


@dataclass(frozen=True)
class LabelChange:
    model_name: str
    label: str
    version: int | None  # None: the label was removed
    previous: int | None
    labels: dict[str, int]  # every label of the model after the change

    def describe(self) -> str:
        was = f" (was {self.previous})" if self.previous is not None else ""
        now = f"-> version {self.version}" if self.version is not None else "removed"
        shown = ", ".join(f"{k}={v}" for k, v in sorted(self.labels.items())) or "none"
        return f"{self.model_name}: {self.label} {now}{was}; labels now {shown}"


def _history_path(base: str, model_name: str) -> str:
    return os.path.join(layout.model_dir(base, model_name), layout.LABEL_HISTORY)


def history(base: str, model_name: str) -> list[dict[str, Any]]:
    path = _history_path(base, model_name)
    return json.loads(storage.read_text(path)) if storage.exists(path) else []


def _check_base(base: str) -> None:
    """A rollout command on a mistyped base must not create it (the lock would)."""
    if not storage.isdir(base):
        raise ServingError(
            f"serving base {base} does not exist (pass --base, or push a model first); "
            "nothing changed"
        )


def check_version(base: str, model_name: str, version: int) -> None:
    directory = layout.model_dir(base, model_name)
    present = layout.versions(directory)
    if not present:
        raise ServingError(
            f"model '{model_name}' has no versions under {base} (models there: "
            f"{', '.join(layout.models_in(base)) or 'none'}); push one first"
        )
    if version not in present:
        raise ServingError(
            f"model '{model_name}' has no version {version} under {directory} (versions: "
            f"{', '.join(map(str, present))}); nothing changed"
        )
    if not layout.is_blessed(directory, version):
        raise ServingError(
            f"model '{model_name}' version {version} was not pushed by tfxkit's pusher, which "
            "pushes only models every gate blessed (no record in "
            f"{layout.record_path(directory, version)}); refusing to label it"
        )


def _apply(
    base: str, model_name: str, label: str, version: int | None, action: str, batching: Any
) -> LabelChange:
    """Set (or remove) one label; caller holds the lock and has checked the version."""
    config = server_config.read_models_config(base)
    labels = server_config.labels_of(config, model_name)
    previous = labels.get(label)
    if version is None:
        labels.pop(label, None)
    else:
        labels[label] = version
        if label == "stable" and labels.get("canary") == version:
            labels.pop("canary")  # a promoted canary is the stable version now
    server_config.set_model(config, model_name, labels)
    server_config.write_models_config(base, config)
    if batching is not None or not storage.exists(
        server_config.path_of(base, layout.BATCHING_CONFIG)
    ):
        server_config.write_server_files(base, batching or BatchingSettings())
    entries = history(base, model_name)
    entries.append(
        {
            "label": label,
            "version": version,
            "previous": previous,
            "action": action,
            "at": time.time(),
        }
    )
    storage.write_text_atomic(_history_path(base, model_name), json.dumps(entries, indent=1))
    return LabelChange(model_name, label, version, previous, labels)


def label_new_version(
    base: str, model_name: str, version: int, policy: str = "auto", batching: Any = None
) -> LabelChange | None:
    """Called after a push: label the new version per ``push.label`` and write the configs."""
    with storage.locked(base):
        labels = server_config.labels_of(server_config.read_models_config(base), model_name)
        label = {"auto": "canary" if "stable" in labels else "stable"}.get(policy, policy)
        if label == "none":
            config = server_config.read_models_config(base)
            server_config.set_model(config, model_name, labels)
            server_config.write_models_config(base, config)
            server_config.write_server_files(base, batching or BatchingSettings())
            return None
        if version in labels.values():
            return None  # this version is labelled already (the same model pushed again)
        return _apply(base, model_name, label, version, "push", batching)


def promote(base: str, model_name: str, version: int, label: str) -> LabelChange:
    if label not in layout.LABELS:
        raise ServingError(f"--label must be one of {', '.join(layout.LABELS)}, not '{label}'")
    _check_base(base)
    with storage.locked(base):
        check_version(base, model_name, version)
        return _apply(base, model_name, label, version, "promote", None)


def rollback(base: str, model_name: str, label: str = "stable") -> LabelChange:
    """canary: drop the canary label (all traffic back on stable). stable: move stable back to
    the version it pointed at before, if that version still exists and is blessed."""
    if label not in layout.LABELS:
        raise ServingError(f"--label must be one of {', '.join(layout.LABELS)}, not '{label}'")
    _check_base(base)
    with storage.locked(base):
        labels = server_config.labels_of(server_config.read_models_config(base), model_name)
        current = labels.get(label)
        if current is None:
            raise ServingError(
                f"model '{model_name}' has no '{label}' label in "
                f"{server_config.path_of(base, layout.MODELS_CONFIG)}: nothing to roll back"
            )
        if label == "canary":
            return _apply(base, model_name, "canary", None, "rollback", None)
        directory = layout.model_dir(base, model_name)
        present = set(layout.versions(directory))
        earlier = [
            e["version"]
            for e in history(base, model_name)
            if e["label"] == "stable" and e["version"] not in (None, current)
        ]
        for version in reversed(earlier):
            if version in present and layout.is_blessed(directory, version):
                return _apply(base, model_name, "stable", version, "rollback", None)
        raise ServingError(
            f"model '{model_name}': stable is version {current} and no earlier stable version "
            "still exists; promote a version explicitly instead"
        )


def describe_model(base: str, model_name: str) -> list[str]:
    """Lines for ``tfxkit serving status``: versions, blessing, labels."""
    directory = layout.model_dir(base, model_name)
    labels = server_config.labels_of(server_config.read_models_config(base), model_name)
    by_version: dict[int, list[str]] = {}
    for label, version in labels.items():
        by_version.setdefault(version, []).append(label)
    lines = [f"{model_name} ({directory})"]
    for version in layout.versions(directory):
        blessed = "blessed" if layout.is_blessed(directory, version) else "not pushed by tfxkit"
        tags = ", ".join(sorted(by_version.get(version, [])))
        lines.append(f"  {version}: {blessed}" + (f"  [{tags}]" if tags else ""))
    return lines
