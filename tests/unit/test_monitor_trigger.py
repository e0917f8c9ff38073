"""Continuous training on an alert (issue 24): one alert starts one run (cool-down and lock), only
a pushed new version is promoted, and ML Metadata says which monitor run started which run.

The pipeline run and the promotion are stand-ins that record their calls (both are tested on
their own elsewhere); the cool-down, the lock and the ML Metadata records are real.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tfxkit.config.pipeline_config import validate_config
from tfxkit.errors import TfxkitError
from tfxkit.monitoring import baseline, trigger
from tfxkit.runners.summary import RunSummary


@pytest.fixture
def config(tmp_path: Path):
    return validate_config(
        {
            "name": "shop",
            "workspace": str(tmp_path / "ws"),
            "data": {"format": "csv", "path": str(tmp_path)},
            "features": [{"name": "x", "type": "float", "transform": "zscore"}],
            "label": {"name": "y", "type": "float"},
            "evaluation": {"bless": "always"},
            "monitoring": {
                "retrain": {"enabled": True, "set": ["data.path=/data/span-9"], "promote": "canary"}
            },
        }
    )


class Runs:
    """A stand-in for ``runners.session.run``: records calls, answers a summary."""

    def __init__(self, config, *, pushed: int | None = 4, error: Exception | None = None):
        self.config, self.pushed, self.error, self.calls = config, pushed, error, []

    def __call__(self, config_path, pipeline, **kwargs):
        self.calls.append((config_path, pipeline, kwargs))
        if self.error:
            raise self.error
        run_id = f"run-{len(self.calls)}"
        _pipeline_run(self.config, run_id)  # as a real run records itself
        path = f"{self.config.resolved_push_destination}/{self.pushed}" if self.pushed else None
        return RunSummary("shop", run_id, blessed=self.pushed is not None, pushed_path=path)


def _pipeline_run(config, run_id: str) -> None:
    from ml_metadata.proto import metadata_store_pb2 as pb

    from tfxkit.metadata.store import connection_config, open_store

    store = open_store(connection_config(config))
    type_id = store.put_context_type(pb.ContextType(name="pipeline_run"))
    store.put_contexts([pb.Context(type_id=type_id, name=run_id)])


def _alert(config, tmp_path: Path) -> dict:
    out = tmp_path / "verdicts"
    out.mkdir(exist_ok=True)
    report = {
        "verdict": "alert",
        "window": str(tmp_path / "log" / "20261207T101010.000-00001.tfrecord"),
        "reasons": ["skew of x vs training (PSI+KS): ..."],
        "model_version": 3,
        "report_path": str(out / "w.json"),
    }
    report["execution_id"] = baseline.record(config, report, report["report_path"])
    return report


def test_an_alert_retrains_promotes_and_is_recorded(config, tmp_path: Path) -> None:
    runs, promoted = Runs(config), []
    report = _alert(config, tmp_path)
    what = trigger.retrain(
        config, "pipeline.yaml", ["training.epochs=2"], report, run=runs,
        promote=lambda *a: promoted.append(a), progress=lambda _: None,
    )  # fmt: skip
    assert what.started and what.run_id == "run-1" and what.pushed_version == 4
    [(path, pipeline, kwargs)] = runs.calls
    assert path == "pipeline.yaml" and pipeline is None
    assert kwargs["overrides"] == ["training.epochs=2", "data.path=/data/span-9"]
    assert kwargs["wait"] is False  # a run already holding the pipeline's lock wins
    assert promoted == [(config.resolved_serving_base, "shop", 4, "canary")]

    from tfxkit.metadata.store import connection_config, open_store

    store = open_store(connection_config(config))
    [execution] = store.get_executions_by_id([report["execution_id"]])
    assert json.loads(execution.custom_properties["retrain"].string_value)["run_id"] == "run-1"
    context = store.get_context_by_type_and_name("pipeline_run", "run-1")
    assert context.custom_properties[trigger.STARTED_BY].int_value == report["execution_id"]


def test_one_incident_one_run_until_the_cool_down_ends(config, tmp_path: Path) -> None:
    runs = Runs(config)
    quiet = {"run": runs, "promote": lambda *a: None, "progress": lambda _: None}
    first = trigger.retrain(config, "p.yaml", [], _alert(config, tmp_path), now=1000.0, **quiet)
    again = trigger.retrain(config, "p.yaml", [], _alert(config, tmp_path), now=1600.0, **quiet)
    assert first.started and not again.started
    assert again.reason.startswith("cooling down: a retrain started 10 min ago (run run-1")
    later = trigger.retrain(config, "p.yaml", [], _alert(config, tmp_path), now=5000.0, **quiet)
    assert later.started and len(runs.calls) == 2


def test_a_held_lock_starts_nothing_and_a_dead_holders_lock_is_taken(config, tmp_path) -> None:
    runs = Runs(config)
    report = _alert(config, tmp_path)
    lock = Path(report["report_path"]).parent / trigger.LOCK
    lock.write_text(str(os.getpid()))  # a live holder: this very process
    held = trigger.retrain(config, "p.yaml", [], report, run=runs, progress=lambda _: None)
    assert not held.started and "another monitor" in held.reason and runs.calls == []
    lock.write_text("999999999")  # no such process
    taken = trigger.retrain(
        config, "p.yaml", [], report, run=runs, promote=lambda *a: None, progress=lambda _: None
    )
    assert taken.started and not lock.exists()


def test_a_model_that_is_not_blessed_is_not_promoted(config, tmp_path: Path) -> None:
    promoted: list = []
    what = trigger.retrain(
        config, "p.yaml", [], _alert(config, tmp_path), run=Runs(config, pushed=None),
        promote=lambda *a: promoted.append(a), progress=lambda _: None,
    )  # fmt: skip
    assert what.started and what.pushed_version is None and promoted == []
    assert "not blessed" in what.reason


def test_a_run_that_fails_is_reported_not_raised(config, tmp_path: Path) -> None:
    runs = Runs(config, error=TfxkitError("another run holds the pipeline's lock"))
    what = trigger.retrain(config, "p.yaml", [], _alert(config, tmp_path), run=runs,
                           progress=lambda _: None)  # fmt: skip
    assert not what.started and "holds the pipeline's lock" in what.reason
