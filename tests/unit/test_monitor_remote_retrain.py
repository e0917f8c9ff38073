"""Continuous training on Kubeflow / Vertex (issue 24): an alert submits the training pipeline
through the same backends as ``run-pipeline --runner``, once per incident, and ML Metadata names
the submitted run and the monitor execution that caused it.

The servers STAND IN for the real services (tests/standins/kfp_server.py, vertex_server.py):
what they receive is the request a real KFP API or Vertex AI would get. The penguin pipeline is
compiled for real; the alert is a recorded monitor execution like ``tfxkit monitor`` writes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.paths import CONFIGS, PENGUIN_CONFIG
from tests.standins.kfp_server import running_kfp_server
from tests.standins.vertex_server import vertex_sdk_stand_in
from tfxkit.config.pipeline_config import load_config
from tfxkit.config.profiles import load_profile
from tfxkit.monitoring import baseline, remote_retrain, trigger

FRESH = "gs://my-bucket/data/penguin/span-9"


def _overrides(tmp_path: Path) -> list[str]:
    return [
        f"workspace={tmp_path / 'ws'}",
        "monitoring.retrain.enabled=true",
        f"monitoring.retrain.set=[data.path={FRESH}]",
        "monitoring.retrain.cooldown_minutes=60",
    ]


def _alert(config, tmp_path: Path) -> dict:
    out = tmp_path / "verdicts"
    out.mkdir(exist_ok=True)
    report = {
        "verdict": "alert",
        "window": str(tmp_path / "log" / "20261207T101010.000-00001.tfrecord"),
        "reasons": ["skew of bill_length_mm vs training (PSI+KS): ..."],
        "model_version": 3,
        "report_path": str(out / "w.json"),
    }
    report["execution_id"] = baseline.record(config, report, report["report_path"])
    return report


def _example_gen_inputs(spec: dict) -> str:
    """The ExampleGen task's input parameters, as text (where its input_base sits)."""
    return json.dumps(spec["root"]["dag"]["tasks"]["example_gen"]["inputs"]["parameters"])


def _store(config):
    from tfxkit.metadata.store import connection_config, open_store

    return open_store(connection_config(config))


def test_an_alert_submits_one_kubeflow_run_for_the_fresh_span(tmp_path: Path) -> None:
    overrides = _overrides(tmp_path)
    config = load_config(str(PENGUIN_CONFIG), overrides)
    profile = load_profile(CONFIGS / "kubeflow.yaml")
    printed: list[str] = []
    with running_kfp_server() as kfp:
        target = remote_retrain.RemoteTarget(profile, host=kfp.url)
        report = _alert(config, tmp_path)
        what = trigger.retrain(
            config, str(PENGUIN_CONFIG), overrides, report, remote=target,
            progress=printed.append, now=1000.0,
        )  # fmt: skip
        assert what.started, what.reason
        [run] = kfp.runs.values()
        assert what.run_id == run["run_id"] and what.runner == "kubeflow"
        assert what.url == f"{kfp.url}/#/runs/details/{run['run_id']}"
        assert run["display_name"].startswith("penguin-retrain-")
        [version_id] = kfp.versions
        assert run["pipeline_version_reference"]["pipeline_version_id"] == version_id
        spec = kfp.uploaded_spec(version_id)
        assert spec["pipelineInfo"]["name"] == "penguin"
        assert "trainer" in spec["root"]["dag"]["tasks"]
        inputs = _example_gen_inputs(spec)
        assert FRESH in inputs  # the fresh span, not the profile's data_path
        assert json.dumps("gs://my-bucket/data/penguin") not in inputs
        assert any(f"submitted run {run['run_id']}" in line for line in printed)

        # The next alerts of the same incident, inside the cool-down: nothing is submitted.
        again = trigger.retrain(
            config, str(PENGUIN_CONFIG), overrides, _alert(config, tmp_path), remote=target,
            progress=printed.append, now=1000.0 + 30 * 60,
        )  # fmt: skip
        assert not again.started and again.reason.startswith("cooling down")
        assert len(kfp.runs) == 1 and len(kfp.versions) == 1

    store = _store(config)
    [execution] = store.get_executions_by_id([report["execution_id"]])
    recorded = json.loads(execution.custom_properties["retrain"].string_value)
    assert recorded["run_id"] == run["run_id"] and recorded["url"] == what.url
    context = store.get_context_by_type_and_name(
        remote_retrain.REMOTE_RUN_CONTEXT, f"kubeflow:{run['run_id']}"
    )
    assert context.properties["url"].string_value == what.url
    assert context.custom_properties[trigger.STARTED_BY].int_value == report["execution_id"]
    [associated] = store.get_executions_by_context(context.id)
    assert associated.id == report["execution_id"]


def test_a_backend_failure_is_reported_and_starts_nothing(tmp_path: Path) -> None:
    overrides = _overrides(tmp_path)
    config = load_config(str(PENGUIN_CONFIG), overrides)
    target = remote_retrain.RemoteTarget(
        load_profile(CONFIGS / "kubeflow.yaml"), host="http://127.0.0.1:9"
    )
    what = trigger.retrain(
        config, str(PENGUIN_CONFIG), overrides, _alert(config, tmp_path), remote=target,
        progress=lambda _: None,
    )  # fmt: skip
    assert not what.started
    assert what.reason.startswith("the retraining run was not submitted to kubeflow")
    assert "127.0.0.1:9" in what.reason


def test_an_alert_submits_a_vertex_pipeline_job(tmp_path: Path, monkeypatch) -> None:
    import google.auth
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.setattr(
        google.auth, "default", lambda scopes=None: (AnonymousCredentials(), "my-project")
    )
    overrides = _overrides(tmp_path)
    config = load_config(str(PENGUIN_CONFIG), overrides)
    with vertex_sdk_stand_in(monkeypatch) as vertex:
        target = remote_retrain.RemoteTarget(
            load_profile(CONFIGS / "vertex.yaml"), endpoint=vertex.url
        )
        report = _alert(config, tmp_path)
        what = trigger.retrain(
            config, str(PENGUIN_CONFIG), overrides, report, remote=target, progress=lambda _: None
        )
        assert what.started, what.reason
        [job] = vertex.pipeline_jobs.values()
        assert what.run_id == job["name"] and what.runner == "vertex"
        assert job["displayName"].startswith("penguin-retrain-")
        assert job["serviceAccount"] == "tfxkit-pipelines@my-project.iam.gserviceaccount.com"
        assert FRESH in _example_gen_inputs(job["pipelineSpec"])
    context = _store(config).get_context_by_type_and_name(
        remote_retrain.REMOTE_RUN_CONTEXT, f"vertex:{job['name']}"
    )
    assert context.custom_properties[trigger.STARTED_BY].int_value == report["execution_id"]


@pytest.mark.parametrize("retrain_set", [[], ["training.epochs=2"]])
def test_the_profile_data_path_stays_without_a_fresh_span(retrain_set: list[str]) -> None:
    profile = load_profile(CONFIGS / "kubeflow.yaml")
    kept = remote_retrain.fresh_span_profile(profile, retrain_set)
    assert kept.data_path == profile.data_path
    assert remote_retrain.fresh_span_profile(profile, [f"data.path={FRESH}"]).data_path is None


def test_a_bad_retrain_profile_stops_the_monitor_before_it_judges(tmp_path, capsys) -> None:
    from tfxkit.cli.app import main

    profile = tmp_path / "kubeflow.yaml"
    profile.write_text("runner: kubeflow\nimage: 3\nnot_a_field: 1\n")
    args = ["monitor", "-c", str(PENGUIN_CONFIG), "--set", f"workspace={tmp_path / 'ws'}"]
    assert main([*args, "--retrain-profile", str(profile)]) == 2
    err = capsys.readouterr().err
    assert str(profile) in err and "not_a_field" in err and "Traceback" not in err
    assert not (tmp_path / "ws").exists()  # nothing judged, nothing recorded
