"""Every folder in src/tfxkit/components/ is a packaged, importable TFX-style component.

A new ``src/tfxkit/components/<name>/`` needs no other edit: setuptools discovers packages
under ``src``. These tests fail naming the folder when one is not a complete component or would
not be packaged.
"""

from __future__ import annotations

import importlib

import pytest
from setuptools import find_packages

from tests.paths import REPO

COMPONENTS = REPO / "src" / "tfxkit" / "components"
FOLDERS = sorted(
    p.name
    for p in COMPONENTS.iterdir()
    if p.is_dir() and not p.name.startswith(("_", ".")) and p.name != "__pycache__"
)


def test_components_live_in_the_package_not_behind_a_link() -> None:
    assert COMPONENTS.is_dir() and not COMPONENTS.is_symlink()
    assert not (REPO / "components").exists(), "components/ moved into src/tfxkit/components/"


def test_there_is_at_least_one_component() -> None:
    assert FOLDERS, "src/tfxkit/components/ holds no component"


@pytest.mark.parametrize("name", FOLDERS)
def test_folder_is_a_complete_component(name: str) -> None:
    folder = COMPONENTS / name
    missing = [
        f for f in ("__init__.py", "component.py", "executor.py") if not (folder / f).is_file()
    ]
    assert not missing, (
        f"src/tfxkit/components/{name}/ lacks {missing} (see src/tfxkit/components/model_pusher/)"
    )
    assert list(folder.glob("*_test.py")), f"src/tfxkit/components/{name}/ has no *_test.py"


@pytest.mark.parametrize("name", FOLDERS)
def test_folder_is_packaged_and_importable(name: str) -> None:
    packages = find_packages(str(REPO / "src"), include=["tfxkit*"])
    assert f"tfxkit.components.{name}" in packages, (
        f"src/tfxkit/components/{name}/ would not be packaged"
    )
    module = importlib.import_module(f"tfxkit.components.{name}.component")
    executor = importlib.import_module(f"tfxkit.components.{name}.executor")
    assert hasattr(executor, "Executor"), (
        f"src/tfxkit/components/{name}/executor.py defines no Executor"
    )
    assert module.__file__ and module.__file__.startswith(str(REPO / "src" / "tfxkit"))
