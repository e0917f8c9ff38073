"""Where served models live: ``<base>/<model_name>/<version>/`` plus the server's config files.

One base holds several models and is what one TF Serving process (or ``tfxkit serve``) is
pointed at; inside a container the base is mounted at ``/models`` (the official image's
``MODEL_BASE_PATH``), so the generated ``models.config`` names ``/models/<model_name>``.
Versions are the numeric children of a model directory (TF Serving ignores everything else,
which is why tfxkit's own bookkeeping lives in dot-directories beside them).
"""

from __future__ import annotations

import json
import os
import re

from tfxkit.config.types import MODEL_NAME_PATTERN, MODEL_NAME_RULE
from tfxkit.errors import ServingError
from tfxkit.serving import storage

RECORDS_DIR = ".tfxkit-pushes"  # <model dir>/.tfxkit-pushes/<version>.json: what was pushed
LABEL_HISTORY = ".tfxkit-labels.json"  # <model dir>/: every label change, for rollback
MODELS_CONFIG = "models.config"
BATCHING_CONFIG = "batching_parameters.txt"
MONITORING_CONFIG = "monitoring.config"
CONTAINER_BASE = "/models"
PROMETHEUS_PATH = "/monitoring/prometheus/metrics"
LABELS = ("stable", "canary")

# TF Serving accepts any name that is a path segment; tfxkit also keeps it URL- and label-safe
# (one rule, in tfxkit.config.types, shared with the config's push.model_name).
MODEL_NAME = re.compile(MODEL_NAME_PATTERN)


def check_model_name(name: str, where: str = "push.model_name") -> str:
    if not MODEL_NAME.match(name):
        raise ServingError(
            f"{where}: '{name}' is not a usable model name ({MODEL_NAME_RULE}): it becomes a "
            "directory, a URL path segment (/v1/models/<name>) and a Kubernetes name"
        )
    return name


def model_dir(base: str, model_name: str) -> str:
    """The model's directory under the base; the name is checked first, so no command can form
    a path outside the base (``promote ../../evil`` is refused, not written into the config)."""
    return os.path.join(base, check_model_name(model_name, "model name"))


def versions(model_directory: str) -> list[int]:
    """Numeric children of a model directory (what TF Serving would load), ascending."""
    return sorted(int(n) for n in storage.listdir(model_directory) if n.isdigit())


def models_in(base: str) -> list[str]:
    """Model directories under a base: children that hold at least one numeric version."""
    return [
        name
        for name in storage.listdir(base)
        if not name.startswith(".")
        and storage.isdir(os.path.join(base, name))
        and versions(os.path.join(base, name))
    ]


def record_path(model_directory: str, version: int) -> str:
    return os.path.join(model_directory, RECORDS_DIR, f"{version}.json")


def push_record(model_directory: str, version: int) -> dict | None:
    """The pusher's record of a version (None when the version was not pushed by tfxkit)."""
    path = record_path(model_directory, version)
    if not storage.exists(path):
        return None
    return json.loads(storage.read_text(path))


def is_blessed(model_directory: str, version: int) -> bool:
    """tfxkit's pusher writes a record only for a model every gate blessed."""
    record = push_record(model_directory, version)
    return bool(record) and record.get("blessed", True) is True
