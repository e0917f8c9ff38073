"""Compiling for Kubeflow Pipelines / Vertex AI: proto validity, remote checks (goldens: corpus)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from tests.paths import PENGUIN_CONFIG, PENGUIN_PIPELINE, REPO
from tfxkit.config.pipeline_config import load_config
from tfxkit.config.profiles import load_profile
from tfxkit.errors import ConfigError, PipelineDefinitionError
from tfxkit.pipeline.kfp_compiler import compile_pipeline, load_spec

KUBEFLOW = REPO / "configs" / "kubeflow.yaml"
VERTEX = REPO / "configs" / "vertex.yaml"
DATAFLOW = REPO / "configs" / "dataflow.yaml"

CUSTOM_COMPONENT_PIPELINE = """
from tfx import v1 as tfx
from tfxkit.pipeline.dsl import PipelineBuilder


@tfx.dsl.components.component
def CountRows(
    examples: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.Examples],
) -> None:
    pass


def create_pipeline(config):
    p = PipelineBuilder(config)
    p.add(CountRows(examples=p.ingest().examples), "count_rows")
    return p
"""

MODULE_FILE_PIPELINE = """
from tfx import v1 as tfx
from tfxkit.pipeline.dsl import PipelineBuilder


def create_pipeline(config):
    p = PipelineBuilder(config)
    data = p.ingest()
    checked = p.validate(data)
    p.add(tfx.components.Transform(examples=data.examples, schema=checked.schema,
                                   module_file="/home/me/preprocessing.py"), "transform")
    return p
"""


def _compile(
    tmp_path: Path,
    profile_path: Path,
    name: str,
    *,
    pipeline=PENGUIN_PIPELINE,
    profile_overrides=(),
    config_overrides=(),
):
    config = load_config(PENGUIN_CONFIG, list(config_overrides))
    profile = load_profile(profile_path, list(profile_overrides))
    return compile_pipeline(pipeline, config, profile, output=tmp_path / name)


def test_kubeflow_spec_parses(tmp_path: Path) -> None:
    compiled = _compile(tmp_path, KUBEFLOW, "penguin.yaml")
    text = compiled.path.read_text()
    spec = json_format.ParseDict(yaml.safe_load(text), pipeline_spec_pb2.PipelineSpec())
    assert spec.pipeline_info.name == "penguin"
    assert spec.default_pipeline_root == "gs://my-bucket/tfxkit/penguin/pipeline_root"
    assert set(spec.root.dag.tasks) == set(compiled.tasks)
    assert "pusher" in spec.root.dag.tasks
    pusher = spec.root.dag.tasks["pusher"]
    assert "blessed" in pusher.trigger_policy.condition
    # The condition may only read inputs the task declares, or KFP cannot evaluate it.
    referenced = re.findall(r"inputs\.artifacts\['([^']+)'\]", pusher.trigger_policy.condition)
    assert referenced and set(referenced) <= set(pusher.inputs.artifacts)


def test_compile_is_deterministic(tmp_path: Path) -> None:
    first = _compile(tmp_path, KUBEFLOW, "a.yaml").path.read_text()
    second = _compile(tmp_path, KUBEFLOW, "b.yaml").path.read_text()
    assert first == second


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_compiled_files_follow_the_umask(tmp_path: Path, umask: int) -> None:
    """Issue 31: the atomic write left specs 0600 whatever the umask."""
    previous = os.umask(umask)
    try:
        for name in ("spec.yaml", "job.json"):
            mode = _compile(tmp_path, KUBEFLOW, name).path.stat().st_mode & 0o777
            assert mode == 0o666 & ~umask, f"{name}: {oct(mode)}"
    finally:
        os.umask(previous)


def test_vertex_job_json_parses_into_pipeline_job(tmp_path: Path) -> None:
    compiled = _compile(tmp_path, VERTEX, "penguin.json")
    job_dict = json.loads(compiled.path.read_text())
    job = json_format.ParseDict(job_dict, pipeline_spec_pb2.PipelineJob())
    assert job.runtime_config.gcs_output_directory == "gs://my-bucket/tfxkit/penguin/pipeline_root"
    spec = json_format.ParseDict(job_dict["pipelineSpec"], pipeline_spec_pb2.PipelineSpec())
    executors = spec.deployment_spec  # a Struct: check the image reached every container
    images = {
        e["container"]["image"]
        for e in job_dict["pipelineSpec"]["deploymentSpec"]["executors"].values()
        if "container" in e
    }
    assert images == {"us-docker.pkg.dev/my-project/tfxkit/pipeline:0.1.0"}
    assert executors is not None


def test_resources_become_platform_config(tmp_path: Path) -> None:
    spec = load_spec(_compile(tmp_path, KUBEFLOW, "penguin.yaml").path)
    executors = spec["deploymentSpec"]["executors"]
    trainer = executors["trainer_executor"]["container"]["resources"]
    assert trainer["cpuLimit"] == 4.0 and trainer["memoryLimit"] == 16.0
    assert trainer["accelerator"] == {"type": "NVIDIA_TESLA_T4", "count": "1"}
    assert executors["transform_executor"]["container"]["resources"]["cpuLimit"] == 4.0
    assert executors["example_gen_executor"]["container"]["resources"] == {
        "cpuLimit": 1.0,
        "memoryLimit": 4.0,
    }


BEAM_EXECUTORS = ("example_gen", "statistics_gen", "transform", "evaluator")


def test_dataflow_profile_builds_typed_beam_args(tmp_path: Path) -> None:
    """Every Beam component of the compiled job gets the same Dataflow options, and the
    workers' copy of tfxkit comes from the image (so TFX stages no sdist of itself)."""
    spec = load_spec(_compile(tmp_path, DATAFLOW, "penguin.json").path)
    executors = spec["deploymentSpec"]["executors"]
    for node in BEAM_EXECUTORS:
        args = executors[f"{node}_executor"]["container"]["args"]
        for flag in (
            "--runner=DataflowRunner",
            "--project=my-project",
            "--region=us-central1",
            "--temp_location=gs://my-bucket/tfxkit/tmp",
            "--max_num_workers=8",
            "--machine_type=n2-standard-4",
            "--disk_size_gb=50",
            "--sdk_container_image=us-docker.pkg.dev/my-project/tfxkit/pipeline:0.1.0",
        ):
            assert flag in args, (node, flag)
        assert not any(a.startswith("--direct_") for a in args)


def test_dataflow_setup_file_route(tmp_path: Path) -> None:
    spec = load_spec(
        _compile(
            tmp_path,
            DATAFLOW,
            "penguin.json",
            profile_overrides=[
                "beam.dataflow.sdk_container_image=null",
                "beam.dataflow.setup_file=/tfxkit/setup.py",
                "beam.dataflow.experiments=[use_runner_v2]",
                "beam.dataflow.num_workers=2",
            ],
        ).path
    )
    args = spec["deploymentSpec"]["executors"]["transform_executor"]["container"]["args"]
    assert "--setup_file=/tfxkit/setup.py" in args and "--experiments=use_runner_v2" in args
    assert "--num_workers=2" in args
    assert not any(a.startswith("--sdk_container_image") for a in args)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["beam.dataflow.sdk_container_image=null"], "Dataflow workers need tfxkit"),
        (["beam.dataflow.setup_file=/tfxkit/setup.py"], "set one of sdk_container_image"),
        (["beam.dataflow.setup_file=/tfxkit/pyproject.toml"], "must name a setup.py"),
        (["beam.dataflow.machine_type=n2-highcpu-8"], "too little memory per vCPU"),
        (["beam.dataflow.machine_type=big-box"], "not a Compute Engine machine type"),
        (["beam.dataflow.num_workers=9"], "above max_num_workers"),
        (["beam.dataflow.temp_location=/tmp"], "needs a gs:// location"),
    ],
)
def test_dataflow_profile_mistakes_are_named(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_profile(DATAFLOW, overrides)


def test_unknown_beam_flag_is_an_error(tmp_path: Path) -> None:
    """Beam would drop it with a log line on a worker; the compile names it instead."""
    with pytest.raises(ConfigError, match=r"--max_num_wrokers"):
        _compile(
            tmp_path,
            DATAFLOW,
            "x.json",
            profile_overrides=["beam.extra_args=['--max_num_wrokers=3']"],
        )


def test_setup_file_packages_tfxkit_and_its_components(tmp_path: Path) -> None:
    """What Beam does with --setup_file: ``python setup.py sdist`` in the image's /tfxkit."""
    import subprocess
    import sys
    import tarfile

    subprocess.run(
        [sys.executable, "setup.py", "-q", "sdist", "--dist-dir", str(tmp_path)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    (sdist,) = tmp_path.glob("tfxkit-*.tar.gz")
    names = tarfile.open(sdist).getnames()
    for module in (
        "tfxkit/training/keras_trainer.py",
        "tfxkit/transform/preprocessing.py",
        "tfxkit/components/model_pusher/executor.py",
    ):
        assert any(name.endswith(module) for name in names), module


def test_code_comes_from_the_installed_package(tmp_path: Path) -> None:
    spec = load_spec(_compile(tmp_path, KUBEFLOW, "penguin.yaml").path)
    params = spec["root"]["dag"]["tasks"]["trainer"]["inputs"]["parameters"]
    assert "tfxkit.training.keras_trainer.run_fn" in json.dumps(params["run_fn"])


def test_local_pipeline_root_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        _compile(
            tmp_path,
            KUBEFLOW,
            "x.yaml",
            profile_overrides=["pipeline_root=/home/me/root", "data_path=data/penguins"],
        )
    message = str(err.value)
    assert "pipeline_root = '/home/me/root'" in message
    assert "data.path = 'data/penguins'" in message
    assert not (tmp_path / "x.yaml").exists(), "nothing may be written for a rejected config"


def test_mounted_volume_counts_as_shared(tmp_path: Path) -> None:
    compiled = _compile(
        tmp_path,
        KUBEFLOW,
        "x.yaml",
        profile_overrides=[
            "pipeline_root=/mnt/pipeline/root",
            "data_path=/mnt/pipeline/data",
            "push_destination=/mnt/pipeline/serving",
            "mounted_volumes=[/mnt/pipeline]",
        ],
    )
    assert compiled.pipeline_root == "/mnt/pipeline/root"


def test_missing_image_is_rejected(tmp_path: Path) -> None:
    profile = tmp_path / "kfp.yaml"
    data = yaml.safe_load(KUBEFLOW.read_text())
    del data["image"]
    profile.write_text(yaml.safe_dump(data))
    with pytest.raises(
        ConfigError,
        match=r"invalid runner profile .*kfp.yaml:\n  image: "
        r"required key is missing",
    ):
        load_profile(profile)


def test_unknown_resource_target_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"resources: \['trainr'\] are not components"):
        _compile(tmp_path, KUBEFLOW, "x.yaml", profile_overrides=["resources={trainr: {cpu: 2}}"])


def test_custom_executor_outside_the_package_is_rejected(tmp_path: Path) -> None:
    pipeline = tmp_path / "custom.py"
    pipeline.write_text(CUSTOM_COMPONENT_PIPELINE)
    with pytest.raises(PipelineDefinitionError) as err:
        _compile(
            tmp_path, KUBEFLOW, "x.yaml", pipeline=pipeline, profile_overrides=["resources={}"]
        )
    assert "task 'count_rows'" in str(err.value)
    assert "is defined in the pipeline file itself, which no task imports" in str(err.value)
    assert not (tmp_path / "x.yaml").exists()


def test_local_module_file_is_rejected(tmp_path: Path) -> None:
    pipeline = tmp_path / "modfile.py"
    pipeline.write_text(MODULE_FILE_PIPELINE)
    with pytest.raises(PipelineDefinitionError, match="module_file '/home/me/preprocessing.py'"):
        _compile(
            tmp_path, KUBEFLOW, "x.yaml", pipeline=pipeline, profile_overrides=["resources={}"]
        )


def test_vertex_profile_needs_vertex_section(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="runner 'vertex' needs a 'vertex' section"):
        load_profile(VERTEX, ["vertex=null"])
