"""Paths and constants the tests share, in one module (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from tfxkit.pipeline.stages.node_ids import STANDARD_EXECUTOR_NODES

REPO = Path(__file__).resolve().parents[1]
PENGUIN_PIPELINE = REPO / "pipelines" / "penguin.py"
PENGUIN_CONFIG = REPO / "configs" / "penguin.yaml"
PENGUIN_DATA = REPO / "src" / "tfxkit" / "data" / "penguins"
GOLDEN_DIR = REPO / "tests" / "golden"
CONFIGS = REPO / "configs"
# The penguin pipeline's components that run an executor (everything but the resolver).
PENGUIN_EXECUTOR_NODES = frozenset(STANDARD_EXECUTOR_NODES)
