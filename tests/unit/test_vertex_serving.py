"""Deploying a blessed model on Vertex AI, against a local server that STANDS IN for Vertex AI.

Vertex AI cannot be reached from here (no network, no GCP project), so
``tests.standins.vertex_server`` serves the documented v1 REST endpoints the Model Registry
upload and endpoint deployment call (``models:upload``, ``models`` list/get, ``endpoints``
create/list/get, ``endpoints/{id}:deployModel``, operations), in memory on 127.0.0.1. The real
``google-cloud-aiplatform`` SDK talks to it over REST with anonymous credentials. Assertions are
on what the SDK sent (the stand-in's request log) and on the stand-in's resulting resources.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from google.auth.credentials import AnonymousCredentials
from google.cloud.aiplatform_v1.types import AcceleratorType

from tests.standins.vertex_server import VertexStandIn, vertex_sdk_stand_in
from tfxkit.config.profiles import RunnerProfile, VertexServing, load_profile
from tfxkit.errors import ConfigError
from tfxkit.runners.backends.base import Connection
from tfxkit.runners.backends.vertex_calls import VertexError
from tfxkit.runners.backends.vertex_serving import (
    VertexDeployment,
    deploy_model,
    deploy_summary_lines,
    find_or_create_endpoint,
    split_traffic,
    upload_model,
)

PROJECT = "tfxkit-test"
REGION = "us-central1"
PARENT = f"/v1/projects/{PROJECT}/locations/{REGION}"
SERVICE_ACCOUNT = "serving@tfxkit-test.iam.gserviceaccount.com"
CPU_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-16:latest"
GPU_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/tf2-gpu.2-16:latest"
PROFILE = {
    "runner": "vertex",
    "image": "us-docker.pkg.dev/my-project/tfxkit/pipeline:0.1.0",
    "pipeline_root": "gs://bucket/tfxkit/{name}",
    "vertex": {
        "project": PROJECT,
        "region": REGION,
        "service_account": SERVICE_ACCOUNT,
        "labels": {"team": "ml"},
    },
}


def _artifact(version: int) -> str:
    return f"gs://bucket/serving/penguin/{version}"


@pytest.fixture
def vertex(monkeypatch: pytest.MonkeyPatch) -> Iterator[VertexStandIn]:
    with vertex_sdk_stand_in(monkeypatch) as server:
        yield server


@pytest.fixture
def connection(vertex: VertexStandIn) -> Connection:
    return Connection(endpoint=vertex.url, credentials=AnonymousCredentials())


@pytest.fixture
def profile_path(tmp_path: Path) -> Path:
    path = tmp_path / "vertex.yaml"
    path.write_text(yaml.safe_dump(PROFILE))
    return path


def _profile(path: Path, *overrides: str) -> RunnerProfile:
    return load_profile(path, list(overrides))


def _deploy(path: Path, connection: Connection, version: int, *overrides: str):
    return deploy_model(
        _profile(path, *overrides), "penguin", _artifact(version), version, connection=connection
    )


def _deploy_bodies(vertex: VertexStandIn) -> list[dict]:
    return [r.body for r in vertex.calls("POST", rf"{PARENT}/endpoints/\d+:deployModel")]


def _accelerator_name(value: object) -> str:
    """The REST client sends enums as numbers (it asks for enum-encoding=int)."""
    return AcceleratorType(value).name if isinstance(value, int) else str(value)


# ------------------------------------------------------------------------- deploying


def test_first_deploy_creates_model_and_endpoint_with_all_traffic(
    vertex: VertexStandIn, connection: Connection, profile_path: Path
) -> None:
    result = _deploy(profile_path, connection, 1)

    (upload,) = vertex.calls("POST", f"{PARENT}/models:upload")
    assert "parentModel" not in upload.body  # nothing named 'penguin' yet: a new model
    sent = upload.body["model"]
    assert sent["displayName"] == "penguin"
    assert sent["artifactUri"] == _artifact(1)
    assert sent["containerSpec"]["imageUri"] == CPU_IMAGE
    assert sent["labels"] == {"team": "ml", "tfxkit-version": "1"}
    (create,) = vertex.calls("POST", f"{PARENT}/endpoints")
    assert create.body["displayName"] == "penguin"
    (deploy,) = _deploy_bodies(vertex)
    assert deploy["trafficSplit"] == {"0": 100}
    assert deploy["deployedModel"]["model"] == f"{result.model}@1"
    assert deploy["deployedModel"]["serviceAccount"] == SERVICE_ACCOUNT

    [(model_name, versions)] = vertex.models.items()
    [(endpoint_name, endpoint)] = vertex.endpoints.items()
    assert result == VertexDeployment(
        model=model_name,
        model_version_id="1",
        endpoint=endpoint_name,
        deployed_model_id=endpoint["deployedModels"][0]["id"],
        traffic_split={endpoint["deployedModels"][0]["id"]: 100},
        version=1,
        uploaded=True,
        endpoint_created=True,
        deployed=True,
    )
    assert [v["versionId"] for v in versions] == ["1"]
    assert endpoint["trafficSplit"] == result.traffic_split

    lines = deploy_summary_lines(result)
    assert lines[0] == f"model registry: uploaded version 1 as {model_name}@1"
    assert lines[1] == f"endpoint (created): {endpoint_name}"
    assert lines[3] == f"traffic split: {result.deployed_model_id} (version 1): 100%"
    endpoint_id = endpoint_name.rsplit("/", 1)[-1]
    assert lines[4] == (
        f"console: https://console.cloud.google.com/vertex-ai/locations/{REGION}"
        f"/endpoints/{endpoint_id}?project={PROJECT}"
    )


def test_new_version_joins_the_registry_model_and_takes_a_canary_share(
    vertex: VertexStandIn, connection: Connection, profile_path: Path
) -> None:
    first = _deploy(profile_path, connection, 1)
    second = _deploy(profile_path, connection, 2, "vertex.serving.traffic_percentage=10")

    uploads = vertex.calls("POST", f"{PARENT}/models:upload")
    assert uploads[1].body["parentModel"] == first.model  # a version of the same model
    assert uploads[1].body["model"]["labels"]["tfxkit-version"] == "2"
    assert second.model == first.model and second.model_version_id == "2"
    versions = vertex.models[first.model]
    assert [(v["versionId"], v["versionAliases"]) for v in versions] == [
        ("1", []),
        ("2", ["default"]),
    ]
    assert len(vertex.calls("POST", f"{PARENT}/endpoints")) == 1  # the endpoint is reused
    assert second.endpoint == first.endpoint and not second.endpoint_created

    assert _deploy_bodies(vertex)[1]["trafficSplit"] == {"0": 10, first.deployed_model_id: 90}
    assert second.traffic_split == {first.deployed_model_id: 90, second.deployed_model_id: 10}
    assert vertex.endpoints[first.endpoint]["trafficSplit"] == second.traffic_split
    old_id, new_id = first.deployed_model_id, second.deployed_model_id
    assert (
        deploy_summary_lines(second)[3]
        == f"traffic split: {old_id}: 90%, {new_id} (version 2): 10%"
    )

    # A third version at 20 %: the other 80 % stays 9:1 between the two already serving.
    third = _deploy(profile_path, connection, 3, "vertex.serving.traffic_percentage=20")
    assert third.traffic_split == {
        first.deployed_model_id: 72,
        second.deployed_model_id: 8,
        third.deployed_model_id: 20,
    }


def test_machine_type_accelerator_and_replicas_reach_the_deploy_request(
    vertex: VertexStandIn, connection: Connection, profile_path: Path
) -> None:
    _deploy(
        profile_path,
        connection,
        1,
        "vertex.serving.machine_type=n1-standard-8",
        "vertex.serving.accelerator={type: NVIDIA_TESLA_T4, count: 2}",
        "vertex.serving.min_replica_count=2",
        "vertex.serving.max_replica_count=5",
    )
    (upload,) = vertex.calls("POST", f"{PARENT}/models:upload")
    assert upload.body["model"]["containerSpec"]["imageUri"] == GPU_IMAGE
    (body,) = _deploy_bodies(vertex)
    resources = body["deployedModel"]["dedicatedResources"]
    machine = resources["machineSpec"]
    assert machine["machineType"] == "n1-standard-8"
    assert _accelerator_name(machine["acceleratorType"]) == "NVIDIA_TESLA_T4"
    assert machine["acceleratorCount"] == 2
    assert (resources["minReplicaCount"], resources["maxReplicaCount"]) == (2, 5)


def test_display_names_image_and_labels_from_the_profile(
    vertex: VertexStandIn, connection: Connection, profile_path: Path
) -> None:
    result = _deploy(
        profile_path,
        connection,
        4,
        "vertex.serving.model_display_name='{name}-classifier'",
        "vertex.serving.endpoint_display_name=penguin-prod",
        "vertex.serving.serving_image=us-docker.pkg.dev/my-project/serving/tf:2.16",
        "vertex.serving.labels={stage: prod}",
    )
    (upload,) = vertex.calls("POST", f"{PARENT}/models:upload")
    assert upload.body["model"]["displayName"] == "penguin-classifier"
    image = upload.body["model"]["containerSpec"]["imageUri"]
    assert image == "us-docker.pkg.dev/my-project/serving/tf:2.16"
    assert upload.body["model"]["labels"] == {"team": "ml", "stage": "prod", "tfxkit-version": "4"}
    endpoint = vertex.endpoints[result.endpoint]
    assert endpoint["displayName"] == "penguin-prod"
    assert endpoint["labels"] == {"team": "ml", "stage": "prod"}
    assert _deploy_bodies(vertex)[0]["deployedModel"]["displayName"] == "penguin-classifier-v4"


def test_a_rerun_reuses_the_upload_and_does_not_deploy_twice(
    vertex: VertexStandIn, connection: Connection, profile_path: Path
) -> None:
    first = _deploy(profile_path, connection, 1)
    vertex.fail_next("POST", rf"{PARENT}/endpoints/\d+:deployModel", 503, "backend unavailable")
    with pytest.raises(VertexError, match="backend unavailable"):
        _deploy(profile_path, connection, 2, "vertex.serving.traffic_percentage=50")

    retried = _deploy(profile_path, connection, 2, "vertex.serving.traffic_percentage=50")
    assert len(vertex.calls("POST", f"{PARENT}/models:upload")) == 2  # v2 uploaded once
    assert not retried.uploaded and retried.model_version_id == "2"
    assert retried.traffic_split == {first.deployed_model_id: 50, retried.deployed_model_id: 50}
    assert deploy_summary_lines(retried)[0].startswith("model registry: reused the earlier upload")

    vertex.clear_requests()
    again = _deploy(profile_path, connection, 2, "vertex.serving.traffic_percentage=50")
    assert not again.deployed and again.deployed_model_id == retried.deployed_model_id
    assert _deploy_bodies(vertex) == [] and not vertex.calls("POST", f"{PARENT}/models:upload")
    assert (
        deploy_summary_lines(again)[2]
        == f"already deployed as deployed model {again.deployed_model_id}"
    )


def test_long_running_operations_are_polled(
    vertex: VertexStandIn, connection: Connection, profile_path: Path
) -> None:
    vertex.state.complete_model_operations_immediately = False
    result = _deploy(profile_path, connection, 1)
    polled = vertex.calls("GET", r"/(ui|v1)/projects/.*/operations/\d+")
    assert len(polled) == 3  # upload, endpoint create, deploy
    assert result.model_version_id == "1" and result.traffic_split == {
        result.deployed_model_id: 100
    }


def test_upload_and_endpoint_steps_on_their_own(
    vertex: VertexStandIn, connection: Connection, profile_path: Path
) -> None:
    profile = _profile(profile_path)
    model, version_id = upload_model(profile, "penguin", _artifact(1), 1, connection=connection)
    assert (model, version_id) == (next(iter(vertex.models)), "1")
    created = find_or_create_endpoint(profile, "penguin", connection=connection)
    found = find_or_create_endpoint(profile, "penguin", connection=connection)
    assert created[1] and not found[1] and created[0] == found[0]


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "uri", ["/tmp/serving/penguin/1", "s3://bucket/penguin/1", "gs://", "serving/penguin/1"]
)
def test_an_artifact_outside_cloud_storage_is_refused_before_any_request(
    vertex: VertexStandIn, connection: Connection, profile_path: Path, uri: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        deploy_model(_profile(profile_path), "penguin", uri, 1, connection=connection)
    message = str(caught.value)
    assert "\n" not in message
    assert "model 'penguin' version 1" in message and repr(uri) in message
    assert "not a Cloud Storage URI" in message and "gs://" in message
    assert vertex.requests == []


def test_an_api_error_is_one_paragraph_naming_operation_and_place(
    vertex: VertexStandIn, connection: Connection, profile_path: Path
) -> None:
    vertex.fail_next(
        "POST", f"{PARENT}/models:upload", 403, "Permission 'aiplatform.models.upload' denied"
    )
    with pytest.raises(VertexError) as caught:
        _deploy(profile_path, connection, 1)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith("Vertex AI: could not upload model 'penguin' version 1")
    assert f"project '{PROJECT}', region '{REGION}'" in message
    assert "403" in message and "Permission 'aiplatform.models.upload' denied" in message
    assert vertex.models == {} and vertex.endpoints == {}


def test_two_endpoints_with_the_name_are_refused_not_guessed(
    vertex: VertexStandIn, connection: Connection, profile_path: Path
) -> None:
    for endpoint_id in ("11", "12"):
        name = f"projects/{PROJECT}/locations/{REGION}/endpoints/{endpoint_id}"
        with vertex.lock:
            vertex.state.endpoints[name] = {
                "name": name,
                "displayName": "penguin",
                "deployedModels": [],
                "trafficSplit": {},
            }
    with pytest.raises(VertexError, match=r"2 endpoints are named 'penguin'.*endpoints/11"):
        _deploy(profile_path, connection, 1)
    assert _deploy_bodies(vertex) == []


def test_a_profile_without_a_vertex_section_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kubeflow.yaml"
    path.write_text(yaml.safe_dump({**PROFILE, "runner": "kubeflow", "vertex": None}))
    with pytest.raises(ConfigError, match="no 'vertex' section"):
        deploy_model(load_profile(path), "penguin", _artifact(1), 1)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("traffic_percentage=150", "vertex.serving.traffic_percentage: Input should be less"),
        ("min_replica_count=0", "vertex.serving.min_replica_count: Input should be greater"),
        (
            "{min_replica_count: 3, max_replica_count: 2}",
            "vertex.serving: max_replica_count (2) is below min_replica_count (3)",
        ),
        ("accelerator={type: NVIDIA_TESLA_T4, count: 0}", "vertex.serving.accelerator.count:"),
        (
            "accelerator={type: TPU_V3, count: 8}",
            "vertex.serving: accelerator TPU_V3: the prebuilt",
        ),
        ("machine_type=N1 Standard", "vertex.serving.machine_type: String should match"),
        ("serving_image=Not An Image", "vertex.serving.serving_image: 'Not An Image' is not a"),
        ("labels={Team: ML}", "vertex.serving.labels: label Team='ML'"),
        ("traffic=10", "vertex.serving.traffic: unknown key"),
    ],
)
def test_profile_errors_name_the_field(profile_path: Path, override: str, expected: str) -> None:
    key, _, value = override.partition("=")
    setting = f"vertex.serving={key}" if key.startswith("{") else f"vertex.serving.{key}={value}"
    with pytest.raises(ConfigError) as caught:
        load_profile(profile_path, [setting])
    message = str(caught.value)
    assert message.startswith(f"invalid runner profile {profile_path}:")
    assert expected in message


# ------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize(
    ("current", "percentage", "expected"),
    [
        ({}, 10, {"0": 100}),  # nothing serves yet: the new model takes all traffic
        ({"7": 0}, 30, {"0": 100}),
        ({"7": 100}, 100, {"0": 100}),
        ({"7": 100}, 10, {"0": 10, "7": 90}),
        ({"7": 90, "8": 10}, 20, {"0": 20, "7": 72, "8": 8}),
        ({"7": 34, "8": 33, "9": 33}, 50, {"0": 50, "7": 17, "8": 17, "9": 16}),
        ({"7": 60, "8": 40}, 0, {"7": 60, "8": 40}),  # deployed without traffic
        ({"7": 99, "8": 1}, 50, {"0": 50, "7": 50}),  # a share rounded to 0 is dropped
    ],
)
def test_split_traffic(current: dict, percentage: int, expected: dict) -> None:
    split = split_traffic(current, percentage)
    assert split == expected
    assert sum(split.values()) == 100


@pytest.mark.parametrize(
    ("region", "accelerator", "image"),
    [
        ("us-central1", None, CPU_IMAGE),
        ("us-central1", {"type": "NVIDIA_L4", "count": 1}, GPU_IMAGE),
        ("europe-west4", None, "europe-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-16:latest"),
        ("asia-east1", None, "asia-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-16:latest"),
        ("me-west1", None, CPU_IMAGE),
    ],
)
def test_default_serving_image(region: str, accelerator: dict | None, image: str) -> None:
    assert VertexServing(accelerator=accelerator).image(region) == image


def test_request_logging_reaches_the_endpoint_create_request(
    vertex: VertexStandIn, connection: Connection, profile_path: Path
) -> None:
    """Issue 24: Vertex logs sampled requests and answers to BigQuery when the profile asks;
    the exact create request carries it (and an endpoint without it carries none)."""
    _deploy(
        profile_path,
        connection,
        1,
        "vertex.serving.request_logging={bigquery_table: 'bq://my-project.serving.penguin_log', "
        "sampling_rate: 0.25}",
    )
    (create,) = vertex.calls("POST", f"{PARENT}/endpoints")
    config = create.body["predictRequestResponseLoggingConfig"]
    assert config["enabled"] is True and config["samplingRate"] == 0.25
    assert config["bigqueryDestination"]["outputUri"] == "bq://my-project.serving.penguin_log"


def test_request_logging_is_off_unless_asked_and_its_table_is_checked(
    vertex: VertexStandIn, connection: Connection, profile_path: Path
) -> None:
    _deploy(profile_path, connection, 1)
    (create,) = vertex.calls("POST", f"{PARENT}/endpoints")
    assert "predictRequestResponseLoggingConfig" not in create.body
    with pytest.raises(ConfigError, match="bigquery_table"):
        _profile(profile_path, "vertex.serving.request_logging={bigquery_table: my_table}")
