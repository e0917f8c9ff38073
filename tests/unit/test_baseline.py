"""``tfxkit baseline pin | reset``: decisions recorded in a real SQLite ML Metadata store with who,
when and why, and honoured by the local baseline resolver (issue 28 #6).

The store holds what runs leave: Trainer models in the pipeline's, run's and node's contexts,
and the gates' blessings (``current_model_id``, ``blessed``), as TFX's launcher records them.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb
from tfx.types import standard_artifacts

from tests.paths import PENGUIN_CONFIG
from tests.stores import context, open_store, put_execution
from tfxkit.cli.app import main
from tfxkit.pipeline import baseline
from tfxkit.pipeline.resolvers import PreviousBlessedModelStrategy

PIPELINE = "penguin"  # configs/penguin.yaml's name: the CLI finds the store through it


def _train(store, workspace: Path, run: str, blessed: int = 1) -> int:
    """One run's Trainer model (in the pipeline, run and trainer contexts) and its blessing."""
    contexts = [
        context(store, "pipeline", PIPELINE),
        context(store, "pipeline_run", run),
        context(store, "node", f"{PIPELINE}.trainer"),
    ]
    uri = str(workspace / "model" / run)
    _, outputs = put_execution(store, {"model": uri}, contexts=contexts, type_name="Model")
    blessing_type = store.put_artifact_type(pb.ArtifactType(name="ModelBlessing"))
    blessing = pb.Artifact(type_id=blessing_type, uri=uri + "-blessing", state=pb.Artifact.LIVE)
    blessing.custom_properties["current_model_id"].int_value = outputs["model"]
    blessing.custom_properties["blessed"].int_value = blessed
    blessing.custom_properties["reason"].string_value = "blessed" if blessed else "too weak"
    store.put_artifacts([blessing])
    return outputs["model"]


def _resolve(store, candidate: int) -> list[int]:
    """The baseline the local resolver picks for ``candidate`` (model ids)."""

    def wrap(proto, kind):
        artifact = kind()
        artifact.set_mlmd_artifact(proto)
        return artifact

    models = [wrap(m, standard_artifacts.Model) for m in store.get_artifacts_by_type("Model")]
    blessings = [
        wrap(b, standard_artifacts.ModelBlessing)
        for b in store.get_artifacts_by_type("ModelBlessing")
    ]
    resolved = PreviousBlessedModelStrategy().resolve_artifacts(
        store,
        {
            "model": models,
            "model_blessing": blessings,
            "candidate": [m for m in models if m.id == candidate],
        },
    )
    return [m.id for m in resolved["model"]]


@pytest.fixture
def store(tmp_path: Path):
    return open_store(tmp_path / "metadata.sqlite")


def test_the_resolver_honours_a_pin_then_a_reset(store, tmp_path: Path) -> None:
    first, second = _train(store, tmp_path, "r1"), _train(store, tmp_path, "r2")
    third = _train(store, tmp_path, "r3")
    assert _resolve(store, third) == [second]  # by default: the newest blessed other model
    pinned = baseline.record(store, PIPELINE, "pin", first, "uri", "label vocabulary frozen")
    assert (pinned.who, pinned.why) == (getpass.getuser(), "label vocabulary frozen")
    assert _resolve(store, third) == [first]
    assert _resolve(store, first) == []  # never the candidate itself
    baseline.record(store, PIPELINE, "reset", third, "uri", "signature changed")
    assert _resolve(store, third) == []  # first-run semantics: no baseline
    fourth, fifth = _train(store, tmp_path, "r4"), _train(store, tmp_path, "r5")
    assert _resolve(store, fifth) == [fourth]  # trained after the reset: a baseline again
    assert [c.action for c in baseline.history(store, PIPELINE)] == ["pin", "reset"]
    assert baseline.in_force(store, "another-pipeline") is None


def test_a_decision_is_an_execution_in_the_pipeline_context(store, tmp_path: Path) -> None:
    model = _train(store, tmp_path, "r1")
    change = baseline.record(store, PIPELINE, "pin", model, "uri", "why")
    pipeline = store.get_context_by_type_and_name("pipeline", PIPELINE)
    assert change.execution_id in [e.id for e in store.get_executions_by_context(pipeline.id)]
    assert change.at > 0 and "by " + getpass.getuser() in change.describe()


def _cli(workspace: Path, *args: str) -> int:
    return main(["baseline", *args, "-c", str(PENGUIN_CONFIG), "--set", f"workspace={workspace}"])


def _config_store(workspace: Path):
    """The store the config's runs record into (workspace/<name>/metadata.sqlite)."""
    (workspace / PIPELINE).mkdir(parents=True)
    return open_store(workspace / PIPELINE / "metadata.sqlite")


def test_cli_pins_a_pushed_version_or_a_run_and_resets(tmp_path: Path, capsys) -> None:
    store = _config_store(tmp_path)
    first, second = _train(store, tmp_path, "r1"), _train(store, tmp_path, "r2")
    records = tmp_path / "serving" / PIPELINE / ".tfxkit-pushes"
    records.mkdir(parents=True)
    pushed_from = str(tmp_path / "model" / "r1" / "Format-Serving")
    (records / "1.json").write_text(json.dumps({"model": pushed_from, "blessed": True}))

    assert _cli(tmp_path, "pin", "1", "-m", "v1 is the reference") == 0
    assert f"pinned to model {first}" in capsys.readouterr().out
    assert _cli(tmp_path, "pin", "r2", "-m", "by run id") == 0
    assert baseline.in_force(store, PIPELINE).model_id == second
    assert _cli(tmp_path, "reset", "-m", "species renamed") == 0
    assert baseline.in_force(store, PIPELINE).action == "reset"
    capsys.readouterr()
    assert _cli(tmp_path, "show") == 0
    shown = capsys.readouterr().out.splitlines()
    assert len(shown) == 3 and shown[-1].startswith("in force: reset: no model up to")
    assert shown[-1].endswith(": species renamed")


def test_cli_refuses_what_is_not_a_blessed_model_of_the_pipeline(tmp_path: Path, capsys) -> None:
    store = _config_store(tmp_path)
    _train(store, tmp_path, "weak", blessed=0)
    assert _cli(tmp_path, "pin", "weak", "-m", "x") == 2
    assert "was not blessed by every gate (too weak)" in capsys.readouterr().err
    assert _cli(tmp_path, "pin", "7", "-m", "x") == 2
    assert "no version 7 pushed by tfxkit" in capsys.readouterr().err
    assert _cli(tmp_path, "pin", "nonesuch", "-m", "x") == 2
    assert "neither a pushed version nor a run" in capsys.readouterr().err
    assert _cli(tmp_path, "reset") == 2  # why is required
    assert baseline.history(store, PIPELINE) == []
