"""Shared fixtures. Paths live in tests/paths.py; no test module imports another's fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tests.paths import PENGUIN_DATA  # noqa: E402


@pytest.fixture
def penguin_overrides(tmp_path: Path) -> list[str]:
    """--set overrides that keep every output of a run under tmp_path."""
    return [f"workspace={tmp_path / 'ws'}", f"data.path={PENGUIN_DATA}"]
