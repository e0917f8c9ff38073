"""Package discovery that pyproject.toml cannot express: ``components/`` installs as
``tfxkit.components`` and every folder in it as a subpackage, found at build time, so adding a
component folder needs no edit here (``tests/unit/test_packaging.py`` checks each one)."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent


def discover_packages() -> list[str]:
    components = [f"tfxkit.components.{name}" for name in find_packages(str(HERE / "components"))]
    return [*find_packages(str(HERE / "src")), "tfxkit.components", *components]


if __name__ == "__main__":
    setup(packages=discover_packages())
