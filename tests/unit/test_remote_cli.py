"""The remote verbs end to end through the CLI, against the stand-in KFP server.

The server (tests/standins/kfp_server.py) STANDS IN for a Kubeflow Pipelines cluster, which
cannot run here; it implements the v2beta1 REST endpoints kfp.Client calls and rejects
anything that is not a real PipelineSpec, so these tests prove the compiled penguin spec is
what gets uploaded, run and scheduled.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import PENGUIN_CONFIG, PENGUIN_PIPELINE, REPO
from tests.standins.kfp_server import running_kfp_server
from tests.unit.test_vertex_client import _restore_sdk_config, vertex  # noqa: F401 (fixtures)
from tfxkit import cli

KUBEFLOW = str(REPO / "configs" / "kubeflow.yaml")


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
        assert "penguin:default  cron='0 0 4 * * *'  paused" in capsys.readouterr().out
        assert cli.main([*base, "resume", *common, "--pipeline", "penguin"]) == 0
        assert cli.main([*base, "delete", *common, "--pipeline", "penguin"]) == 0
        assert kfp.recurring_runs_named("penguin:default") == []
        assert cli.main([*base, "delete", *common, "--pipeline", "penguin"]) == 1
        assert "no schedule 'penguin:default'" in capsys.readouterr().err


def test_vertex_submit_and_schedule_through_the_cli(request, monkeypatch, tmp_path, capsys):
    """Vertex: the stand-in endpoint (tests/standins/vertex_server.py) stands in for Vertex AI."""
    import google.auth
    from google.auth.credentials import AnonymousCredentials

    stand_in = request.getfixturevalue("vertex")

    monkeypatch.setattr(
        google.auth, "default", lambda scopes=None: (AnonymousCredentials(), "my-project")
    )
    vertex_profile = str(REPO / "configs" / "vertex.yaml")
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
    assert f"submitted pipeline job {job['name']}" in out
    assert "console: https://console.cloud.google.com/vertex-ai/locations/us-central1/" in out
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
    assert "penguin:default  cron='0 3 * * *'  PAUSED" in capsys.readouterr().out
    assert cli.main(["schedule", "delete", *manage, "--pipeline", "penguin"]) == 0
    assert cli.main(["schedule", "list", *manage]) == 0
    assert "no schedules" in capsys.readouterr().out
