"""Remote backends: one adapter per orchestrator behind one interface (``base.RemoteBackend``).

Each adapter module (a "flavor") exposes ``from_profile(profile, connection
credentials)`` and is imported only when a profile asks for it, so the CLI never loads the
Vertex SDK for a Kubeflow run or ``kfp`` for a Vertex one. Adding an orchestrator means one
module and its line in ``tfxkit.runners.registry.RUNNERS``.
"""

from __future__ import annotations

import importlib
from typing import Any

from tfxkit.config.profiles import RunnerProfile
from tfxkit.errors import ConfigError
from tfxkit.runners import registry
from tfxkit.runners.backends.base import Connection, RemoteBackend


def get_backend(
    profile: RunnerProfile,
    *,
    host: str | None = None,
    endpoint: str | None = None,
    credentials: Any = None,
) -> RemoteBackend:
    """The backend for ``profile.runner``: ``host`` is KFP's API URL (overrides the profile's),
    ``endpoint`` and ``credentials`` are Vertex's (default: Google's endpoint and ADC)."""
    module_name = registry.entry(profile.runner).backend
    if module_name is None:
        known = ", ".join(registry.remote_runner_names())
        raise ConfigError(f"runner '{profile.runner}' has no remote backend (known: {known})")
    module = importlib.import_module(module_name)
    return module.from_profile(profile, Connection(host, endpoint, credentials))


__all__ = ["RemoteBackend", "get_backend"]
