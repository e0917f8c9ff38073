"""The batch scoring pipeline compiled and scheduled for Kubeflow and Vertex AI through the CLI,
against the stand-in servers (tests/standins/), as the training pipeline is in
tests/unit/test_remote_cli.py: its own name (``penguin-scoring``), so its schedule stands beside
the training pipeline's, and a spec of two tasks (the frozen schema, the scorer)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.paths import CONFIGS, PENGUIN_CONFIG, PENGUIN_PIPELINE, REPO
from tests.standins.kfp_server import running_kfp_server
from tests.standins.vertex_server import VertexStandIn, vertex_sdk_stand_in
from tfxkit import cli

SCORING = str(REPO / "pipelines" / "batch_scoring.py")
BATCH = [
    "--set", "batch.data=gs://my-bucket/incoming/penguin",
    "--set", "schema.path=gs://my-bucket/schemas/penguin.pbtxt",
]  # fmt: skip


def _schedule(pipeline: str, profile: str, *args: str) -> int:
    return cli.main(
        ["schedule", "apply", pipeline, "-c", str(PENGUIN_CONFIG), "-p", profile, *args]
    )


def test_scoring_is_scheduled_on_kubeflow_beside_training(tmp_path: Path, capsys) -> None:
    profile = str(CONFIGS / "scoring-kubeflow.yaml")
    with running_kfp_server() as kfp:
        common = ["--host", kfp.url, "--cron", "0 4 * * *", "--no-cache"]
        assert _schedule(SCORING, profile, *BATCH, *common) == 0
        assert _schedule(SCORING, profile, *BATCH, *common) == 0
        training = [str(PENGUIN_PIPELINE), str(CONFIGS / "kubeflow.yaml")]
        assert _schedule(*training, "--host", kfp.url, "--cron", "0 3 * * *") == 0
        printed = capsys.readouterr().out
        assert "compiled 'penguin-scoring' for kubeflow (2 tasks" in printed
        assert "schedule 'penguin-scoring:default' (0 4 * * *): created" in printed
        assert "schedule 'penguin-scoring:default' (0 4 * * *): unchanged" in printed
        [scoring] = kfp.recurring_runs_named("penguin-scoring:default")
        assert scoring["trigger"]["cron_schedule"]["cron"] == "0 0 4 * * *"
        assert len(kfp.recurring_runs_named("penguin:default")) == 1
        specs = [kfp.uploaded_spec(v) for v in kfp.versions]
        [spec] = [s for s in specs if s["pipelineInfo"]["name"] == "penguin-scoring"]
        assert sorted(spec["root"]["dag"]["tasks"]) == ["batch_scorer", "schema_importer"]
        executor = spec["deploymentSpec"]["executors"]["batch_scorer_executor"]["container"]
        assert "tfxkit.components.batch_scorer.executor.Executor" in executor["args"]
        # --no-cache, as docs/batch.md says: the same path holds a new batch on each run.
        tasks = spec["root"]["dag"]["tasks"].values()
        assert {t.get("cachingOptions", {}).get("enableCache", False) for t in tasks} == {False}


def test_a_scoring_pipeline_without_a_frozen_schema_is_refused(capsys) -> None:
    profile = str(CONFIGS / "scoring-kubeflow.yaml")
    args = ["compile", SCORING, "-c", str(PENGUIN_CONFIG), "--format", "kfp", "-p", profile]
    assert cli.main([*args, "--set", "batch.data=gs://b/d"]) == 2
    assert "freeze it (`tfxkit schema freeze -c CONFIG`) and set schema.path" in (
        capsys.readouterr().err
    )
    assert cli.main([*args, "--set", "schema.path=gs://b/s.pbtxt"]) == 2
    assert "needs a 'batch' section" in capsys.readouterr().err


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[VertexStandIn]:
    with vertex_sdk_stand_in(monkeypatch) as server:
        yield server


def test_scoring_is_scheduled_on_vertex(
    stand_in: VertexStandIn, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import google.auth
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.setattr(
        google.auth, "default", lambda scopes=None: (AnonymousCredentials(), "my-project")
    )
    profile = str(CONFIGS / "scoring-vertex.yaml")
    common = ["--endpoint", stand_in.url, "--cron", "0 4 * * *", "--no-cache"]
    assert _schedule(SCORING, profile, *BATCH, *common) == 0
    assert _schedule(SCORING, profile, *BATCH, *common) == 0
    printed = capsys.readouterr().out
    assert "(0 4 * * *): created" in printed and "(0 4 * * *): unchanged" in printed
    assert len(stand_in.schedules) == 1
    manage = ["-p", profile, "--endpoint", stand_in.url]
    assert cli.main(["schedule", "list", *manage]) == 0
    assert "penguin-scoring:default  cron='0 4 * * *'" in capsys.readouterr().out


def test_a_local_run_keys_the_batch_by_content(tmp_path: Path) -> None:
    """Locally the scorer's settings hold the batch's content fingerprint (TFX's cache key) and
    the unchanged-run key stamps its files: a new batch at the same path is scored again."""
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.pipeline.stages.score import data_fingerprint
    from tfxkit.runners.rerun import run_key

    batch = tmp_path / "batch.csv"
    batch.write_text("id,x\n1,2\n")
    first = data_fingerprint(str(batch))
    config = load_config(PENGUIN_CONFIG, [f"workspace={tmp_path}", f"batch.data={batch}"])
    key = run_key(config, None)
    batch.write_text("id,x\n1,3\n")
    assert data_fingerprint(str(batch)) != first
    assert data_fingerprint(str(tmp_path / "none")) == "absent"
    assert key is not None and run_key(config, None) != key
