"""The monitor compiled as its own KFP pipeline (issue 24): one step running ``tfxkit monitor``
in the profile's image with the profile's shared locations; no secret in the spec."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.paths import REPO
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
