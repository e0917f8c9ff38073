"""Distributed training on Vertex: a profile's worker pools turn the Trainer into a Vertex
custom job. Tested up to Vertex's boundary (no Vertex here): the compiled spec carries the
pools (golden: tests/golden/pipelines/vertex_pools), and the CustomJob that TFX's Vertex
Trainer executor would submit, built by TFX's own client code from that spec, parses as
Vertex's CustomJob message (google-cloud-aiplatform's types, which reject unknown fields) and
is accepted by the Vertex stand-in (tests/standins/vertex_server.py) when TFX's client submits
it over Vertex's REST API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.paths import PENGUIN_CONFIG, PENGUIN_PIPELINE, REPO
from tfxkit.config.pipeline_config import load_config
from tfxkit.config.profiles import load_profile
from tfxkit.errors import ConfigError
from tfxkit.pipeline.kfp_compiler import compile_pipeline

POOLS = REPO / "tests" / "golden" / "pipelines" / "vertex_pools" / "profile.yaml"


def _trainer_custom_config(spec_path: Path) -> dict:
    spec = yaml.safe_load(spec_path.read_text())
    trainer = spec["root"]["dag"]["tasks"]["trainer"]
    value = trainer["inputs"]["parameters"]["custom_config"]["runtimeValue"]["constantValue"][
        "stringValue"
    ]
    return json.loads(value)


def test_worker_pools_become_the_custom_job_vertex_receives(tmp_path: Path, monkeypatch) -> None:
    from google.cloud.aiplatform_v1.types import CustomJob
    from tfx.extensions.google_cloud_ai_platform import training_clients
    from tfx.types import standard_artifacts

    config = load_config(PENGUIN_CONFIG, ["training.strategy=multi_worker_mirrored"])
    compiled = compile_pipeline(
        PENGUIN_PIPELINE, config, load_profile(POOLS), output=tmp_path / "spec.yaml"
    )
    custom_config = _trainer_custom_config(compiled.path)
    assert custom_config["ai_platform_enable_vertex"] is True
    assert custom_config["ai_platform_vertex_region"] == "us-central1"
    job_args = custom_config["ai_platform_training_args"]

    # TFX's executor turns the args into the request; no credentials needed to build it.
    monkeypatch.setattr(training_clients.VertexJobClient, "create_client", lambda self: None)
    client = training_clients.VertexJobClient("us-central1")
    examples = standard_artifacts.Examples()
    examples.uri = "gs://my-bucket/examples"
    request = client.create_training_job(
        {"examples": [examples]},
        {},
        {"custom_config": json.dumps(custom_config)},
        "tfx.components.trainer.executor.GenericExecutor",
        dict(job_args),
        None,
        None,
    )
    job = CustomJob(**request)  # Vertex's message: unknown or mistyped fields raise
    pools = job.job_spec.worker_pool_specs
    assert [p.replica_count for p in pools] == [1, 2]
    assert pools[1].machine_spec.accelerator_count == 1
    assert pools[1].machine_spec.accelerator_type.name == "NVIDIA_TESLA_T4"
    assert {p.container_spec.image_uri for p in pools} == {
        "us-docker.pkg.dev/my-project/tfxkit/pipeline:0.1.0"
    }
    assert all("--executor_class_path" in p.container_spec.command for p in pools)

    # TFX's own submission (launch_job) against the Vertex stand-in, over Vertex's REST API.
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.aiplatform_v1.services.job_service import JobServiceClient

    from tests.standins.vertex_server import running_vertex_server

    with running_vertex_server() as server:
        client._client = JobServiceClient(
            credentials=AnonymousCredentials(),
            transport="rest",
            client_options={"api_endpoint": server.url},
        )
        client.launch_job("my-project", request)
        [(name, accepted)] = server.custom_jobs.items()
    assert name.startswith("projects/my-project/locations/us-central1/customJobs/")
    specs = accepted["jobSpec"]["workerPoolSpecs"]
    assert [int(p["replicaCount"]) for p in specs] == [1, 2]
    # The REST client encodes enums as numbers (it asks for enum-encoding=int).
    from google.cloud.aiplatform_v1.types import AcceleratorType

    t4 = AcceleratorType.NVIDIA_TESLA_T4
    assert specs[1]["machineSpec"]["acceleratorType"] in (t4.name, t4.value)


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        ("default", "the pools ['workers'] would idle"),
        ("parameter_server", "needs the pools ['parameter_servers']"),
    ],
)
def test_pools_must_match_the_strategy(tmp_path: Path, strategy: str, message: str) -> None:
    config = load_config(PENGUIN_CONFIG, [f"training.strategy={strategy}"])
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        compile_pipeline(PENGUIN_PIPELINE, config, load_profile(POOLS), output=tmp_path / "s.yaml")
    assert not (tmp_path / "s.yaml").exists()


def test_pools_are_a_vertex_feature(tmp_path: Path) -> None:
    text = POOLS.read_text().replace("runner: vertex", "runner: kubeflow")
    (tmp_path / "kubeflow.yaml").write_text(text)
    with pytest.raises(ConfigError, match="worker pools are a Vertex custom job"):
        load_profile(tmp_path / "kubeflow.yaml")
