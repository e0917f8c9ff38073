"""``tfxkit new component NAME`` (issue 30 #3): TFX's layout written into a user's package, and
the generated tests pass as written (run here with pytest in a fresh process, as a user would)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tfxkit.cli.app import main
from tfxkit.cli.new import names, write_component
from tfxkit.errors import ConfigError


def test_the_generated_component_tests_pass_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "my_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    assert main(["new", "component", "RowFilter", "--package", str(package)]) == 0
    out = capsys.readouterr().out
    assert f"pytest {package / 'row_filter'}" in out
    assert 'p.add(RowFilter(examples=data.examples), "row_filter")' in out
    folder = package / "row_filter"
    assert sorted(p.name for p in folder.iterdir()) == [
        "__init__.py",
        "component.py",
        "component_test.py",
        "executor.py",
        "executor_test.py",
    ]
    assert (
        "from my_pkg.row_filter.component import RowFilter" in (folder / "component.py").read_text()
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "3 passed" in result.stdout


def test_names_and_refusals(tmp_path: Path) -> None:
    assert names("row-filter") == ("RowFilter", "row_filter")
    assert names("RowFilter") == ("RowFilter", "row_filter")
    assert names("size_gate2") == ("SizeGate2", "size_gate2")
    with pytest.raises(ConfigError, match="component name '2fast'"):
        names("2fast")
    with pytest.raises(ConfigError, match="no such folder"):
        write_component("RowFilter", tmp_path / "missing")
    write_component("RowFilter", tmp_path)
    with pytest.raises(ConfigError, match="already exist.*nothing was written.*--force"):
        write_component("RowFilter", tmp_path)
    assert write_component("RowFilter", tmp_path, force=True)
