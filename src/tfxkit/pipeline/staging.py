"""Your code on Kubeflow and Vertex: what the pipeline image can import, and the image that
stages your package into it.

Why: a remote task imports its executor (a function step's module, a full component's
executor, a container step's ``python -m`` module) inside the pipeline image, which holds TFX
and tfxkit (``docker/pipeline/Dockerfile``). A step from the user's own package compiled fine
and failed in its pod. The runner profile's ``package:`` names the folder of that code: every
module the compiled pipeline references must be in TFX, tfxkit or that package (else the
compile is refused, naming the step), and ``render_dockerfile`` writes the image that adds the
package to tfxkit's, with a build step that imports every referenced module.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

from tfxkit.errors import ConfigError, PipelineDefinitionError

# Installed in the pipeline image (docker/pipeline/Dockerfile); anything else is staged or local.
IMAGE_PACKAGES = ("tfx", "tfxkit")
STAGED_AT = "/tfxkit/staged"  # where the rendered image puts the package
# What load_pipeline names a pipeline file's module: code defined there exists only here.
PIPELINE_MODULE_PREFIX = "tfxkit_pipeline_"

Reference = tuple[str, str, str]  # (task, what, dotted path or file)


@dataclass(frozen=True)
class StagedPackage:
    """A folder of the user's code: a project (``pyproject.toml``/``setup.py``: pip-installed in
    the image) or plain modules (copied onto its ``PYTHONPATH``)."""

    folder: Path
    project: bool
    modules: dict[str, Path] = field(default_factory=dict)  # top-level name -> file or folder

    @classmethod
    def at(cls, path: str | os.PathLike[str]) -> StagedPackage:
        folder = Path(path).resolve()
        if not folder.is_dir():
            raise ConfigError(f"runner profile package: {path} is not a folder")
        project = (folder / "pyproject.toml").is_file() or (folder / "setup.py").is_file()
        root = folder / "src" if project and (folder / "src").is_dir() else folder
        modules: dict[str, Path] = {}
        for child in sorted(root.iterdir()):
            if child.is_dir() and (child / "__init__.py").is_file() and child.name.isidentifier():
                modules[child.name] = child
            elif child.suffix == ".py" and child.stem.isidentifier():
                if child.stem not in ("setup", "conftest"):
                    modules[child.stem] = child
        return cls(folder, project, modules)

    def provides(self, module: str) -> bool:
        """Whether ``module`` is a module or package of this folder."""
        top, *rest = module.split(".")
        base = self.modules.get(top)
        if base is None:
            return False
        if not rest:
            return True
        path = base.joinpath(*rest)
        return base.is_dir() and (
            path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()
        )


def _module_of(what: str, value: str) -> str:
    """The module a reference lives in (a class or function path's parent; a module as is)."""
    if what == "command module" or "." not in value:
        return value
    return value.rsplit(".", 1)[0]


def check_importable(references: list[Reference], package: StagedPackage | None) -> None:
    """Every reference must import in the pipeline image: a module of TFX, tfxkit or the staged
    package, never a file on this machine; otherwise refuse, naming each task."""
    problems = []
    for task, what, value in references:
        if what == "module_file" or value.endswith(".py") or os.sep in value:
            problems.append(
                f"task '{task}': {what} {value!r} is a local file; reference code by module "
                "path in the tfxkit package (e.g. run_fn='tfxkit.training.keras_trainer.run_fn')"
                " or in your staged package"
            )
            continue
        module = _module_of(what, value)
        top = module.split(".")[0]
        if top in IMAGE_PACKAGES:
            if importlib.util.find_spec(module) is None:
                problems.append(
                    f"task '{task}': {what} {value!r}: module '{module}' does not exist"
                )
        elif package is not None and (package.provides(module) or package.provides(value)):
            continue
        elif top.startswith(PIPELINE_MODULE_PREFIX):
            problems.append(
                f"task '{task}': {what} {value!r} is defined in the pipeline file itself, which "
                "no task imports: move it into a module of your package (beside the pipeline "
                "file) and set the runner profile's package: to that folder"
            )
        else:
            staged = (
                f"is not in the staged package {package.folder} (runner profile package:)"
                if package is not None
                else "no package is staged: set the runner profile's package: to the folder "
                "that holds it"
            )
            problems.append(
                f"task '{task}': {what} {value!r} lives in module '{module}', which is not "
                f"installed in the pipeline image (only {', '.join(IMAGE_PACKAGES)}), and "
                f"{staged}"
            )
    if problems:
        raise PipelineDefinitionError(
            "the compiled pipeline references code the pipeline image cannot import: "
            + "; ".join(problems)
        )


def staged_modules(references: list[Reference], package: StagedPackage) -> list[str]:
    """The package's modules the compiled pipeline references (the image imports each)."""
    found = set()
    for _, what, value in references:
        module = _module_of(what, value)
        if package.provides(module):
            found.add(module)
        elif package.provides(value):
            found.add(value)
    return sorted(found)


def render_dockerfile(
    package: StagedPackage, modules: list[str], image: str, name: str, path: Path
) -> str:
    """The pipeline image with ``package`` staged: tfxkit's image (``make image``) plus the
    package, and a build step that imports every module the compiled pipeline references."""
    target = f"{STAGED_AT}/{package.folder.name}"
    if package.project:
        install = f"RUN pip install --no-cache-dir --no-deps {target}"
    else:
        install = f"ENV PYTHONPATH={target}:${{PYTHONPATH}}"
    imports = ", ".join(modules) or "sys"
    return f"""\
# The pipeline image for '{name}' with your package staged: the tfxkit pipeline image
# (docker/pipeline/Dockerfile, `make image`) plus {package.folder.name}/, so every task imports
# your steps. Rendered by `tfxkit compile` from the runner profile (package:); build it with
# the package's folder as the context and push it as the profile's image:
#
#   docker build -f {path} --build-arg BASE=tfxkit-pipeline:dev -t {image} \\
#       {package.folder}
#   docker push {image}
ARG BASE=tfxkit-pipeline:dev
FROM ${{BASE}}

COPY . {target}/
{install}

# Every module of the package the compiled pipeline references must import here.
RUN python -c "import {imports}"
"""
