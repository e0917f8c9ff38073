"""The monitor compiled as its own KFP pipeline (issue 24): one step running ``tfxkit monitor``
in the profile's image with the profile's shared locations; no secret in the spec."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.paths import REPO
from tests.standins.kfp_server import running_kfp_server
from tests.standins.vertex_server import vertex_sdk_stand_in
from tfxkit.cli.app import main


def test_the_monitor_compiles_to_a_one_step_pipeline(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SHOP_WEBHOOK", "https://hooks.example/SECRET")
    out = tmp_path / "monitor.yaml"
    code = main(
        [
            "monitor", "-c", str(REPO / "configs" / "penguin.yaml"),
            "--set", "monitoring.sinks=[{type: webhook, url_env: SHOP_WEBHOOK}]",
            "-p", str(REPO / "configs" / "kubeflow.yaml"),
            "-o", str(out), "--config-in-image", "configs/penguin.yaml",
        ]
    )  # fmt: skip
    assert code == 0
    text = out.read_text()
    spec = yaml.safe_load(text)
    assert spec["pipelineInfo"]["name"] == "penguin-monitor"
    [executor] = spec["deploymentSpec"]["executors"].values()
    container = executor["container"]
    profile = yaml.safe_load((REPO / "configs" / "kubeflow.yaml").read_text())
    assert container["image"] == profile["image"]
    assert container["command"] == ["tfxkit"]
    args = container["args"]
    assert args[:4] == ["monitor", "-c", "configs/penguin.yaml", "--no-retrain"]
    assert "push.destination=gs://my-bucket/serving" in args
    assert "data.path=gs://my-bucket/data/penguin" in args
    assert "SECRET" not in text  # the sink names its variable; the URL stays in the env
    assert len(spec["root"]["dag"]["tasks"]) == 1


def _compile_args(out: Path, *extra: str) -> list[str]:
    return [
        "monitor", "-c", str(REPO / "configs" / "penguin.yaml"),
        "-p", str(REPO / "configs" / "kubeflow.yaml"),
        "-o", str(out), "--config-in-image", "configs/penguin.yaml", *extra,
    ]  # fmt: skip


def test_with_retrain_remote_the_step_submits_the_retrain_through_the_profile(tmp_path) -> None:
    out = tmp_path / "monitor.yaml"
    extra = ["--retrain-remote", "--profile-in-image", "configs/kubeflow.yaml"]
    assert main([*_compile_args(out, *extra), "--host", "http://ml-pipeline.kubeflow:8888"]) == 0
    [executor] = yaml.safe_load(out.read_text())["deploymentSpec"]["executors"].values()
    args = executor["container"]["args"]
    assert "--no-retrain" not in args
    at = args.index("--retrain-profile")
    assert args[at : at + 4] == [
        "--retrain-profile", "configs/kubeflow.yaml", "--host", "http://ml-pipeline.kubeflow:8888"
    ]  # fmt: skip


def test_the_monitor_is_uploaded_run_and_scheduled_on_kubeflow(tmp_path: Path, capsys) -> None:
    """Against the KFP stand-in (tests/standins/kfp_server.py), through the training's client."""
    out = tmp_path / "monitor.yaml"
    with running_kfp_server() as kfp:
        assert main([*_compile_args(out), "--host", kfp.url, "--submit"]) == 0
        printed = capsys.readouterr().out
        [run] = kfp.runs.values()
        assert f"submitted run {run['run_id']}" in printed
        [version_id] = kfp.versions
        uploaded = kfp.uploaded_spec(version_id)
        compiled = yaml.safe_load(out.read_text())
        assert uploaded["pipelineInfo"]["name"] == "penguin-monitor"
        assert uploaded["deploymentSpec"] == compiled["deploymentSpec"]
        [task] = uploaded["root"]["dag"]["tasks"].values()
        assert task["cachingOptions"]["enableCache"] is False  # every run judges anew

        cron = ["--host", kfp.url, "--schedule", "*/15 * * * *"]
        assert main([*_compile_args(out), *cron]) == 0
        assert main([*_compile_args(out), *cron]) == 0
        printed = capsys.readouterr().out
        assert "schedule 'penguin-monitor:default' (*/15 * * * *): created" in printed
        assert "schedule 'penguin-monitor:default' (*/15 * * * *): unchanged" in printed
        [schedule] = kfp.recurring_runs_named("penguin-monitor:default")
        assert schedule["trigger"]["cron_schedule"]["cron"] == "0 */15 * * * *"
        manage = ["-p", str(REPO / "configs" / "kubeflow.yaml"), "--host", kfp.url]
        assert main(["schedule", "list", *manage]) == 0
        assert "penguin-monitor:default  cron='*/15 * * * *'  enabled" in capsys.readouterr().out


def test_the_monitor_is_submitted_and_scheduled_on_vertex(tmp_path, monkeypatch, capsys) -> None:
    """Against the Vertex stand-in (tests/standins/vertex_server.py)."""
    import google.auth
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.setattr(
        google.auth, "default", lambda scopes=None: (AnonymousCredentials(), "my-project")
    )
    args = [
        "monitor", "-c", str(REPO / "configs" / "penguin.yaml"),
        "-p", str(REPO / "configs" / "vertex.yaml"), "-o", str(tmp_path / "monitor.yaml"),
    ]  # fmt: skip
    with vertex_sdk_stand_in(monkeypatch) as vertex:
        assert main([*args, "--endpoint", vertex.url, "--submit"]) == 0
        [job] = vertex.pipeline_jobs.values()
        assert job["pipelineSpec"]["pipelineInfo"]["name"] == "penguin-monitor"
        assert job["runtimeConfig"]["gcsOutputDirectory"] == (
            "gs://my-bucket/tfxkit/penguin/pipeline_root"
        )
        assert job["serviceAccount"] == "tfxkit-pipelines@my-project.iam.gserviceaccount.com"
        [task] = job["pipelineSpec"]["root"]["dag"]["tasks"].values()
        assert not task.get("cachingOptions", {}).get("enableCache", False)
        assert main([*args, "--endpoint", vertex.url, "--schedule", "0 * * * *"]) == 0
        assert "(0 * * * *): created" in capsys.readouterr().out
        [schedule] = vertex.schedules.values()
        assert schedule["cron"].endswith("0 * * * *")
        request = schedule["createPipelineJobRequest"]["pipelineJob"]
        assert request["pipelineSpec"]["pipelineInfo"]["name"] == "penguin-monitor"
