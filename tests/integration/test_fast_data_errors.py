"""Data mistakes are reported before TensorFlow or TFX load (issue 22 #7: they took 31-35 s,
config mistakes 0.7 s): a wrong label name, a missing column and a missing path each exit 2
with their one paragraph, and ``-X importtime`` lists no tensorflow, tfx or apache_beam."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.paths import PENGUIN_DATA
from tests.pipeline_runs import run_pipeline

CASES = {
    "wrong label name": (["--set", "label.name=Species"], "did you mean 'species'"),
    "missing column": (
        ["--set", "features.0.name=bill_lenght_mm"],
        "did you mean 'bill_length_mm' for 'bill_lenght_mm'",
    ),
    "missing path": (["--set", f"data.path={PENGUIN_DATA}x"], "does not exist"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_data_mistakes_fail_before_tensorflow_loads(tmp_path: Path, case: str) -> None:
    extra, message = CASES[case]
    result = run_pipeline(tmp_path / "ws", *extra, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert errors and message in " ".join(errors), errors or lines[-5:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith("import ")}
    assert "tfxkit.data.checks" in imported  # the listing works
    for heavy in ("tensorflow", "tfx", "apache_beam"):
        assert heavy not in imported, f"{case}: {heavy} was imported before the error"
