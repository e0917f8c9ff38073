"""tfxkit's Kubeflow backend against a local server that stands in for a Kubeflow cluster.

No Kubeflow Pipelines cluster can run here, so ``tests.standins.kfp_server`` serves the KFP
v2beta1 REST endpoints ``kfp.Client`` calls, keeps their state in memory and records every
request. The tests drive the real ``kfp.Client`` through ``tfxkit.runners.backends.kubeflow``
and assert on that server state and on the recorded requests; what schedules mean on every
backend is in ``test_schedules.py``, here is KFP's own: uploads, runs, caching, cron, errors.
"""

from __future__ import annotations

import json
import logging
import re
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

from tests.paths import CONFIGS
from tests.standins.kfp_server import KfpStandIn, running_kfp_server
from tfxkit.config.profiles import load_profile
from tfxkit.errors import ConfigError, RemoteError
from tfxkit.pipeline.kfp_compiler import CompiledPipeline
from tfxkit.runners.backends import get_backend
from tfxkit.runners.backends import kubeflow as kfp_backend
from tfxkit.runners.backends.base import ScheduleAction, ScheduleState
from tfxkit.runners.backends.kubeflow import KfpError, KubeflowBackend
from tfxkit.runners.backends.package import load_package

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


def _compiled(path: Path, pipeline_name: str = "penguin") -> CompiledPipeline:
    return CompiledPipeline(path, pipeline_name, GCS_ROOT, ["example_gen"])


def _submit(host: str, package: Path, run_name: str | None = None, caching: bool = True, **kw):
    """Submit ``package`` as pipeline 'penguin'; ``kw``: backend options (namespace, ...)."""
    backend = KubeflowBackend(host, experiment="dev", **kw)
    return backend.submit(_compiled(package), enable_caching=caching, run_name=run_name)


def _apply(server: KfpStandIn, package: Path, cron: str = "0 3 * * *", caching: bool = True):
    backend = KubeflowBackend(server.url, experiment="nightly")
    return backend.apply_schedule(_compiled(package), "nightly", cron, enable_caching=caching)


# ---------------------------------------------------------------------------------- submit


def test_submit_creates_experiment_pipeline_and_run(kfp_server: KfpStandIn, package: Path) -> None:
    result = _submit(kfp_server.url, package, run_name="first")

    (experiment,) = kfp_server.experiments.values()
    (pipeline,) = kfp_server.pipelines.values()
    (version,) = kfp_server.versions.values()
    (run,) = kfp_server.runs.values()
    assert experiment["display_name"] == "dev"
    assert pipeline["display_name"] == "penguin"
    assert result.id == run["run_id"]
    assert result.url == f"{kfp_server.url}/#/runs/details/{run['run_id']}"
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
    assert upload.param("name") == "penguin"
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
    first = _submit(kfp_server.url, package)
    mark = len(kfp_server.requests)
    second = _submit(kfp_server.url, package)

    assert _mutating(kfp_server, mark) == [
        f"POST {API}/pipelines/upload_version",
        f"POST {API}/runs",
    ]
    assert len(kfp_server.experiments) == 1 and len(kfp_server.pipelines) == 1
    assert second.id != first.id
    runs = [kfp_server.runs[first.id], kfp_server.runs[second.id]]
    assert runs[0]["experiment_id"] == runs[1]["experiment_id"]
    references = [r["pipeline_version_reference"] for r in runs]
    assert references[0]["pipeline_id"] == references[1]["pipeline_id"]
    assert references[0]["pipeline_version_id"] != references[1]["pipeline_version_id"]
    new_version = kfp_server.versions[references[1]["pipeline_version_id"]]
    assert new_version["pipeline_id"] == references[0]["pipeline_id"]
    digest = load_package(package).digest
    assert new_version["display_name"].startswith("penguin-")
    assert new_version["display_name"].endswith(digest[:12])


@pytest.mark.parametrize("enable_caching", [False, True])
def test_enable_caching_reaches_the_run_through_its_version(
    kfp_server: KfpStandIn, package: Path, enable_caching: bool
) -> None:
    # The v2beta1 run has no caching field, so the flag is written into the version it runs.
    result = _submit(kfp_server.url, package, caching=enable_caching)

    run = kfp_server.runs[result.id]
    version_id = run["pipeline_version_reference"]["pipeline_version_id"]
    tasks = kfp_server.uploaded_spec(version_id)["root"]["dag"]["tasks"]
    assert tasks["example_gen"]["cachingOptions"]["enableCache"] is enable_caching


def test_submit_with_namespace_puts_everything_in_it(kfp_server: KfpStandIn, package: Path) -> None:
    result = _submit(kfp_server.url, package, namespace="team-a")

    run = kfp_server.runs[result.id]
    assert run["namespace"] == "team-a"
    assert kfp_server.experiments[run["experiment_id"]]["namespace"] == "team-a"
    pipeline_id = run["pipeline_version_reference"]["pipeline_id"]
    assert kfp_server.pipelines[pipeline_id]["namespace"] == "team-a"
    # With an explicit namespace kfp.Client skips its healthz probe.
    assert not kfp_server.calls("GET", f"{API}/healthz")


def test_submit_accepts_a_bare_pipeline_spec_yaml(kfp_server: KfpStandIn, tmp_path: Path) -> None:
    spec = {**_pipeline_job()["pipelineSpec"], "defaultPipelineRoot": GCS_ROOT}
    path = tmp_path / "penguin.yaml"
    path.write_text("# compiled by tfxkit\n" + yaml.safe_dump(spec))

    result = _submit(kfp_server.url, path)

    run = kfp_server.runs[result.id]
    assert (
        kfp_server.uploaded_spec(run["pipeline_version_reference"]["pipeline_version_id"]) == spec
    )
    assert run["runtime_config"].get("pipeline_root") is None


def test_a_file_that_is_not_a_pipeline_is_rejected_before_any_request(
    kfp_server: KfpStandIn, tmp_path: Path
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("pipeline_name: penguin\ntrainer: {epochs: 3}\n")

    with pytest.raises(KfpError, match="is not a compiled pipeline package") as info:
        _submit(kfp_server.url, path)

    assert str(path) in str(info.value) and kfp_server.url in str(info.value)
    assert "has no pipelineSpec and is not a bare PipelineSpec either" in str(info.value)
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
        _submit(host, package)

    message = str(info.value)
    assert time.monotonic() - started < 10
    assert host in message and "cannot reach Kubeflow Pipelines" in message
    assert "Connection refused" in message
    assert "\n" not in message and "Traceback" not in message
    with pytest.raises(KfpError, match="cannot reach Kubeflow Pipelines at " + host):
        KubeflowBackend(host).list_schedules()


def test_http_error_names_host_operation_and_server_message(
    kfp_server: KfpStandIn, package: Path
) -> None:
    kfp_server.fail_next("POST", f"{API}/runs", 500, "database is locked")

    with pytest.raises(KfpError) as info:
        _submit(kfp_server.url, package, run_name="r1")

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
        _submit(kfp_server.url, package)

    message = str(info.value)
    assert f"Kubeflow Pipelines at {kfp_server.url} did not answer its health check" in message
    assert len(kfp_server.calls("GET", f"{API}/healthz")) == 5
    assert _mutating(kfp_server, 0) == []
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_profile_without_a_host_fails_before_anything_else() -> None:
    profile = load_profile(CONFIGS / "kubeflow.yaml")
    with pytest.raises(ConfigError, match="pass --host URL or set kubeflow.host"):
        get_backend(profile)
    backend = get_backend(profile, host="http://kfp:8080")
    assert isinstance(backend, KubeflowBackend) and backend.location == "http://kfp:8080"
    assert (backend.experiment, backend.namespace) == ("tfxkit", None)
    assert issubclass(KfpError, RemoteError)
    with pytest.raises(KfpError, match="no Kubeflow Pipelines host given"):
        KubeflowBackend(" ")


# ------------------------------------------------------------------------------ schedules


def test_apply_sends_a_kfp_recurring_run_and_reapplies_with_one_lookup(
    kfp_server: KfpStandIn, package: Path
) -> None:
    created = _apply(kfp_server, package, "0 3 * * *")

    (recurring,) = kfp_server.recurring_runs_named("penguin:nightly")
    assert recurring["recurring_run_id"] == created.schedule_id
    assert recurring["trigger"]["cron_schedule"]["cron"] == "0 0 3 * * *"  # seconds first
    assert recurring["mode"] == "ENABLE"
    assert recurring["no_catchup"] is True and recurring["max_concurrency"] == "1"
    assert recurring["runtime_config"]["pipeline_root"] == GCS_ROOT
    assert re.fullmatch(
        r"Managed by tfxkit\. tfxkit-fingerprint=[0-9a-f]{63}", recurring["description"]
    )
    reference = recurring["pipeline_version_reference"]
    assert reference["pipeline_version_id"] in kfp_server.versions
    experiment = kfp_server.experiments[recurring["experiment_id"]]
    assert experiment["display_name"] == "nightly"

    mark = len(kfp_server.requests)
    again = _apply(kfp_server, package, "0 3 * * *")

    assert again.action is ScheduleAction.UNCHANGED
    paths = [r.path for r in kfp_server.requests[mark:]]
    assert paths == [f"{API}/healthz", f"{API}/recurringruns"]  # one lookup, nothing else
    assert len(kfp_server.versions) == 1


def test_a_replacement_uploads_a_version_with_the_new_caching(
    kfp_server: KfpStandIn, package: Path
) -> None:
    first = _apply(kfp_server, package)
    mark = len(kfp_server.requests)
    replaced = _apply(kfp_server, package, caching=False)

    assert _mutating(kfp_server, mark) == [
        f"POST {API}/pipelines/upload_version",
        f"POST {API}/recurringruns",
        f"DELETE {API}/recurringruns/{first.schedule_id}",
    ]
    reference = kfp_server.recurring_runs[replaced.schedule_id]["pipeline_version_reference"]
    tasks = kfp_server.uploaded_spec(reference["pipeline_version_id"])["root"]["dag"]["tasks"]
    assert tasks["example_gen"]["cachingOptions"]["enableCache"] is False


@pytest.mark.parametrize(
    ("cron", "stored"),
    [("*/15 * * * 1-5", "0 */15 * * * 1-5"), ("  0   3 * * *  ", "0 0 3 * * *")],
)
def test_the_seconds_field_is_added_on_the_way_in_and_dropped_on_the_way_out(
    kfp_server: KfpStandIn, package: Path, cron: str, stored: str
) -> None:
    result = _apply(kfp_server, package, cron)
    run = kfp_server.recurring_runs[result.schedule_id]
    assert run["trigger"]["cron_schedule"]["cron"] == stored
    (info,) = KubeflowBackend(kfp_server.url).list_schedules("penguin")
    assert info.cron == " ".join(cron.split()) and info.state is ScheduleState.ENABLED


def test_a_time_zone_is_refused_because_kfp_has_none_per_schedule(
    kfp_server: KfpStandIn, package: Path
) -> None:
    with pytest.raises(KfpError, match="CRON_SCHEDULE_TIMEZONE") as info:
        _apply(kfp_server, package, "TZ=Europe/Paris 0 3 * * *")
    assert "penguin:nightly" in str(info.value) and kfp_server.url in str(info.value)
    assert kfp_server.requests == []


def test_list_schedules_pages_through_results(
    kfp_server: KfpStandIn, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = KubeflowBackend(kfp_server.url, experiment="nightly")
    for i in range(3):
        backend.apply_schedule(_compiled(package), f"s{i}", "0 3 * * *", enable_caching=True)
    with kfp_server.lock:  # applied by an older tfxkit: a 64-character fingerprint
        some = next(iter(kfp_server.recurring_runs.values()))
        older = {**some, "recurring_run_id": "older", "display_name": "penguin:older"}
        older["description"] = "Managed by tfxkit. tfxkit-fingerprint=" + "a" * 64
        kfp_server.recurring_runs["older"] = {**older, "_seq": kfp_server.next_seq()}
    monkeypatch.setattr(kfp_backend, "_PAGE_SIZE", 2)
    names = [s.schedule_name for s in backend.list_schedules()]
    assert names == ["older", "s0", "s1", "s2"]
    tokens = [r.param("page_token") for r in kfp_server.calls("GET", f"{API}/recurringruns")]
    assert tokens[-2:] == ["", "2"]
