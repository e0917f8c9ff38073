"""Shared fixtures: the repo's paths and a penguin config pointed at a temporary workspace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
PENGUIN_PIPELINE = REPO / "pipelines" / "penguin.py"
PENGUIN_CONFIG = REPO / "configs" / "penguin.yaml"
PENGUIN_DATA = REPO / "src" / "tfxkit" / "data" / "penguins"


@pytest.fixture
def penguin_overrides(tmp_path: Path) -> list[str]:
    """--set overrides that keep every output of a run under tmp_path."""
    return [f"workspace={tmp_path / 'ws'}", f"data.path={PENGUIN_DATA}"]
