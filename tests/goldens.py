"""Golden-file comparison shared by the IR and PipelineSpec tests."""

from __future__ import annotations

import difflib
import os
from pathlib import Path


def assert_matches_golden(actual: str, golden: Path, what: str) -> None:
    """Compare with a reviewed golden file; TFXKIT_UPDATE_GOLDEN=1 rewrites it instead."""
    if os.environ.get("TFXKIT_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual)
    expected = golden.read_text() if golden.exists() else ""
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True), "golden", "actual", n=2
            )
        )
        raise AssertionError(f"{what} changed (TFXKIT_UPDATE_GOLDEN=1 to accept):\n{diff}")
