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
# The penguin pipeline's components that run an executor (everything but the resolver).
PENGUIN_EXECUTOR_NODES = frozenset(
    {
        "example_gen",
        "statistics_gen",
        "schema_gen",
        "example_validator",
        "transform",
        "trainer",
        "evaluator",
        "pusher",
    }
)


@pytest.fixture
def penguin_overrides(tmp_path: Path) -> list[str]:
    """--set overrides that keep every output of a run under tmp_path."""
    return [f"workspace={tmp_path / 'ws'}", f"data.path={PENGUIN_DATA}"]


def assert_matches_golden(actual: str, golden: Path, what: str) -> None:
    """Compare with a reviewed golden file; TFXKIT_UPDATE_GOLDEN=1 rewrites it instead."""
    import difflib

    if os.environ.get("TFXKIT_UPDATE_GOLDEN"):
        golden.write_text(actual)
    expected = golden.read_text()
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True), "golden", "actual", n=2
            )
        )
        raise AssertionError(f"{what} changed (TFXKIT_UPDATE_GOLDEN=1 to accept):\n{diff}")
