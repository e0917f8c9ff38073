"""The files TF Serving reads at the root of a serving base, generated and validated.

* ``models.config``: a ``ModelServerConfig`` (text format) with one entry per model; its
  version policy loads exactly the labelled versions (``stable``, ``canary``), or the latest
  one when no label is set, and ``version_labels`` maps each label to its version. This file
  is the record of which label points where; rollout commands rewrite it atomically.
* ``batching_parameters.txt``: ``BatchingParameters`` for ``--enable_batching``.
* ``monitoring.config``: ``MonitoringConfig`` turning on Prometheus metrics at
  ``/monitoring/prometheus/metrics`` on the REST port.

Every file is parsed back with TF Serving's messages before tfxkit calls it valid.
"""

from __future__ import annotations

import os
from typing import Any

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from tfxkit.serving import layout, storage
from tfxkit.serving.protos import BatchingParameters, MonitoringConfig

ModelServerConfig = model_server_config_pb2.ModelServerConfig


def path_of(base: str, name: str) -> str:
    return os.path.join(base, name)


def read_models_config(base: str) -> Any:
    """The base's ``ModelServerConfig`` (empty when the file does not exist yet)."""
    config = ModelServerConfig()
    path = path_of(base, layout.MODELS_CONFIG)
    if storage.exists(path):
        text_format.Parse(storage.read_text(path), config)
    return config


def find_model(config: Any, model_name: str) -> Any | None:
    for entry in config.model_config_list.config:
        if entry.name == model_name:
            return entry
    return None


def labels_of(config: Any, model_name: str) -> dict[str, int]:
    entry = find_model(config, model_name)
    return dict(entry.version_labels) if entry is not None else {}


def set_model(
    config: Any,
    model_name: str,
    labels: dict[str, int],
    container_base: str = layout.CONTAINER_BASE,
) -> None:
    """Insert or update one model's entry: its path in the container, policy and labels."""
    entry = find_model(config, model_name)
    if entry is None:
        entry = config.model_config_list.config.add()
        entry.name = model_name
    entry.base_path = (
        f"{container_base.rstrip('/')}/{layout.check_model_name(model_name, 'model name')}"
    )
    entry.model_platform = "tensorflow"
    entry.ClearField("model_version_policy")
    entry.version_labels.clear()
    if labels:
        entry.model_version_policy.specific.versions.extend(sorted(set(labels.values())))
        for label, version in sorted(labels.items()):
            entry.version_labels[label] = version
    else:
        entry.model_version_policy.latest.num_versions = 1


def models_config_text(config: Any) -> str:
    header = "# Written by tfxkit (push, serving promote/rollback); TF Serving ModelServerConfig.\n"
    return header + text_format.MessageToString(config)


def batching_text(settings: Any) -> str:
    """``settings``: a ``BatchingSettings`` (or anything with its attributes)."""
    params = BatchingParameters()
    params.max_batch_size.value = settings.max_batch_size
    params.batch_timeout_micros.value = settings.batch_timeout_micros
    params.num_batch_threads.value = settings.num_batch_threads
    params.max_enqueued_batches.value = settings.max_enqueued_batches
    params.allowed_batch_sizes.extend(settings.allowed_batch_sizes)
    return text_format.MessageToString(params)


def monitoring_text() -> str:
    config = MonitoringConfig()
    config.prometheus_config.enable = True
    config.prometheus_config.path = layout.PROMETHEUS_PATH
    return text_format.MessageToString(config)


def write_models_config(base: str, config: Any) -> None:
    storage.write_text_atomic(path_of(base, layout.MODELS_CONFIG), models_config_text(config))


def write_server_files(base: str, batching: Any) -> None:
    """Batching and monitoring files (models.config is written by the label changes)."""
    storage.write_text_atomic(path_of(base, layout.BATCHING_CONFIG), batching_text(batching))
    storage.write_text_atomic(path_of(base, layout.MONITORING_CONFIG), monitoring_text())


def validate_base(base: str) -> list[str]:
    """Problems with the base's server files; empty when TF Serving would accept them.

    Each file must parse with its TF Serving message; every label must point at a version
    the policy loads and that exists on disk (TF Serving would otherwise wait forever).
    """
    problems: list[str] = []
    messages = {
        layout.MODELS_CONFIG: ModelServerConfig,
        layout.BATCHING_CONFIG: BatchingParameters,
        layout.MONITORING_CONFIG: MonitoringConfig,
    }
    parsed: dict[str, Any] = {}
    for name, message in messages.items():
        path = path_of(base, name)
        if not storage.exists(path):
            problems.append(f"{path}: missing")
            continue
        try:
            parsed[name] = text_format.Parse(storage.read_text(path), message())
        except text_format.ParseError as exc:
            problems.append(f"{path}: {exc}")
    config = parsed.get(layout.MODELS_CONFIG)
    for entry in config.model_config_list.config if config is not None else []:
        unsafe = _unsafe_entry(entry)
        if unsafe:
            problems.append(f"model '{entry.name}': {unsafe}")
            continue
        on_disk = set(layout.versions(layout.model_dir(base, entry.name)))
        if not on_disk:
            problems.append(f"model '{entry.name}': no versions under {base}/{entry.name}")
        loaded = set(entry.model_version_policy.specific.versions)
        for label, version in entry.version_labels.items():
            if version not in on_disk:
                problems.append(f"model '{entry.name}': label {label} -> missing version {version}")
            if entry.model_version_policy.HasField("specific") and version not in loaded:
                problems.append(
                    f"model '{entry.name}': label {label} -> version {version} is not loaded"
                )
    return problems


def _unsafe_entry(entry: Any) -> str:
    """Why a models.config entry must not be served (a hand-edited or planted one), or ''."""
    if not layout.MODEL_NAME.match(entry.name):
        return "not a usable model name: its path could leave the serving base"
    parts = entry.base_path.rstrip("/").split("/")
    if ".." in parts or parts[-1] != entry.name:
        return f"base_path {entry.base_path} is not <serving base>/{entry.name}"
    return ""
