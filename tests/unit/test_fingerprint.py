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
