"""tfxkit's Vertex backend against a local server that STANDS IN for Vertex AI.

Vertex AI cannot be reached from here (no network, no GCP project), so
``tests.standins.vertex_server`` serves the documented v1 REST endpoints the backend calls, in
memory, on 127.0.0.1. The real ``google-cloud-aiplatform`` SDK talks to it over its REST
transport (``api_endpoint="http://127.0.0.1:PORT"``) with anonymous credentials; its Cloud
Storage bucket check goes to the same stand-in (``vertex_sdk_stand_in``). Assertions are on
outcomes: the stand-in's resources and the requests it recorded. What schedules mean on every
backend is in ``test_schedules.py``; here is Vertex's own: jobs, labels, settings, errors.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from google.auth.credentials import AnonymousCredentials

from tests.paths import CONFIGS, GOLDEN_DIR
from tests.standins.vertex_server import VertexStandIn, vertex_sdk_stand_in
from tfxkit.config.profiles import load_profile
from tfxkit.errors import RemoteError
from tfxkit.pipeline.kfp_compiler import CompiledPipeline
from tfxkit.runners.backends import get_backend
from tfxkit.runners.backends.base import ScheduleAction, ScheduleState
from tfxkit.runners.backends.schedules import FINGERPRINT_LABEL
from tfxkit.runners.backends.vertex import VertexBackend, VertexError, VertexTarget

PROJECT = "tfxkit-test"
REGION = "us-central1"
PARENT = f"/v1/projects/{PROJECT}/locations/{REGION}"
SERVICE_ACCOUNT = "runner@tfxkit-test.iam.gserviceaccount.com"
GOLDEN_SPEC = GOLDEN_DIR / "pipelines" / "penguin" / "kfp-pipelinespec.yaml"
ROOT = "gs://tfxkit-bucket/root/penguin"


def _package(**spec_overrides: Any) -> dict[str, Any]:
    """A small PipelineJob JSON shaped like KubeflowV2DagRunner's output.

    One task (not zero) so that the SDK's per-task caching switch shows up in what is sent.
    """
    task = {"taskInfo": {"name": "example_gen"}, "componentRef": {"name": "example_gen"}}
    spec = {
        "pipelineInfo": {"name": "penguin"},
        "root": {"dag": {"tasks": {"example_gen": task}}},
        "components": {"example_gen": {"executorLabel": "example_gen_executor"}},
        "deploymentSpec": {
            "executors": {"example_gen_executor": {"container": {"image": "gcr.io/p/tfxkit:1"}}}
        },
        "schemaVersion": "2.0.0",
        "sdkVersion": "tfx-1.16.0",
    }
    spec.update(spec_overrides)
    return {
        "displayName": "penguin",
        "labels": {"tfx_version": "1-16-0"},
        "pipelineSpec": spec,
        "runtimeConfig": {"gcsOutputDirectory": "gs://b/root"},
    }


@pytest.fixture
def vertex(monkeypatch: pytest.MonkeyPatch) -> Iterator[VertexStandIn]:
    with vertex_sdk_stand_in(monkeypatch) as server:
        yield server


@pytest.fixture
def target(vertex: VertexStandIn) -> VertexTarget:
    # project, region, service account, labels, endpoint, credentials
    labels = {"team": "ml"}
    return VertexTarget(
        PROJECT, REGION, SERVICE_ACCOUNT, labels, vertex.url, AnonymousCredentials()
    )


@pytest.fixture
def package(tmp_path: Path) -> Path:
    path = tmp_path / "penguin.json"
    path.write_text(json.dumps(_package(), indent=2))
    return path


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _compiled(path: Path, root: str = ROOT) -> CompiledPipeline:
    return CompiledPipeline(path, "penguin", root, ["example_gen"])


def _submit(target: VertexTarget, path: Path, caching: bool = True, **kwargs: Any):
    return VertexBackend(target).submit(_compiled(path, **kwargs), enable_caching=caching)


def _apply(target: VertexTarget, path: Path, cron: str = "0 3 * * *", name: str = "nightly", **kw):
    backend = VertexBackend(target, **kw)
    return backend.apply_schedule(_compiled(path), name, cron, enable_caching=True)


# ----------------------------------------------------------------------------- submit


@pytest.mark.parametrize("caching", [True, False])
def test_submit_sends_the_package_with_settings(
    vertex: VertexStandIn, target: VertexTarget, package: Path, caching: bool
) -> None:
    job = _submit(target, package, caching)

    match = re.fullmatch(
        rf"projects/{PROJECT}/locations/{REGION}/pipelineJobs/(penguin-\d{{14}}-[0-9a-f]{{6}})",
        job.id,
    )
    assert match, job.id
    job_id = match[1]
    assert job.url == (
        f"https://console.cloud.google.com/vertex-ai/locations/{REGION}/pipelines/runs/"
        f"{job_id}?project={PROJECT}"
    )
    (create,) = vertex.calls("POST", f"{PARENT}/pipelineJobs")
    assert create.query["pipelineJobId"] == [job_id]
    body = create.body
    assert body["displayName"] == "penguin"
    assert body["serviceAccount"] == SERVICE_ACCOUNT
    assert body["runtimeConfig"]["gcsOutputDirectory"] == ROOT
    # The package's own TFX labels survive, merged under the target's.
    assert body["labels"] == {"tfx_version": "1-16-0", "team": "ml"}
    spec = body["pipelineSpec"]
    assert spec["deploymentSpec"] == _package()["pipelineSpec"]["deploymentSpec"]
    task = spec["root"]["dag"]["tasks"]["example_gen"]
    assert task["cachingOptions"] == {"enableCache": caching}
    # The stand-in holds the job under the returned name.
    assert vertex.pipeline_jobs[job.id]["serviceAccount"] == SERVICE_ACCOUNT
    # The SDK's bucket get-or-create check reached the storage stand-in and created nothing.
    assert vertex.calls("GET", "/storage/v1/b/tfxkit-bucket")
    assert not vertex.calls("POST", "/storage/v1/b.*")


def test_submit_display_name_and_unique_run_ids(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    backend = VertexBackend(target)
    first = backend.submit(_compiled(package), enable_caching=True, run_name="penguin check")
    second = backend.submit(_compiled(package), enable_caching=True)
    assert first.id != second.id  # the SDK's default id (name + seconds) would collide
    assert set(vertex.pipeline_jobs) == {first.id, second.id}
    assert vertex.pipeline_jobs[first.id]["displayName"] == "penguin check"
    assert vertex.pipeline_jobs[second.id]["displayName"] == "penguin"


def test_submit_a_real_tfx_compiled_spec(
    vertex: VertexStandIn, target: VertexTarget, tmp_path: Path
) -> None:
    """The golden penguin spec compiled by TFX's KubeflowV2DagRunner goes through the SDK."""
    if not GOLDEN_SPEC.exists():
        pytest.skip(f"{GOLDEN_SPEC} not present")
    spec = yaml.safe_load(GOLDEN_SPEC.read_text())
    job_json = {
        "displayName": "penguin",
        "labels": {"tfx_version": "1-16-0", "tfx_runner": "kubeflow_v2"},
        "pipelineSpec": spec,
        "runtimeConfig": {"gcsOutputDirectory": spec["defaultPipelineRoot"]},
    }
    path = tmp_path / "penguin.json"
    path.write_text(json.dumps(job_json))
    job = _submit(target, path, caching=False)

    sent = vertex.pipeline_jobs[job.id]["pipelineSpec"]
    assert set(sent["root"]["dag"]["tasks"]) == set(spec["root"]["dag"]["tasks"])
    assert sent["deploymentSpec"] == spec["deploymentSpec"]
    caching = {t["cachingOptions"]["enableCache"] for t in sent["root"]["dag"]["tasks"].values()}
    assert caching == {False}


def test_submit_accepts_a_bare_pipeline_spec_yaml(
    vertex: VertexStandIn, target: VertexTarget, tmp_path: Path
) -> None:
    """Like the SDK's template_path: the Kubeflow-style bare PipelineSpec YAML works too."""
    bare_spec = tmp_path / "penguin.yaml"
    bare_spec.write_text(yaml.safe_dump(_package()["pipelineSpec"]))
    job = _submit(target, bare_spec, caching=False)
    sent = vertex.pipeline_jobs[job.id]
    assert sent["runtimeConfig"]["gcsOutputDirectory"] == ROOT
    assert sent["labels"] == {"team": "ml"}
    assert sent["pipelineSpec"]["root"]["dag"]["tasks"]["example_gen"]["cachingOptions"] == {
        "enableCache": False
    }


def test_submit_rejects_what_is_not_a_pipeline_package(
    vertex: VertexStandIn, target: VertexTarget, tmp_path: Path
) -> None:
    not_spec = tmp_path / "config.yaml"
    not_spec.write_text(yaml.safe_dump({"name": "penguin", "training": {"steps": 10}}))
    with pytest.raises(VertexError, match="not a bare PipelineSpec"):
        _submit(target, not_spec)
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json: [")
    with pytest.raises(VertexError, match="neither JSON nor YAML"):
        _submit(target, garbage)
    no_deployment = tmp_path / "broken.json"
    broken = _package()
    del broken["pipelineSpec"]["deploymentSpec"]
    no_deployment.write_text(json.dumps(broken))
    with pytest.raises(VertexError, match="lacks deploymentSpec"):
        _submit(target, no_deployment)
    with pytest.raises(VertexError, match="cannot read the compiled package"):
        _submit(target, tmp_path / "missing.json")
    assert vertex.requests == []


def test_stand_in_rejects_a_job_without_a_compiled_spec(vertex: VertexStandIn) -> None:
    """The stand-in enforces what lets the tests prove the real artifact is sent."""
    url = f"{vertex.url}{PARENT}/pipelineJobs?pipelineJobId=x-1"
    no_spec = requests.post(url, json={"displayName": "x"}, timeout=5)
    assert no_spec.status_code == 400
    assert no_spec.json()["error"]["status"] == "INVALID_ARGUMENT"
    spec = _package()["pipelineSpec"]
    del spec["root"]
    assert requests.post(url, json={"pipelineSpec": spec}, timeout=5).status_code == 400
    assert vertex.pipeline_jobs == {}


def test_api_rejection_becomes_one_paragraph_vertex_error(
    vertex: VertexStandIn, target: VertexTarget, tmp_path: Path
) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(_package(deploymentSpec=["not", "an", "object"])))
    with pytest.raises(VertexError) as caught:
        _submit(target, path)
    message = str(caught.value)
    assert "\n" not in message
    assert f"project '{PROJECT}', region '{REGION}'" in message
    assert "submit pipeline 'penguin'" in message
    assert "400" in message and "deploymentSpec" in message
    assert vertex.pipeline_jobs == {}


def test_submit_requires_a_cloud_storage_pipeline_root(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    with pytest.raises(VertexError, match="must be a Cloud Storage URI"):
        _submit(target, package, root="/tmp/root")
    assert vertex.requests == []


# -------------------------------------------------------------------------- schedules


def test_apply_sends_the_package_with_its_settings_and_looks_up_by_key(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    created = _apply(target, package)
    assert created.action is ScheduleAction.CREATED
    assert list(vertex.schedules) == [created.schedule_id]
    (create,) = vertex.calls("POST", f"{PARENT}/schedules")
    body = create.body
    assert body["displayName"] == "penguin:nightly"
    assert body["cron"] == "0 3 * * *"
    assert int(body["maxConcurrentRunCount"]) == 1
    job = body["createPipelineJobRequest"]["pipelineJob"]
    assert job["serviceAccount"] == SERVICE_ACCOUNT
    assert job["runtimeConfig"]["gcsOutputDirectory"] == ROOT
    assert job["pipelineSpec"]["deploymentSpec"] == _package()["pipelineSpec"]["deploymentSpec"]
    fingerprint = job["labels"].pop(FINGERPRINT_LABEL)
    assert re.fullmatch(r"[0-9a-f]{63}", fingerprint)
    assert job["labels"] == {"tfx_version": "1-16-0", "team": "ml"}
    lookups = vertex.calls("GET", f"{PARENT}/schedules")
    assert lookups[0].query["filter"] == ['display_name="penguin:nightly"']


@pytest.mark.parametrize(
    "change",
    [
        {"backend": {"max_concurrent_run_count": 3}},
        {"target": {"service_account": "other@tfxkit-test.iam.gserviceaccount.com"}},
        {"target": {"labels": {"team": "other"}}},
    ],
    ids=["concurrency", "service-account", "labels"],
)
def test_a_change_to_a_vertex_setting_replaces_the_schedule(
    vertex: VertexStandIn, target: VertexTarget, package: Path, change: dict[str, Any]
) -> None:
    first = _apply(target, package)
    changed = replace(target, **change.get("target", {}))
    result = _apply(changed, package, **change.get("backend", {}))
    assert result.action is ScheduleAction.REPLACED
    assert list(vertex.schedules) == [result.schedule_id] != [first.schedule_id]


def test_a_time_zone_is_sent_and_listed_as_given(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    result = _apply(target, package, "TZ=Europe/Paris 0  2 * * *")
    assert vertex.schedules[result.schedule_id]["cron"] == "TZ=Europe/Paris 0 2 * * *"
    (info,) = VertexBackend(target).list_schedules("penguin")
    assert info.cron == "TZ=Europe/Paris 0 2 * * *"


def test_pause_and_resume_are_idempotent(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    created = _apply(target, package)
    backend = VertexBackend(target)
    assert backend.pause("penguin", "nightly").state is ScheduleState.PAUSED
    assert backend.pause("penguin", "nightly").state is ScheduleState.PAUSED
    assert len(vertex.calls("POST", f"/v1/{created.schedule_id}:pause")) == 1
    assert backend.resume("penguin", "nightly").state is ScheduleState.ENABLED
    assert backend.resume("penguin", "nightly").state is ScheduleState.ENABLED
    assert len(vertex.calls("POST", f"/v1/{created.schedule_id}:resume")) == 1


def test_delete_waits_for_the_long_running_operation(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    result = _apply(target, package)
    vertex.state.complete_deletes_immediately = False
    VertexBackend(target).delete("penguin", "nightly")
    assert vertex.schedules == {}
    polls = vertex.calls("GET", rf"/(v1|ui)/{result.schedule_id}/operations/\d+")
    assert polls, [r.path for r in vertex.requests]


def test_invalid_keys_and_settings_are_rejected_before_anything_is_sent(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    with pytest.raises(VertexError, match="contain no ':'"):
        VertexBackend(target).pause("pen:guin", "nightly")
    with pytest.raises(VertexError, match="max_concurrent_run_count must be at least 1"):
        _apply(target, package, max_concurrent_run_count=0)
    assert vertex.requests == []


# ----------------------------------------------------------------------- unreachable


def test_unreachable_endpoint_is_a_clear_error(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    down = replace(target, api_endpoint=f"http://127.0.0.1:{_unused_port()}")
    for call in (
        lambda: VertexBackend(down).list_schedules(),
        lambda: _apply(down, package),
        lambda: _submit(down, package),
    ):
        with pytest.raises(VertexError) as caught:
            call()
        message = str(caught.value)
        assert "\n" not in message
        assert f"project '{PROJECT}', region '{REGION}'" in message
        assert f"cannot reach {down.api_endpoint}" in message


def test_sdk_argument_errors_become_vertex_errors(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    moon = replace(target, region="moon-base1")
    with pytest.raises(VertexError, match=r"region 'moon-base1'.*invalid argument.*region"):
        VertexBackend(moon).list_schedules()
    bad_labels = replace(target, labels={"Team": "ML Platform"})
    with pytest.raises(VertexError, match="invalid labels Team=ML Platform"):
        _submit(bad_labels, package)
    with pytest.raises(VertexError, match="invalid labels"):
        _apply(bad_labels, package)
    assert vertex.requests == []


def test_default_endpoint_is_regional() -> None:
    def endpoint(region: str) -> str:
        return VertexTarget(project="p", region=region).endpoint

    assert endpoint("europe-west4") == "europe-west4-aiplatform.googleapis.com"
    assert endpoint("global") == "aiplatform.googleapis.com"


def test_the_backend_comes_from_the_profile() -> None:
    backend = get_backend(load_profile(CONFIGS / "vertex.yaml"), endpoint="http://vertex:1")
    assert isinstance(backend, VertexBackend) and issubclass(VertexError, RemoteError)
    assert backend.target == VertexTarget(
        project="my-project",
        region="us-central1",
        service_account="tfxkit-pipelines@my-project.iam.gserviceaccount.com",
        labels={"team": "ml-platform", "pipeline": "penguin"},
        api_endpoint="http://vertex:1",
    )
    assert (
        backend.location == "project 'my-project', region 'us-central1', endpoint http://vertex:1"
    )
