"""The hand-off to TF Serving: model layout, server config, rollouts, client, local server.

``Client`` is the public entry point here (imported lazily: the package's config and rollout
modules must load without ``requests`` or TensorFlow).
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("Client", "ServingRequestError"):
        from tfxkit.serving import client

        return getattr(client, name)
    raise AttributeError(name)
