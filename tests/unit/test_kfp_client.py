"""tfxkit's KFP client layer against a local server that stands in for a Kubeflow cluster.

No Kubeflow Pipelines cluster can run here, so ``tests.standins.kfp_server`` serves the KFP
v2beta1 REST endpoints ``kfp.Client`` calls, keeps their state in memory and records every
request. The tests drive the real ``kfp.Client`` through ``tfxkit.runners.kfp_client`` and
assert on that server state and on the recorded requests.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import kfp
import pytest
import yaml

from tests.standins.kfp_server import KfpStandIn, running_kfp_server
from tfxkit.runners import kfp_client
from tfxkit.runners.kfp_client import (
    KfpError,
    apply_schedule,
    delete_schedule,
    list_schedules,
    pause_schedule,
    resume_schedule,
    submit_run,
)

API = "/apis/v2beta1"
GCS_ROOT = "gs://b/root"


def _pipeline_job(name: str = "penguin") -> dict[str, Any]:
    """A minimal TFX PipelineJob (KubeflowV2DagRunner's JSON): one task, a pipeline root."""
    return {
        "displayName": name,
        "labels": {"tfx_version": "1-16-0"},
        "pipelineSpec": {
            "pipelineInfo": {"name": name},
            "root": {
                "dag": {
                    "tasks": {
                        "example_gen": {
                            "cachingOptions": {"enableCache": True},
                            "componentRef": {"name": "example_gen"},
                            "taskInfo": {"name": "example_gen"},
                        }
                    }
                }
            },
            "components": {"example_gen": {"executorLabel": "example_gen_executor"}},
            "deploymentSpec": {
                "executors": {
                    "example_gen_executor": {"container": {"image": "tfxkit/pipeline:test"}}
                }
            },
            "schemaVersion": "2.0.0",
            "sdkVersion": "tfx-1.16.0",
        },
        "runtimeConfig": {"gcsOutputDirectory": GCS_ROOT},
    }


@pytest.fixture
def package(tmp_path: Path) -> Path:
    path = tmp_path / "penguin.json"
    path.write_text(json.dumps(_pipeline_job(), indent=2, sort_keys=True))
    return path


@pytest.fixture
def kfp_server() -> Iterator[KfpStandIn]:
    with running_kfp_server() as server:
        yield server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mutating(server: KfpStandIn, since: int) -> list[str]:
    """Method and path of every non-GET request recorded after index ``since``."""
    return [f"{r.method} {r.path}" for r in server.requests[since:] if r.method != "GET"]


def _apply(server: KfpStandIn, package: Path, cron: str = "0 3 * * *", **kwargs: Any) -> Any:
    kwargs.setdefault("experiment", "nightly")
    return apply_schedule(server.url, package, "penguin", "nightly", cron, **kwargs)


# ------------------------------------------------------------------------------ submit_run


def test_submit_creates_experiment_pipeline_and_run(kfp_server: KfpStandIn, package: Path) -> None:
    result = submit_run(kfp_server.url, package, "penguin", experiment="dev", run_name="first")

    (experiment,) = kfp_server.experiments.values()
    (pipeline,) = kfp_server.pipelines.values()
    (version,) = kfp_server.versions.values()
    (run,) = kfp_server.runs.values()
    assert experiment["display_name"] == "dev"
    assert pipeline["display_name"] == "penguin"
    assert result.run_id == run["run_id"]
    assert result.url == f"{kfp_server.url}/#/runs/details/{run['run_id']}"
    assert (result.experiment_id, result.pipeline_id, result.version_id) == (
        experiment["experiment_id"],
        pipeline["pipeline_id"],
        version["pipeline_version_id"],
    )
    assert run["display_name"] == "first"
    assert run["experiment_id"] == experiment["experiment_id"]
    assert run["pipeline_version_reference"] == {
        "pipeline_id": pipeline["pipeline_id"],
        "pipeline_version_id": version["pipeline_version_id"],
    }
    # The PipelineJob's runtimeConfig travels on the run; the server stores the bare spec.
    assert run["runtime_config"]["pipeline_root"] == GCS_ROOT
    (upload,) = kfp_server.calls("POST", f"{API}/pipelines/upload")
    filename, content = upload.files["uploadfile"]
    assert filename.endswith(".yaml")
    assert yaml.safe_load(content) == _pipeline_job()["pipelineSpec"]
    assert upload.query["name"] == "penguin"
    # kfp.Client probes healthz first; the run is the last thing created.
    assert kfp_server.requests[0].path == f"{API}/healthz"
    assert _mutating(kfp_server, 0) == [
        f"POST {API}/experiments",
        f"POST {API}/pipelines/upload",
        f"POST {API}/runs",
    ]


def test_second_submit_reuses_experiment_and_pipeline_and_adds_a_version(
    kfp_server: KfpStandIn, package: Path
) -> None:
    first = submit_run(kfp_server.url, package, "penguin", experiment="dev")
    mark = len(kfp_server.requests)
    second = submit_run(kfp_server.url, package, "penguin", experiment="dev")

    assert _mutating(kfp_server, mark) == [
        f"POST {API}/pipelines/upload_version",
        f"POST {API}/runs",
    ]
    assert len(kfp_server.experiments) == 1 and len(kfp_server.pipelines) == 1
    assert second.experiment_id == first.experiment_id
    assert second.pipeline_id == first.pipeline_id
    assert second.version_id != first.version_id
    assert second.run_id != first.run_id
    new_version = kfp_server.versions[second.version_id]
    assert new_version["pipeline_id"] == first.pipeline_id
    digest = kfp_client._load_package(package, "h").digest
    assert new_version["display_name"].startswith("penguin-")
    assert new_version["display_name"].endswith(digest[:12])
    assert kfp_server.runs[second.run_id]["pipeline_version_reference"]["pipeline_version_id"] == (
        second.version_id
    )


@pytest.mark.parametrize("enable_caching", [False, True])
def test_enable_caching_reaches_the_run_through_its_version(
    kfp_server: KfpStandIn, package: Path, enable_caching: bool
) -> None:
    # The v2beta1 run has no caching field, so the flag is written into the version it runs.
    result = submit_run(
        kfp_server.url, package, "penguin", experiment="dev", enable_caching=enable_caching
    )

    run = kfp_server.runs[result.run_id]
    version_id = run["pipeline_version_reference"]["pipeline_version_id"]
    tasks = kfp_server.uploaded_spec(version_id)["root"]["dag"]["tasks"]
    assert tasks["example_gen"]["cachingOptions"]["enableCache"] is enable_caching


def test_submit_with_namespace_puts_everything_in_it(kfp_server: KfpStandIn, package: Path) -> None:
    result = submit_run(kfp_server.url, package, "penguin", experiment="dev", namespace="team-a")

    assert kfp_server.experiments[result.experiment_id]["namespace"] == "team-a"
    assert kfp_server.pipelines[result.pipeline_id]["namespace"] == "team-a"
    assert kfp_server.runs[result.run_id]["namespace"] == "team-a"
    # With an explicit namespace kfp.Client skips its healthz probe.
    assert not kfp_server.calls("GET", f"{API}/healthz")


def test_submit_accepts_a_bare_pipeline_spec_yaml(kfp_server: KfpStandIn, tmp_path: Path) -> None:
    spec = {**_pipeline_job()["pipelineSpec"], "defaultPipelineRoot": GCS_ROOT}
    path = tmp_path / "penguin.yaml"
    path.write_text("# compiled by tfxkit\n" + yaml.safe_dump(spec))

    result = submit_run(kfp_server.url, path, "penguin", experiment="dev")

    assert kfp_server.uploaded_spec(result.version_id) == spec
    assert kfp_server.runs[result.run_id]["runtime_config"].get("pipeline_root") is None


def test_a_file_that_is_not_a_pipeline_is_rejected_before_any_request(
    kfp_server: KfpStandIn, tmp_path: Path
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("pipeline_name: penguin\ntrainer: {epochs: 3}\n")

    with pytest.raises(KfpError, match="no pipeline spec found") as info:
        submit_run(kfp_server.url, path, "penguin", experiment="dev")

    assert str(path) in str(info.value) and kfp_server.url in str(info.value)
    assert kfp_server.requests == []


def test_stand_in_rejects_a_pipeline_job_wrapper_like_the_real_server(
    kfp_server: KfpStandIn, tmp_path: Path
) -> None:
    # Uploading TFX's PipelineJob JSON as-is is what a real KFP API server refuses; the stand-in
    # must refuse it too, or the tests above would not show that the client unwraps it.
    path = tmp_path / "pipeline.json"
    path.write_text(json.dumps(_pipeline_job()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        client = kfp.Client(host=kfp_server.url)

    with pytest.raises(Exception, match="unknown template format") as info:
        client.upload_pipeline(str(path), pipeline_name="penguin")

    assert getattr(info.value, "status", None) == 400
    assert kfp_server.pipelines == {}


# --------------------------------------------------------------------------------- errors


def test_unreachable_host_is_one_paragraph_naming_the_host(package: Path) -> None:
    host = f"http://127.0.0.1:{_free_port()}"
    started = time.monotonic()

    with pytest.raises(KfpError) as info:
        submit_run(host, package, "penguin", experiment="dev")

    message = str(info.value)
    assert time.monotonic() - started < 10
    assert host in message and "cannot reach Kubeflow Pipelines" in message
    assert "Connection refused" in message
    assert "\n" not in message and "Traceback" not in message
    with pytest.raises(KfpError, match="cannot reach Kubeflow Pipelines at " + host):
        list_schedules(host)


def test_http_error_names_host_operation_and_server_message(
    kfp_server: KfpStandIn, package: Path
) -> None:
    kfp_server.fail_next("POST", f"{API}/runs", 500, "database is locked")

    with pytest.raises(KfpError) as info:
        submit_run(kfp_server.url, package, "penguin", experiment="dev", run_name="r1")

    message = str(info.value)
    assert kfp_server.url in message
    assert "starting run 'r1' of pipeline 'penguin'" in message
    assert "HTTP 500" in message and "database is locked" in message
    assert "\n" not in message
    assert kfp_server.runs == {}


def test_failing_health_check_becomes_one_error_without_logged_tracebacks(
    kfp_server: KfpStandIn,
    package: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # kfp.Client retries healthz 5 times, 5 s apart, logging a traceback each time.
    monkeypatch.setattr("kfp.client.client.time", SimpleNamespace(sleep=lambda seconds: None))
    kfp_server.fail_next("GET", f"{API}/healthz", 503, "upstream connect error", times=5)

    with caplog.at_level(logging.WARNING), pytest.raises(KfpError) as info:
        submit_run(kfp_server.url, package, "penguin", experiment="dev")

    message = str(info.value)
    assert f"Kubeflow Pipelines at {kfp_server.url} did not answer its health check" in message
    assert len(kfp_server.calls("GET", f"{API}/healthz")) == 5
    assert _mutating(kfp_server, 0) == []
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_missing_schedule_is_reported_for_pause_resume_and_delete(
    kfp_server: KfpStandIn,
) -> None:
    expected = f"no schedule 'penguin:nope' on {kfp_server.url}"
    for operation in (pause_schedule, resume_schedule, delete_schedule):
        with pytest.raises(KfpError) as info:
            operation(kfp_server.url, "penguin", "nope")
        assert str(info.value) == expected
    assert _mutating(kfp_server, 0) == []


# ------------------------------------------------------------------------------ schedules


def test_apply_schedule_created_then_unchanged_then_replaced(
    kfp_server: KfpStandIn, package: Path
) -> None:
    created = _apply(kfp_server, package, "0 3 * * *")

    assert created.action == "created"
    (recurring,) = kfp_server.recurring_runs_named("penguin:nightly")
    assert recurring["recurring_run_id"] == created.schedule_id
    assert recurring["trigger"]["cron_schedule"]["cron"] == "0 0 3 * * *"
    assert recurring["mode"] == "ENABLE"
    assert recurring["no_catchup"] is True
    assert recurring["runtime_config"]["pipeline_root"] == GCS_ROOT
    assert "tfxkit-fingerprint=" in recurring["description"]
    reference = recurring["pipeline_version_reference"]
    assert reference["pipeline_version_id"] in kfp_server.versions
    experiment = kfp_server.experiments[recurring["experiment_id"]]
    assert experiment["display_name"] == "nightly"

    mark = len(kfp_server.requests)
    again = _apply(kfp_server, package, "0 3 * * *")

    assert again.action == "unchanged" and again.schedule_id == created.schedule_id
    assert _mutating(kfp_server, mark) == []  # no upload, no create, no delete
    assert [r.path for r in kfp_server.requests[mark:]] == [
        f"{API}/healthz",
        f"{API}/recurringruns",
    ]
    assert len(kfp_server.versions) == 1

    mark = len(kfp_server.requests)
    replaced = _apply(kfp_server, package, "0 4 * * *")

    assert replaced.action == "replaced" and replaced.schedule_id != created.schedule_id
    (remaining,) = kfp_server.recurring_runs_named("penguin:nightly")
    assert remaining["recurring_run_id"] == replaced.schedule_id
    assert remaining["trigger"]["cron_schedule"]["cron"] == "0 0 4 * * *"
    assert created.schedule_id not in kfp_server.recurring_runs
    # Created first, old one deleted after: a failure in between never loses the schedule.
    assert _mutating(kfp_server, mark) == [
        f"POST {API}/pipelines/upload_version",
        f"POST {API}/recurringruns",
        f"DELETE {API}/recurringruns/{created.schedule_id}",
    ]


def test_changing_caching_or_package_replaces_the_schedule(
    kfp_server: KfpStandIn, package: Path
) -> None:
    first = _apply(kfp_server, package)
    no_cache = _apply(kfp_server, package, enable_caching=False)
    package.write_text(json.dumps(_pipeline_job() | {"labels": {"tfx_version": "1-16-1"}}))
    new_package = _apply(kfp_server, package, enable_caching=False)

    assert [first.action, no_cache.action, new_package.action] == [
        "created",
        "replaced",
        "replaced",
    ]
    (remaining,) = kfp_server.recurring_runs_named("penguin:nightly")
    version_id = remaining["pipeline_version_reference"]["pipeline_version_id"]
    tasks = kfp_server.uploaded_spec(version_id)["root"]["dag"]["tasks"]
    assert tasks["example_gen"]["cachingOptions"]["enableCache"] is False


def test_replacing_a_paused_schedule_keeps_it_paused(kfp_server: KfpStandIn, package: Path) -> None:
    _apply(kfp_server, package, "0 3 * * *")
    pause_schedule(kfp_server.url, "penguin", "nightly")

    replaced = _apply(kfp_server, package, "0 5 * * *")

    assert replaced.action == "replaced"
    assert kfp_server.recurring_runs[replaced.schedule_id]["mode"] == "DISABLE"


def test_apply_removes_a_leftover_duplicate_of_the_key(
    kfp_server: KfpStandIn, package: Path
) -> None:
    created = _apply(kfp_server, package)
    # A leftover under the same key (e.g. an interrupted replace): same display name, old
    # fingerprint. Created with kfp.Client directly, as another tool or run would have.
    recurring = kfp_server.recurring_runs[created.schedule_id]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        client = kfp.Client(host=kfp_server.url)
    leftover = client.create_recurring_run(
        experiment_id=recurring["experiment_id"],
        job_name="penguin:nightly",
        description="tfxkit-fingerprint=" + "0" * 64,
        cron_expression="0 0 1 * * *",
        pipeline_id=recurring["pipeline_version_reference"]["pipeline_id"],
        version_id=recurring["pipeline_version_reference"]["pipeline_version_id"],
    )
    assert len(kfp_server.recurring_runs_named("penguin:nightly")) == 2

    again = _apply(kfp_server, package)

    assert again.action == "unchanged" and again.schedule_id == created.schedule_id
    assert [r["recurring_run_id"] for r in kfp_server.recurring_runs_named("penguin:nightly")] == [
        created.schedule_id
    ]
    assert leftover.recurring_run_id not in kfp_server.recurring_runs


def test_a_failed_delete_during_replace_is_repaired_by_the_next_apply(
    kfp_server: KfpStandIn, package: Path
) -> None:
    old = _apply(kfp_server, package, "0 3 * * *")
    kfp_server.fail_next("DELETE", f"{API}/recurringruns/{old.schedule_id}", 503, "etcd timeout")

    with pytest.raises(KfpError, match="run the same apply again") as info:
        _apply(kfp_server, package, "0 4 * * *")
    assert "etcd timeout" in str(info.value)
    assert len(kfp_server.recurring_runs_named("penguin:nightly")) == 2

    again = _apply(kfp_server, package, "0 4 * * *")

    assert again.action == "unchanged"
    (remaining,) = kfp_server.recurring_runs_named("penguin:nightly")
    assert remaining["recurring_run_id"] == again.schedule_id != old.schedule_id
    assert remaining["trigger"]["cron_schedule"]["cron"] == "0 0 4 * * *"


@pytest.mark.parametrize(
    ("cron", "stored"),
    [
        ("0 3 * * *", "0 0 3 * * *"),
        ("*/15 * * * 1-5", "0 */15 * * * 1-5"),
        ("30 0 3 * * *", "30 0 3 * * *"),
        ("  0   3 * * *  ", "0 0 3 * * *"),
    ],
)
def test_five_and_six_field_cron_are_accepted(
    kfp_server: KfpStandIn, package: Path, cron: str, stored: str
) -> None:
    result = _apply(kfp_server, package, cron)

    assert result.action == "created"
    assert kfp_server.recurring_runs[result.schedule_id]["trigger"]["cron_schedule"]["cron"] == (
        stored
    )
    (info,) = list_schedules(kfp_server.url, "penguin")
    assert info.cron == stored


@pytest.mark.parametrize(
    ("cron", "reason"),
    [
        ("0 3 * *", "got 4"),
        ("0 0 0 3 * * *", "got 7"),
        ("", "got 0"),
        ("0 3 * * $", "field '$'"),
    ],
)
def test_bad_cron_is_rejected_before_any_request(
    kfp_server: KfpStandIn, package: Path, cron: str, reason: str
) -> None:
    with pytest.raises(KfpError) as info:
        _apply(kfp_server, package, cron)

    message = str(info.value)
    assert f"invalid cron expression '{cron}'" in message
    assert "penguin:nightly" in message and kfp_server.url in message and reason in message
    assert kfp_server.requests == []


def test_list_pause_resume_delete(kfp_server: KfpStandIn, package: Path) -> None:
    nightly = _apply(kfp_server, package, "0 3 * * *")
    hourly = apply_schedule(
        kfp_server.url, package, "penguin", "hourly", "0 * * * *", experiment="nightly"
    )
    other = apply_schedule(
        kfp_server.url, package, "taxi", "daily", "0 6 * * *", experiment="nightly"
    )

    everything = list_schedules(kfp_server.url)
    assert [(s.pipeline_name, s.schedule_name) for s in everything] == [
        ("penguin", "hourly"),
        ("penguin", "nightly"),
        ("taxi", "daily"),
    ]
    assert [s.schedule_id for s in everything] == [
        hourly.schedule_id,
        nightly.schedule_id,
        other.schedule_id,
    ]
    assert all(s.enabled and len(s.fingerprint) == 64 for s in everything)
    penguin = list_schedules(kfp_server.url, "penguin")
    assert [s.schedule_name for s in penguin] == ["hourly", "nightly"]

    paused = pause_schedule(kfp_server.url, "penguin", "nightly")
    assert paused.enabled is False and paused.schedule_id == nightly.schedule_id
    assert kfp_server.recurring_runs[nightly.schedule_id]["mode"] == "DISABLE"
    assert kfp_server.calls("POST", f"{API}/recurringruns/{nightly.schedule_id}:disable")
    assert kfp_server.recurring_runs[hourly.schedule_id]["mode"] == "ENABLE"

    resumed = resume_schedule(kfp_server.url, "penguin", "nightly")
    assert resumed.enabled is True and resumed.cron == "0 0 3 * * *"
    assert kfp_server.recurring_runs[nightly.schedule_id]["mode"] == "ENABLE"

    delete_schedule(kfp_server.url, "penguin", "nightly")
    assert nightly.schedule_id not in kfp_server.recurring_runs
    assert [s.schedule_name for s in list_schedules(kfp_server.url, "penguin")] == ["hourly"]
    assert len(kfp_server.recurring_runs) == 2


def test_list_schedules_pages_through_results_and_skips_unmanaged_ones(
    kfp_server: KfpStandIn, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3):
        apply_schedule(
            kfp_server.url, package, "penguin", f"s{i}", "0 3 * * *", experiment="nightly"
        )
    some = next(iter(kfp_server.recurring_runs.values()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        client = kfp.Client(host=kfp_server.url)
    client.create_recurring_run(  # made by hand in the KFP UI: no tfxkit fingerprint
        experiment_id=some["experiment_id"],
        job_name="penguin:hand-made",
        cron_expression="0 0 1 * * *",
        pipeline_id=some["pipeline_version_reference"]["pipeline_id"],
        version_id=some["pipeline_version_reference"]["pipeline_version_id"],
    )
    monkeypatch.setattr(kfp_client, "_PAGE_SIZE", 2)

    names = [s.schedule_name for s in list_schedules(kfp_server.url)]

    assert names == ["s0", "s1", "s2"]
    tokens = [r.query.get("page_token") for r in kfp_server.calls("GET", f"{API}/recurringruns")]
    assert tokens[-2:] == ["", "2"]
