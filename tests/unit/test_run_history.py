"""Run history in a real SQLite ML Metadata store: recorded, listed, loaded, compared."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from tfxkit.cli.runs import config_changes
from tfxkit.metadata import run_history


def _store(tmp_path: Path) -> metadata_store.MetadataStore:
    conn = metadata_store_pb2.ConnectionConfig()
    conn.sqlite.filename_uri = str(tmp_path / "metadata.sqlite")
    conn.sqlite.connection_mode = 3
    return metadata_store.MetadataStore(conn)


def _run(store, pipeline: str, run_id: str, node: str, state: int) -> None:
    """What TFX records for one node of a run: the execution in the pipeline, run and node
    contexts."""

    def type_id(kind: str) -> int:
        return store.put_context_type(metadata_store_pb2.ContextType(name=kind))

    contexts = []
    for kind, name in (
        ("pipeline", pipeline),
        ("pipeline_run", run_id),
        ("node", f"{pipeline}.{node}"),
    ):
        found = store.get_context_by_type_and_name(kind, name)
        if found is None:
            [cid] = store.put_contexts(
                [metadata_store_pb2.Context(type_id=type_id(kind), name=name)]
            )
            found = store.get_contexts_by_id([cid])[0]
        contexts.append(found)
    execution_type = store.put_execution_type(metadata_store_pb2.ExecutionType(name="Trainer"))
    execution = metadata_store_pb2.Execution(type_id=execution_type, last_known_state=state)
    [eid] = store.put_executions([execution])
    store.put_attributions_and_associations(
        [], [metadata_store_pb2.Association(context_id=c.id, execution_id=eid) for c in contexts]
    )


def test_runs_are_recorded_listed_and_loaded(tmp_path: Path) -> None:
    store = _store(tmp_path)
    complete, cached = metadata_store_pb2.Execution.COMPLETE, metadata_store_pb2.Execution.CACHED
    _run(store, "penguin", "run-1", "trainer", complete)
    _run(store, "penguin", "run-2", "trainer", cached)
    _run(store, "other", "run-3", "trainer", complete)  # another pipeline, same store
    summary = {"run_id": "run-2", "blessed": False, "nodes": [], "failed_component": None}
    assert run_history.record_run(store, "penguin", "run-2", {"training": {"epochs": 3}}, summary)
    assert not run_history.record_run(store, "penguin", "never-ran", {}, summary)

    runs = run_history.list_runs(store, "penguin")
    assert [r.run_id for r in runs] == ["run-1", "run-2"]
    old, new = runs
    assert old.config is None and old.status == "finished"  # from its executions alone
    assert [e.state for e in new.executions] == ["CACHED"]
    assert new.config == {"training": {"epochs": 3}} and new.status == "not blessed"
    assert new.config_hash == run_history.config_hash('{"training": {"epochs": 3}}')
    assert run_history.load_run(store, "penguin", "latest").run_id == "run-2"
    assert run_history.load_run(store, "penguin", "previous").run_id == "run-1"
    assert run_history.load_run(store, "penguin", "run-1").run_id == "run-1"
    assert run_history.load_run(store, "penguin", "nope") is None
    assert run_history.list_runs(store, "missing") == []


def test_config_changes_name_each_dotted_key_with_every_runs_value() -> None:
    runs = [
        SimpleNamespace(config={"training": {"epochs": 3, "steps": 10}, "name": "p"}),
        SimpleNamespace(config={"training": {"epochs": 5, "steps": 10}, "name": "p"}),
        SimpleNamespace(config={"training": {"epochs": 5}, "name": "p", "new": True}),
    ]
    assert config_changes(runs) == {
        "new": [None, None, True],
        "training.epochs": [3, 5, 5],
        "training.steps": [10, 10, None],
    }
    assert config_changes([runs[0], SimpleNamespace(config=None)]) == {}  # nothing to compare


def test_an_ambiguous_run_prefix_names_the_runs_it_matches(tmp_path: Path) -> None:
    import pytest

    from tfxkit.cli.runs import load_run_or_fail
    from tfxkit.errors import ConfigError

    store = _store(tmp_path)
    for run_id in ("20261207T1601.1", "20261207T1601.2"):
        _run(store, "penguin", run_id, "trainer", metadata_store_pb2.Execution.COMPLETE)
    loaded = SimpleNamespace(name="penguin", metadata=SimpleNamespace(mysql=None))
    loaded.resolved_sqlite_path = str(tmp_path / "metadata.sqlite")
    assert load_run_or_fail(store, loaded, "20261207T1601.2").run_id == "20261207T1601.2"
    with pytest.raises(ConfigError, match="is the start of 2 runs.*give more of the run id"):
        load_run_or_fail(store, loaded, "20261207T1601")
    with pytest.raises(ConfigError, match="no run 'x'.*the last: 20261207T1601.1"):
        load_run_or_fail(store, loaded, "x")
