"""Code fingerprints: stable across processes, sensitive to any imported module, no TF import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.paths import REPO

REF = "tfxkit.training.keras_trainer.run_fn"
PROBE = (
    "import sys; from tfxkit.fingerprint import code_fingerprint as c; "
    f"print(c({REF!r})); print('tensorflow' in sys.modules)"
)


def _fingerprint(env: dict[str, str]) -> tuple[str, str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, **env),
    ).stdout.split()
    return out[0], out[1]


def test_same_code_same_fingerprint_in_any_process() -> None:
    first, imported_tf = _fingerprint({"PYTHONHASHSEED": "1"})
    second, _ = _fingerprint({"PYTHONHASHSEED": "2"})
    assert first == second and len(first) == 16
    assert imported_tf == "False", "fingerprinting must not import TensorFlow"


def test_edit_to_an_imported_module_changes_it(tmp_path: Path) -> None:
    code = tmp_path / "code"
    shutil.copytree(REPO / "src" / "tfxkit", code / "tfxkit", symlinks=False)
    before, _ = _fingerprint({"PYTHONPATH": str(code)})
    features = code / "tfxkit" / "config" / "features.py"  # imported by the trainer, not referenced
    features.write_text(features.read_text() + "\n# edited\n")
    after, _ = _fingerprint({"PYTHONPATH": str(code)})
    assert before != after


def test_masking_keeps_goldens_stable() -> None:
    from tfxkit.fingerprint import mask_fingerprints

    text = '"code_fingerprint": "0123456789abcdef", other: "fedcba9876543210"'
    assert mask_fingerprints(text) == (
        '"code_fingerprint": "{CODE_FINGERPRINT}", other: "fedcba9876543210"'
    )


def _plugin_tree(root: Path) -> None:
    (root / "my_plugin.py").write_text(
        "import my_helpers\n\ndef preprocessing_fn(x):\n    return x\n"
    )
    (root / "my_helpers.py").write_text("from my_constants import SCALE\n")
    (root / "my_constants.py").write_text("SCALE = 1.0\n")
    (root / "unrelated.py").write_text("X = 1\n")


def test_an_edit_two_imports_away_from_a_plugin_changes_it(tmp_path: Path, monkeypatch) -> None:
    """Issue 31: editing a constant in a helper the plug-in imports gave `nothing changed`."""
    from tfxkit.fingerprint import code_fingerprint

    _plugin_tree(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code_fingerprint.cache_clear()
    before = code_fingerprint("my_plugin.preprocessing_fn")
    (tmp_path / "unrelated.py").write_text("X = 2\n")
    code_fingerprint.cache_clear()
    assert code_fingerprint("my_plugin.preprocessing_fn") == before, "unrelated edits count"
    (tmp_path / "my_constants.py").write_text("SCALE = 2.0\n")
    code_fingerprint.cache_clear()
    assert code_fingerprint("my_plugin.preprocessing_fn") != before


def test_a_pipeline_files_closure_is_fingerprinted(tmp_path: Path) -> None:
    from tfxkit.fingerprint import file_fingerprint

    _plugin_tree(tmp_path)
    pipeline = tmp_path / "pipeline.py"
    pipeline.write_text("import my_helpers\nimport numpy\n\ndef create_pipeline(config): ...\n")
    before = file_fingerprint(pipeline)
    (tmp_path / "unrelated.py").write_text("X = 3\n")
    assert file_fingerprint(pipeline) == before
    (tmp_path / "my_constants.py").write_text("SCALE = 3.0\n")
    assert file_fingerprint(pipeline) != before


def test_installed_packages_count_by_version_not_by_reading_them() -> None:
    from tfxkit import fingerprint

    assert fingerprint._top_kind("numpy") == "installed"
    assert fingerprint._top_kind("json") == "stdlib"
    assert fingerprint._top_kind("tfxkit") == "source"  # the editable checkout under test
    assert fingerprint._version("numpy").startswith("numpy==")


def test_a_module_a_command_runs_with_python_m_counts_as_imported(tmp_path: Path) -> None:
    """A container step's ``python -m tool`` (issue 30 #5): the unchanged-run key sees its code."""
    from tfxkit.fingerprint import file_fingerprint

    (tmp_path / "steps_cmd.py").write_text('COMMAND = ["python", "-m", "steps_tool", "--out"]\n')
    (tmp_path / "steps_tool.py").write_text("X = 1\n")
    pipeline = tmp_path / "pipeline.py"
    pipeline.write_text("import steps_cmd\n")
    first = file_fingerprint(pipeline)
    (tmp_path / "steps_tool.py").write_text("X = 2\n")
    assert file_fingerprint(pipeline) != first
