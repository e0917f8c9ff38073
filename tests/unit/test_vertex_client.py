"""Vertex AI client layer against a local server that STANDS IN for Vertex AI.

Vertex AI cannot be reached from here (no network, no GCP project), so
``tests.standins.vertex_server`` serves the documented v1 REST endpoints the client calls, in
memory, on 127.0.0.1. The real ``google-cloud-aiplatform`` SDK talks to it over its REST
transport (``api_endpoint="http://127.0.0.1:PORT"``) with anonymous credentials. The SDK's
Cloud Storage bucket check in ``PipelineJob.submit`` goes to the same stand-in through the
storage client's documented ``STORAGE_EMULATOR_HOST``. Assertions are on outcomes: the
stand-in's resources and the requests it recorded.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from google.auth.credentials import AnonymousCredentials
from google.cloud.aiplatform import initializer
from google.cloud.aiplatform.utils import resource_manager_utils

from tests.conftest import REPO
from tests.standins.vertex_server import VertexStandIn, running_vertex_server
from tfxkit.runners.vertex_client import (
    FINGERPRINT_LABEL,
    ScheduleInfo,
    VertexError,
    VertexTarget,
    apply_schedule,
    delete_schedule,
    list_schedules,
    pause_schedule,
    resume_schedule,
    schedule_fingerprint,
    submit_job,
    validate_cron,
)

PROJECT = "tfxkit-test"
REGION = "us-central1"
PARENT = f"/v1/projects/{PROJECT}/locations/{REGION}"
SERVICE_ACCOUNT = "runner@tfxkit-test.iam.gserviceaccount.com"
GOLDEN_SPEC = REPO / "tests" / "golden" / "penguin.kfp-pipelinespec.yaml"


def _package(**spec_overrides: Any) -> dict[str, Any]:
    """A small PipelineJob JSON shaped like KubeflowV2DagRunner's output.

    One task (not zero) so that the SDK's per-task caching switch shows up in what is sent.
    """
    spec = {
        "pipelineInfo": {"name": "penguin"},
        "root": {
            "dag": {
                "tasks": {
                    "example_gen": {
                        "taskInfo": {"name": "example_gen"},
                        "componentRef": {"name": "example_gen"},
                    }
                }
            }
        },
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


@pytest.fixture(autouse=True)
def _restore_sdk_config() -> Iterator[None]:
    """``aiplatform.init`` state is process-wide: put it back as it was after each test.

    (``aiplatform.init`` is bound to the original config object, so it is restored in place
    rather than swapped for a new one.)
    """
    config = initializer.global_config
    saved = dict(vars(config))
    yield
    vars(config).clear()
    vars(config).update(saved)


@pytest.fixture
def vertex(monkeypatch: pytest.MonkeyPatch) -> Iterator[VertexStandIn]:
    """The stand-in, with the SDK's pre-submit bucket check pointed at it too.

    ``PipelineJob.submit`` checks that the pipeline root's bucket exists and belongs to the
    project: a Cloud Storage GET (redirected to the stand-in by ``STORAGE_EMULATOR_HOST``, which
    google-cloud-storage documents for emulators) and a Resource Manager lookup of the project
    number, for which the SDK offers no endpoint override. Test-only adaptation: that one lookup
    is replaced by the stand-in's answer, so nothing leaves 127.0.0.1.
    """
    with running_vertex_server() as server:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", server.url)
        monkeypatch.setattr(
            resource_manager_utils,
            "get_project_number",
            lambda project_id, credentials=None: server.project_number(project_id),
        )
        yield server


@pytest.fixture
def target(vertex: VertexStandIn) -> VertexTarget:
    return VertexTarget(
        project=PROJECT,
        region=REGION,
        pipeline_root="gs://tfxkit-bucket/root/penguin",
        service_account=SERVICE_ACCOUNT,
        labels={"team": "ml"},
        api_endpoint=vertex.url,
        credentials=AnonymousCredentials(),
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


def _schedule_creates(vertex: VertexStandIn) -> list:
    return vertex.requests_to("POST", f"{PARENT}/schedules")


def _deletes(vertex: VertexStandIn) -> list:
    return vertex.requests_to("DELETE", f"{PARENT}/schedules/[^/]+")


# ----------------------------------------------------------------------------- submit


@pytest.mark.parametrize("caching", [True, False])
def test_submit_sends_the_package_with_settings(
    vertex: VertexStandIn, target: VertexTarget, package: Path, caching: bool
) -> None:
    job = submit_job(target, package, "penguin", enable_caching=caching)

    match = re.fullmatch(
        rf"projects/{PROJECT}/locations/{REGION}/pipelineJobs/(penguin-\d{{14}}-[0-9a-f]{{6}})",
        job.name,
    )
    assert match, job.name
    job_id = match[1]
    assert job.console_url == (
        f"https://console.cloud.google.com/vertex-ai/locations/{REGION}/pipelines/runs/"
        f"{job_id}?project={PROJECT}"
    )
    (create,) = vertex.requests_to("POST", f"{PARENT}/pipelineJobs")
    assert create.query["pipelineJobId"] == [job_id]
    body = create.body
    assert body["displayName"] == "penguin"
    assert body["serviceAccount"] == SERVICE_ACCOUNT
    assert body["runtimeConfig"]["gcsOutputDirectory"] == "gs://tfxkit-bucket/root/penguin"
    # The package's own TFX labels survive, merged under the target's.
    assert body["labels"] == {"tfx_version": "1-16-0", "team": "ml"}
    spec = body["pipelineSpec"]
    assert spec["deploymentSpec"] == _package()["pipelineSpec"]["deploymentSpec"]
    task = spec["root"]["dag"]["tasks"]["example_gen"]
    assert task["cachingOptions"] == {"enableCache": caching}
    # The stand-in holds the job under the returned name.
    assert vertex.pipeline_jobs[job.name]["serviceAccount"] == SERVICE_ACCOUNT
    # The SDK's bucket get-or-create check reached the storage stand-in and created nothing.
    assert vertex.requests_to("GET", "/storage/v1/b/tfxkit-bucket")
    assert not vertex.requests_to("POST", "/storage/v1/b.*")


def test_submit_display_name_and_unique_run_ids(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    first = submit_job(target, package, "penguin", display_name="penguin nightly check")
    second = submit_job(target, package, "penguin")
    assert first.name != second.name  # the SDK's default id (name + seconds) would collide
    assert set(vertex.pipeline_jobs) == {first.name, second.name}
    assert vertex.pipeline_jobs[first.name]["displayName"] == "penguin nightly check"


def test_submit_a_real_tfx_compiled_spec(
    vertex: VertexStandIn, target: VertexTarget, tmp_path: Path
) -> None:
    """The golden penguin spec compiled by TFX's KubeflowV2DagRunner goes through the SDK."""
    if not GOLDEN_SPEC.exists():
        pytest.skip(f"{GOLDEN_SPEC} not present")
    spec = yaml.safe_load(GOLDEN_SPEC.read_text())
    path = tmp_path / "penguin.json"
    path.write_text(
        json.dumps(
            {
                "displayName": "penguin",
                "labels": {"tfx_version": "1-16-0", "tfx_runner": "kubeflow_v2"},
                "pipelineSpec": spec,
                "runtimeConfig": {"gcsOutputDirectory": spec["defaultPipelineRoot"]},
            }
        )
    )
    job = submit_job(target, path, "penguin", enable_caching=False)

    sent = vertex.pipeline_jobs[job.name]["pipelineSpec"]
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
    job = submit_job(target, bare_spec, "penguin", enable_caching=False)
    sent = vertex.pipeline_jobs[job.name]
    assert sent["runtimeConfig"]["gcsOutputDirectory"] == target.pipeline_root
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
        submit_job(target, not_spec, "penguin")
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json: [")
    with pytest.raises(VertexError, match="neither JSON nor YAML"):
        submit_job(target, garbage, "penguin")
    no_deployment = tmp_path / "broken.json"
    broken = _package()
    del broken["pipelineSpec"]["deploymentSpec"]
    no_deployment.write_text(json.dumps(broken))
    with pytest.raises(VertexError, match="lacks deploymentSpec"):
        submit_job(target, no_deployment, "penguin")
    with pytest.raises(VertexError, match="cannot read the compiled package"):
        submit_job(target, tmp_path / "missing.json", "penguin")
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
        submit_job(target, path, "penguin")
    message = str(caught.value)
    assert "\n" not in message
    assert f"project '{PROJECT}', region '{REGION}'" in message
    assert "submit pipeline 'penguin'" in message
    assert "400" in message and "deploymentSpec" in message
    assert vertex.pipeline_jobs == {}


def test_submit_requires_a_cloud_storage_pipeline_root(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    local = VertexTarget(**{**target.__dict__, "pipeline_root": "/tmp/root"})
    with pytest.raises(VertexError, match="must be a Cloud Storage URI"):
        submit_job(local, package, "penguin")
    assert vertex.requests == []


# -------------------------------------------------------------------------- schedules


def test_apply_schedule_created_unchanged_replaced(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    created = apply_schedule(target, package, "penguin", "nightly", "0 3 * * *")
    assert created.action == "created"
    assert list(vertex.schedules) == [created.name]
    (create,) = _schedule_creates(vertex)
    body = create.body
    assert body["displayName"] == "penguin:nightly"
    assert body["cron"] == "0 3 * * *"
    assert int(body["maxConcurrentRunCount"]) == 1
    job = body["createPipelineJobRequest"]["pipelineJob"]
    assert job["serviceAccount"] == SERVICE_ACCOUNT
    assert job["runtimeConfig"]["gcsOutputDirectory"] == "gs://tfxkit-bucket/root/penguin"
    assert job["pipelineSpec"]["deploymentSpec"] == _package()["pipelineSpec"]["deploymentSpec"]
    fingerprint = job["labels"].pop(FINGERPRINT_LABEL)
    assert re.fullmatch(r"[0-9a-f]{63}", fingerprint)
    assert job["labels"] == {"tfx_version": "1-16-0", "team": "ml"}
    # Looked up by its key before creating.
    lookups = vertex.requests_to("GET", f"{PARENT}/schedules")
    assert lookups[0].query["filter"] == ['display_name="penguin:nightly"']

    vertex.clear_requests()
    again = apply_schedule(target, package, "penguin", "nightly", "0  3 * * *")
    assert again.action == "unchanged"
    assert again.name == created.name
    assert _schedule_creates(vertex) == [] and _deletes(vertex) == []
    assert list(vertex.schedules) == [created.name]

    vertex.clear_requests()
    replaced = apply_schedule(target, package, "penguin", "nightly", "30 4 * * *")
    assert replaced.action == "replaced"
    assert replaced.name != created.name
    assert list(vertex.schedules) == [replaced.name]  # exactly one schedule for the key
    assert vertex.schedules[replaced.name]["cron"] == "30 4 * * *"
    # The new schedule exists before the old one is deleted.
    paths = [(r.method, r.path) for r in vertex.requests]
    create_at = paths.index(("POST", f"{PARENT}/schedules"))
    delete_at = paths.index(("DELETE", f"/v1/{created.name}"))
    assert create_at < delete_at


@pytest.mark.parametrize(
    "change",
    [
        {"enable_caching": False},
        {"max_concurrent_run_count": 3},
        {"package": _package(sdkVersion="tfx-1.16.1")},
        {"target": {"service_account": "other@tfxkit-test.iam.gserviceaccount.com"}},
    ],
    ids=["caching", "concurrency", "package", "service-account"],
)
def test_any_change_to_a_schedule_replaces_it(
    vertex: VertexStandIn, target: VertexTarget, package: Path, change: dict[str, Any]
) -> None:
    first = apply_schedule(target, package, "penguin", "nightly", "0 3 * * *")
    kwargs = {k: v for k, v in change.items() if k not in ("package", "target")}
    if "package" in change:
        package.write_text(json.dumps(change["package"]))
    if "target" in change:
        target = VertexTarget(**{**target.__dict__, **change["target"]})
    result = apply_schedule(target, package, "penguin", "nightly", "0 3 * * *", **kwargs)
    assert result.action == "replaced"
    assert list(vertex.schedules) == [result.name] != [first.name]


def test_replacing_a_paused_schedule_keeps_it_paused(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    apply_schedule(target, package, "penguin", "nightly", "0 3 * * *")
    pause_schedule(target, "penguin", "nightly")
    result = apply_schedule(target, package, "penguin", "nightly", "0 4 * * *")
    assert result.action == "replaced"
    assert vertex.schedules[result.name]["state"] == "PAUSED"


def test_apply_cleans_up_duplicates_of_a_key(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    """A replace whose delete failed left two schedules; applying again leaves one."""
    kept = apply_schedule(target, package, "penguin", "nightly", "0 3 * * *")
    with vertex.state.lock:
        original = vertex.state.schedules[kept.name]
        vertex.state.schedules[f"{kept.name}9"] = {
            **original,
            "name": f"{kept.name}9",
            "cron": "0 1 * * *",
        }
    result = apply_schedule(target, package, "penguin", "nightly", "0 3 * * *")
    assert (result.action, result.name) == ("replaced", kept.name)
    assert list(vertex.schedules) == [kept.name]
    assert _schedule_creates(vertex)[1:] == []  # nothing new was created


def test_list_pause_resume_delete(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    nightly = apply_schedule(target, package, "penguin", "nightly", "0 3 * * *")
    hourly = apply_schedule(target, package, "penguin", "hourly", "0 * * * *")
    other = apply_schedule(target, package, "taxi", "nightly", "TZ=Europe/Paris 0 2 * * *")
    with vertex.state.lock:  # made elsewhere (console), not keyed pipeline:schedule
        vertex.state.schedules["foreign"] = {
            "name": f"projects/{PROJECT}/locations/{REGION}/schedules/42",
            "displayName": "made-by-hand",
            "cron": "0 0 * * *",
            "state": "ACTIVE",
        }

    everything = list_schedules(target)
    assert [(i.pipeline_name, i.schedule_name) for i in everything] == [
        ("penguin", "hourly"),
        ("penguin", "nightly"),
        ("taxi", "nightly"),
    ]
    penguin = list_schedules(target, "penguin")
    assert [i.name for i in penguin] == [hourly.name, nightly.name]
    taxi = list_schedules(target, "taxi")
    assert taxi == [
        ScheduleInfo(
            name=other.name,
            display_name="taxi:nightly",
            pipeline_name="taxi",
            schedule_name="nightly",
            cron="TZ=Europe/Paris 0 2 * * *",
            state="ACTIVE",
            fingerprint=vertex.schedules[other.name]["createPipelineJobRequest"]["pipelineJob"][
                "labels"
            ][FINGERPRINT_LABEL],
        )
    ]

    vertex.clear_requests()
    paused = pause_schedule(target, "penguin", "nightly")
    assert (paused.name, paused.state) == (nightly.name, "PAUSED")
    assert vertex.schedules[nightly.name]["state"] == "PAUSED"
    assert vertex.schedules[hourly.name]["state"] == "ACTIVE"
    assert pause_schedule(target, "penguin", "nightly").state == "PAUSED"  # idempotent
    assert len(vertex.requests_to("POST", f"/v1/{nightly.name}:pause")) == 1

    resumed = resume_schedule(target, "penguin", "nightly")
    assert resumed.state == "ACTIVE"
    assert vertex.schedules[nightly.name]["state"] == "ACTIVE"
    assert len(vertex.requests_to("POST", f"/v1/{nightly.name}:resume")) == 1

    delete_schedule(target, "penguin", "nightly")
    assert nightly.name not in vertex.schedules
    assert {hourly.name, other.name} <= set(vertex.schedules)
    assert [i.schedule_name for i in list_schedules(target, "penguin")] == ["hourly"]


def test_delete_waits_for_the_long_running_operation(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    result = apply_schedule(target, package, "penguin", "nightly", "0 3 * * *")
    vertex.state.complete_deletes_immediately = False
    delete_schedule(target, "penguin", "nightly")
    assert vertex.schedules == {}
    polls = vertex.requests_to("GET", rf"/(v1|ui)/{result.name}/operations/\d+")
    assert polls, [r.path for r in vertex.requests]


@pytest.mark.parametrize(
    "operation",
    [
        lambda t: pause_schedule(t, "penguin", "nope"),
        lambda t: resume_schedule(t, "penguin", "nope"),
        lambda t: delete_schedule(t, "penguin", "nope"),
    ],
    ids=["pause", "resume", "delete"],
)
def test_missing_schedule_is_a_clear_error(
    vertex: VertexStandIn, target: VertexTarget, operation: Any
) -> None:
    with pytest.raises(VertexError) as caught:
        operation(target)
    message = str(caught.value)
    assert "no schedule named 'penguin:nope'" in message
    assert f"project '{PROJECT}', region '{REGION}'" in message
    assert not [r for r in vertex.requests if r.method != "GET"]


@pytest.mark.parametrize(
    "cron",
    [
        "",
        "0 3 * *",
        "0 0 3 * * *",
        "@daily",
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "* * * 13 *",
        "* * * * 8",
        "*/0 * * * *",
        "5-1 * * * *",
        "0 3 * * FUN",
        "0 3 ? * *",
        "TZ=Mars/Olympus_Mons 0 3 * * *",
    ],
)
def test_bad_cron_is_rejected_before_anything_is_sent(
    vertex: VertexStandIn, target: VertexTarget, package: Path, cron: str
) -> None:
    with pytest.raises(VertexError, match="invalid cron") as caught:
        apply_schedule(target, package, "penguin", "nightly", cron)
    assert f"project '{PROJECT}'" in str(caught.value)
    assert vertex.requests == []


@pytest.mark.parametrize(
    ("cron", "normalized"),
    [
        ("0 3 * * *", "0 3 * * *"),
        ("*/15  9-17 * * MON-FRI", "*/15 9-17 * * MON-FRI"),
        ("TZ=Europe/Paris 0 3 * * *", "TZ=Europe/Paris 0 3 * * *"),
        ("CRON_TZ=America/New_York 0 0 1,15 jan,JUL 0,7", None),
    ],
)
def test_good_cron_is_accepted(cron: str, normalized: str | None) -> None:
    assert validate_cron(cron) == (normalized or cron)


def test_invalid_schedule_keys_are_rejected(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    with pytest.raises(VertexError, match="schedule name"):
        apply_schedule(target, package, "penguin", "night ly", "0 3 * * *")
    with pytest.raises(VertexError, match="contain no ':'"):
        pause_schedule(target, "pen:guin", "nightly")
    assert vertex.requests == []


def test_fingerprint_is_a_label_value_that_tracks_every_input(
    target: VertexTarget,
) -> None:
    base = dict(enable_caching=True, max_concurrent_run_count=1)
    fp = schedule_fingerprint(target, "0 3 * * *", b"pkg", **base)
    assert re.fullmatch(r"[0-9a-f]{63}", fp)
    assert fp == schedule_fingerprint(target, "0  3 * * *", b"pkg", **base)
    variants = {
        schedule_fingerprint(target, "0 4 * * *", b"pkg", **base),
        schedule_fingerprint(target, "0 3 * * *", b"pkg2", **base),
        schedule_fingerprint(
            target, "0 3 * * *", b"pkg", enable_caching=False, max_concurrent_run_count=1
        ),
        schedule_fingerprint(
            VertexTarget(**{**target.__dict__, "labels": {"team": "other"}}),
            "0 3 * * *",
            b"pkg",
            **base,
        ),
    }
    assert fp not in variants and len(variants) == 4


# ----------------------------------------------------------------------- unreachable


def test_unreachable_endpoint_is_a_clear_error(
    vertex: VertexStandIn, target: VertexTarget, package: Path
) -> None:
    down = VertexTarget(**{**target.__dict__, "api_endpoint": f"http://127.0.0.1:{_unused_port()}"})
    for call in (
        lambda: list_schedules(down),
        lambda: apply_schedule(down, package, "penguin", "nightly", "0 3 * * *"),
        lambda: submit_job(down, package, "penguin"),
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
    moon = VertexTarget(**{**target.__dict__, "region": "moon-base1"})
    with pytest.raises(VertexError, match=r"region 'moon-base1'.*invalid argument.*region"):
        list_schedules(moon)
    bad_labels = VertexTarget(**{**target.__dict__, "labels": {"Team": "ML Platform"}})
    with pytest.raises(VertexError, match="invalid labels Team=ML Platform"):
        submit_job(bad_labels, package, "penguin")
    with pytest.raises(VertexError, match="invalid labels"):
        apply_schedule(bad_labels, package, "penguin", "nightly", "0 3 * * *")
    assert vertex.requests == []


def test_default_endpoint_is_regional() -> None:
    def endpoint(region: str) -> str:
        return VertexTarget(project="p", region=region, pipeline_root="gs://b").endpoint

    assert endpoint("europe-west4") == "europe-west4-aiplatform.googleapis.com"
    assert endpoint("global") == "aiplatform.googleapis.com"
