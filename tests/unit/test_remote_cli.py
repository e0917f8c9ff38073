"""The remote verbs end to end through the CLI, against the stand-in servers.

The servers STAND IN for the real services, which cannot run or be reached here:
tests/standins/kfp_server.py for a Kubeflow Pipelines cluster (the v2beta1 REST endpoints
kfp.Client calls; it rejects anything that is not a real PipelineSpec) and
tests/standins/vertex_server.py for Vertex AI. So these tests prove the compiled penguin spec
is what gets uploaded, run and scheduled, with the same output on both backends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.paths import CONFIGS, PENGUIN_CONFIG, PENGUIN_PIPELINE
from tests.standins.kfp_server import running_kfp_server
from tests.standins.vertex_server import VertexStandIn, vertex_sdk_stand_in
from tfxkit import cli

KUBEFLOW = str(CONFIGS / "kubeflow.yaml")


def _run(*args: str) -> int:
    return cli.run_pipeline_main(
        [
            str(PENGUIN_PIPELINE),
            "-c",
            str(PENGUIN_CONFIG),
            "--runner",
            "kubeflow",
            "-p",
            KUBEFLOW,
            *args,
        ]
    )


def test_submit_uploads_the_compiled_penguin_spec(tmp_path: Path, capsys) -> None:
    with running_kfp_server() as kfp:
        assert _run("--host", kfp.url, "-o", str(tmp_path / "penguin.yaml")) == 0
        out = capsys.readouterr().out
        [run] = kfp.runs.values()
        assert f"submitted run {run['run_id']}" in out
        assert f"ui: {kfp.url}/#/runs/details/{run['run_id']}" in out
        [version_id] = kfp.versions
        spec = kfp.uploaded_spec(version_id)
        assert spec["pipelineInfo"]["name"] == "penguin"
        assert "trainer" in spec["root"]["dag"]["tasks"]
        assert (
            spec["deploymentSpec"]["executors"]["trainer_executor"]["container"]["image"]
            == "us-docker.pkg.dev/my-project/tfxkit/pipeline:0.1.0"
        )


def test_schedule_apply_is_idempotent_and_replaces_on_change(tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "penguin.yaml")
    with running_kfp_server() as kfp:
        assert _run("--host", kfp.url, "-o", out, "--schedule", "0 3 * * *") == 0
        assert _run("--host", kfp.url, "-o", out, "--schedule", "0 3 * * *") == 0
        assert _run("--host", kfp.url, "-o", out, "--schedule", "0 4 * * *") == 0
        printed = capsys.readouterr().out
        assert "(0 3 * * *): created" in printed
        assert "(0 3 * * *): unchanged" in printed
        assert "(0 4 * * *): replaced" in printed
        [schedule] = kfp.recurring_runs_named("penguin:default")
        assert schedule["trigger"]["cron_schedule"]["cron"] == "0 0 4 * * *"

        base = ["schedule"]
        common = ["-p", KUBEFLOW, "--host", kfp.url]
        assert cli.main([*base, "pause", *common, "--pipeline", "penguin"]) == 0
        assert cli.main([*base, "list", *common]) == 0
        assert "penguin:default  cron='0 4 * * *'  paused" in capsys.readouterr().out
        assert cli.main([*base, "resume", *common, "--pipeline", "penguin"]) == 0
        assert cli.main([*base, "delete", *common, "--pipeline", "penguin"]) == 0
        assert kfp.recurring_runs_named("penguin:default") == []
        assert cli.main([*base, "delete", *common, "--pipeline", "penguin"]) == 1
        assert "no schedule 'penguin:default' exists" in capsys.readouterr().err


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[VertexStandIn]:
    with vertex_sdk_stand_in(monkeypatch) as server:
        yield server


def test_vertex_submit_and_schedule_through_the_cli(
    stand_in: VertexStandIn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Vertex: the stand-in endpoint (tests/standins/vertex_server.py) stands in for Vertex AI."""
    import google.auth
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.setattr(
        google.auth, "default", lambda scopes=None: (AnonymousCredentials(), "my-project")
    )
    vertex_profile = str(CONFIGS / "vertex.yaml")
    common = [
        str(PENGUIN_PIPELINE),
        "-c",
        str(PENGUIN_CONFIG),
        "--runner",
        "vertex",
        "-p",
        vertex_profile,
        "--endpoint",
        stand_in.url,
        "-o",
        str(tmp_path / "p.json"),
    ]
    assert cli.run_pipeline_main([*common, "--no-cache"]) == 0
    out = capsys.readouterr().out
    [job] = stand_in.pipeline_jobs.values()
    assert f"submitted run {job['name']}" in out
    assert "ui: https://console.cloud.google.com/vertex-ai/locations/us-central1/" in out
    assert job["serviceAccount"] == "tfxkit-pipelines@my-project.iam.gserviceaccount.com"
    assert job["runtimeConfig"]["gcsOutputDirectory"] == (
        "gs://my-bucket/tfxkit/penguin/pipeline_root"
    )
    tasks = job["pipelineSpec"]["root"]["dag"]["tasks"]
    assert {t["cachingOptions"].get("enableCache", False) for t in tasks.values()} == {False}

    assert cli.run_pipeline_main([*common, "--schedule", "0 3 * * *"]) == 0
    assert cli.run_pipeline_main([*common, "--schedule", "0 3 * * *"]) == 0
    printed = capsys.readouterr().out
    assert "(0 3 * * *): created" in printed and "(0 3 * * *): unchanged" in printed
    assert len(stand_in.schedules) == 1
    manage = ["-p", vertex_profile, "--endpoint", stand_in.url]
    assert cli.main(["schedule", "pause", *manage, "--pipeline", "penguin"]) == 0
    assert cli.main(["schedule", "list", *manage]) == 0
    assert "penguin:default  cron='0 3 * * *'  paused" in capsys.readouterr().out
    assert cli.main(["schedule", "delete", *manage, "--pipeline", "penguin"]) == 0
    assert cli.main(["schedule", "list", *manage]) == 0
    assert "no schedules" in capsys.readouterr().out
