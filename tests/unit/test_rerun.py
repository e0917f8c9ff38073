"""The unchanged re-run: reported from the record only while nothing it depends on changed.

A real run and its no-TFX re-run are covered in tests/integration/test_penguin_e2e.py; here
each kind of change is made to a recorded (fake) run and must send the next run to TFX.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.stores import context, open_store, put_execution
from tfxkit.config.pipeline_config import validate_config
from tfxkit.metadata import cache_guard
from tfxkit.metadata.store import PIPELINE_RUN_CONTEXT
from tfxkit.runners import rerun
from tfxkit.runners.summary import NodeResult, RunSummary

PIPELINE = """
import helpers
from tfxkit import standard_pipeline


def create_pipeline(config):
    return standard_pipeline(config)
"""


@pytest.fixture()
def recorded(tmp_path: Path):
    """A workspace whose last run is recorded: data, store, pushed model, pipeline file."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "d.csv").write_text("a,y\n1,0\n2,1\n")
    (tmp_path / "pipelines").mkdir()
    pipeline = tmp_path / "pipelines" / "p.py"
    pipeline.write_text(PIPELINE)
    (tmp_path / "pipelines" / "helpers.py").write_text("X = 1\n")
    config = _config(tmp_path)
    Path(config.run_dir).mkdir(parents=True)
    store = open_store(Path(config.resolved_sqlite_path))
    output = tmp_path / "ws" / "root" / "transform" / "transform_graph" / "7"
    (output / "transform_fn").mkdir(parents=True)
    (output / "transform_fn" / "saved_model.pb").write_bytes(b"graph")
    run = context(store, PIPELINE_RUN_CONTEXT, "r1")
    execution_id, _ = put_execution(store, {"transform_graph": str(output)}, contexts=[run])
    cache_guard.record(store, execution_id)
    pushed = Path(config.resolved_push_destination) / "1"
    pushed.mkdir(parents=True)
    (pushed / "saved_model.pb").write_bytes(b"model")
    summary = RunSummary("m", "r1", [NodeResult("trainer", "finished", 3.0)], blessed=True)
    summary.pushed_path = str(pushed)
    key = rerun.run_key(config, str(pipeline))
    assert key is not None
    rerun.remember(config, key, summary)
    return tmp_path, config, pipeline


def _config(root: Path, **changes):
    raw = {
        "name": "m",
        "workspace": str(root / "ws"),
        "data": {"path": str(root / "data")},
        "features": [{"name": "a", "type": "float", "transform": "zscore"}],
        "label": {"name": "y"},
        "evaluation": {"bless": "always"},
    }
    for dotted, value in changes.items():
        node = raw
        *parents, leaf = dotted.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return validate_config(raw)


def _unchanged(config, pipeline: Path) -> RunSummary | None:
    return rerun.unchanged_summary(config, rerun.run_key(config, str(pipeline)))


def test_nothing_changed_reports_the_recorded_run(recorded) -> None:
    _, config, pipeline = recorded
    summary = _unchanged(config, pipeline)
    assert summary is not None and summary.run_id == "r1" and summary.blessed is True
    assert summary.nodes == [NodeResult("trainer", "finished", 3.0)]


def _touch(path: Path) -> None:
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))


@pytest.mark.parametrize(
    "change",
    [
        "config",
        "data_touched",
        "data_added",
        "pipeline_edited",
        "imported_module_edited",
        "store_written",
        "store_removed",
        "pushed_model_removed",
        "pushed_model_damaged",
        "output_damaged",
        "output_removed",
        "record_removed",
    ],
)
def test_any_change_means_a_real_run(recorded, change: str) -> None:
    root, config, pipeline = recorded
    if change == "config":
        config = _config(root, training__train_steps=7)
    elif change == "data_touched":
        _touch(root / "data" / "d.csv")
    elif change == "data_added":
        (root / "data" / "e.csv").write_text("a,y\n3,0\n")
    elif change == "pipeline_edited":
        pipeline.write_text(PIPELINE + "\n# edited\n")
    elif change == "imported_module_edited":
        (root / "pipelines" / "helpers.py").write_text("X = 2\n")
    elif change == "store_written":
        Path(config.resolved_sqlite_path).write_bytes(b"store+")
    elif change == "store_removed":
        Path(config.resolved_sqlite_path).unlink()
    elif change == "pushed_model_removed":
        shutil.rmtree(Path(config.resolved_push_destination) / "1")
    elif change == "pushed_model_damaged":
        (Path(config.resolved_push_destination) / "1" / "saved_model.pb").write_bytes(b"mode")
    elif change.startswith("output_"):  # issue 28 #4: the store is untouched, the file is not
        graph = root / "ws" / "root" / "transform" / "transform_graph" / "7" / "transform_fn"
        if change == "output_damaged":
            (graph / "saved_model.pb").write_bytes(b"grap")
        else:
            shutil.rmtree(graph.parent)
    elif change == "record_removed":
        rerun.forget(config)
    assert _unchanged(config, pipeline) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"training__warm_start": True},  # the trainer re-runs on every run by design
        {"data__path": "gs://bucket/data"},  # cannot be stamped cheaply
        {"metadata__mysql": {"host": "db", "database": "m", "user": "u"}},  # shared store
    ],
)
def test_doubtful_setups_are_never_short_cut(recorded, changes: dict) -> None:
    root, _, pipeline = recorded
    assert rerun.run_key(_config(root, **changes), str(pipeline)) is None


def test_unfindable_import_is_doubt(recorded) -> None:
    root, config, pipeline = recorded
    pipeline.write_text(PIPELINE.replace("import helpers", "import no_such_module_xyz"))
    assert rerun.run_key(config, str(pipeline)) is None


def test_failed_runs_are_not_recorded(recorded) -> None:
    root, config, pipeline = recorded
    rerun.forget(config)
    failed = RunSummary("m", "r2", failed_component="trainer", error="boom")
    rerun.remember(config, rerun.run_key(config, str(pipeline)), failed)
    assert not rerun.record_path(config).exists()


def test_installed_packages_count_by_version(recorded, monkeypatch) -> None:
    """A third-party import is keyed by its version, not by walking its source."""
    root, config, pipeline = recorded
    pipeline.write_text("import yaml\n" + PIPELINE)
    before = rerun.run_key(config, str(pipeline))
    from importlib import metadata

    real = metadata.version
    from tfxkit import fingerprint

    monkeypatch.setattr(
        fingerprint.metadata,
        "version",
        lambda name: "99.0" if name.lower() == "pyyaml" else real(name),
    )
    assert before is not None and rerun.run_key(config, str(pipeline)) != before


def test_the_key_covers_the_whole_tfxkit_package() -> None:
    """After the move into packages the key covered only tfxkit/runners/: an edited trainer in
    a copy of tfxkit on PYTHONPATH was reported as `nothing changed` (found by the e2e test)."""
    import tfxkit

    assert rerun.TFXKIT_ROOT == Path(tfxkit.__file__).resolve().parent
    assert (rerun.TFXKIT_ROOT / "training" / "keras_trainer.py").is_file()


def test_frameworks_are_quieted_before_the_runner_module_loads(recorded, monkeypatch) -> None:
    """From Python, TensorFlow's start-up lines leaked: the local runner's module imported TF
    before the session quieted it."""
    from tfxkit.runners import registry, session

    root, config, pipeline = recorded
    order: list[str] = []
    monkeypatch.setattr(session, "quiet_frameworks", lambda verbose: order.append("quiet"))
    monkeypatch.setattr(session, "check_before_tfx", lambda config, inventory: None)

    class Runner:
        def run(self, run_session):
            return RunSummary(config.name, "r")

    def runner_class(name: str):
        order.append("runner module")
        return Runner

    monkeypatch.setattr(registry, "runner_class", runner_class)
    session.run(config, cache=False)
    assert order[:2] == ["quiet", "runner module"]
