"""Cached outputs are verified before reuse (issue 28 #4): digests of files, and the check
TFX's own cache lookup sees, against a real SQLite ML Metadata store.

The whole path on a real run (a damaged ``transform_fn/saved_model.pb``, a re-run that re-runs
Transform and what follows) is in tests/integration/test_faults.py.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from tests.stores import CACHE_CONTEXT, connection, context, open_store, put_execution
from tfxkit.metadata import cache_guard, cache_hook, digests
from tfxkit.metadata import store as metadata_store
from tfxkit.metadata.store import PIPELINE_RUN_CONTEXT


def _output(folder: Path, files: dict[str, bytes] | None = None) -> str:
    """A transform_graph-like output folder."""
    files = files or {
        "transform_fn/saved_model.pb": b"graph" * 100,
        "transform_fn/variables/variables.index": b"index",
        "transformed_metadata/schema.pbtxt": b"feature {}",
    }
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return str(folder)


# Digests of files --------------------------------------------------------------------------


def test_a_digest_follows_content_not_times(tmp_path: Path) -> None:
    uri = _output(tmp_path / "a")
    same = _output(tmp_path / "b")
    first = digests.digest(uri)
    assert first.whole == digests.digest(same).whole  # where it lives does not count
    pb_file = Path(uri, "transform_fn", "saved_model.pb")
    os.utime(pb_file, ns=(1, 1))
    assert digests.digest(uri) == first
    assert set(first.files) == {
        "transform_fn/saved_model.pb",
        "transform_fn/variables/variables.index",
        "transformed_metadata/schema.pbtxt",
    }


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("byte", "transform_fn/saved_model.pb"),
        ("truncate", "transform_fn/saved_model.pb"),
        ("remove", "transform_fn/variables/variables.index removed"),
        ("add", "transform_fn/extra added"),
        ("rename", "transformed_metadata/schema.pbtxt removed"),
    ],
)
def test_every_kind_of_change_changes_the_digest_and_is_named(
    tmp_path: Path, change: str, named: str
) -> None:
    uri = _output(tmp_path / "out")
    recorded = digests.digest(uri)
    folder = Path(uri)
    if change == "byte":
        data = bytearray((folder / "transform_fn/saved_model.pb").read_bytes())
        data[7] ^= 0xFF
        (folder / "transform_fn/saved_model.pb").write_bytes(bytes(data))
    elif change == "truncate":
        (folder / "transform_fn/saved_model.pb").write_bytes(b"gra")
    elif change == "remove":
        (folder / "transform_fn/variables/variables.index").unlink()
    elif change == "add":
        (folder / "transform_fn/extra").write_bytes(b"")
    elif change == "rename":
        (folder / "transformed_metadata/schema.pbtxt").rename(folder / "transformed_metadata/s")
    assert not digests.matches(uri, recorded.whole)
    what = digests.damage(uri, recorded.whole, recorded.manifest())
    assert what is not None and what.startswith("changed on disk since it was recorded (")
    assert named in what


def test_large_files_are_streamed_and_single_file_outputs_are_digested(tmp_path: Path) -> None:
    big = tmp_path / "model.bin"
    big.write_bytes(os.urandom(3 * (1 << 20) + 5))  # crosses the 1 MiB read size
    recorded = digests.digest(str(big))
    assert list(recorded.files) == ["model.bin"]
    with big.open("r+b") as handle:
        handle.seek(2 * (1 << 20) + 1)
        handle.write(b"\0\1\2")
    assert digests.damage(str(big), recorded.whole, recorded.manifest()) == (
        "changed on disk since it was recorded (model.bin)"
    )


def test_missing_unrecorded_and_many_changes_are_said_in_words(tmp_path: Path) -> None:
    gone = str(tmp_path / "gone")
    assert digests.damage(gone, "0" * 64) == f"is missing from disk ({gone})"
    assert digests.damage(gone, None) == f"is missing from disk ({gone})"
    with pytest.raises(FileNotFoundError):
        digests.digest(gone)
    uri = _output(tmp_path / "out", {f"part-{i}": b"x" for i in range(5)})
    assert digests.damage(uri, None) is None  # recorded before digests: nothing to compare
    recorded = digests.digest(uri)
    for i in range(5):
        Path(uri, f"part-{i}").write_bytes(b"y")
    assert digests.damage(uri, recorded.whole, recorded.manifest()) == (
        "changed on disk since it was recorded (part-0, part-1, part-2 and 2 more)"
    )
    assert digests.damage(uri, recorded.whole, None) == "changed on disk since it was recorded"
    assert not digests.is_local("gs://bucket/x") and digests.is_local("/x")


# The check against ML Metadata ----------------------------------------------------------------


@pytest.fixture()
def store(tmp_path: Path):
    return open_store(tmp_path / "metadata.sqlite")


def _cache(store, name: str = "key") -> pb.Context:
    return context(store, CACHE_CONTEXT, name)


def _finished(store, outputs: dict[str, str | int], *, state=pb.Execution.COMPLETE, record=True):
    """An execution in the cache context; its outputs digested as the local runner does."""
    time.sleep(0.002)  # TFX orders candidates by creation time (ms)
    execution_id, ids = put_execution(store, outputs, contexts=[_cache(store)], state=state)
    if record:
        cache_guard.record(store, execution_id)
    return execution_id, ids


def _artifact(store, artifact_id: int) -> pb.Artifact:
    return store.get_artifacts_by_id([artifact_id])[0]


def test_record_digests_fresh_local_outputs_once(store, tmp_path: Path) -> None:
    uri = _output(tmp_path / "graph")
    execution_id, ids = _finished(
        store, {"transform_graph": uri, "remote": "gs://b/x"}, record=False
    )
    assert cache_guard.record(store, execution_id) == 1
    graph = _artifact(store, ids["transform_graph"])
    assert graph.custom_properties[cache_guard.DIGEST_PROPERTY].string_value == (
        digests.digest(uri).whole
    )
    assert (
        "transform_fn/saved_model.pb"
        in graph.custom_properties[cache_guard.FILES_PROPERTY].string_value
    )
    assert cache_guard.DIGEST_PROPERTY not in _artifact(store, ids["remote"]).custom_properties
    assert cache_guard.record(store, execution_id) == 0  # recorded once, never rewritten


def test_outputs_already_read_keep_no_digest(store, tmp_path: Path) -> None:
    """A consumer's cache key hashed the artifact as it was: a digest added now would change
    it (a cache miss). Unread outputs of a cached execution (a run killed before recording)
    still get theirs."""
    read_uri, unread_uri = _output(tmp_path / "read"), _output(tmp_path / "unread")
    execution_id, ids = _finished(
        store, {"transform_graph": read_uri, "other": unread_uri}, record=False
    )
    reader = pb.Execution(type_id=store.put_execution_type(pb.ExecutionType(name="test")))
    event = pb.Event(type=pb.Event.INPUT)
    event.path.steps.add().key = "transform_graph"
    store.put_execution(reader, [(_artifact(store, ids["transform_graph"]), event)], [])
    cached_id, _ = _finished(store, ids, state=pb.Execution.CACHED, record=False)
    assert cache_guard.record(store, cached_id) == 1
    assert (
        cache_guard.DIGEST_PROPERTY
        not in _artifact(store, ids["transform_graph"]).custom_properties
    )
    assert cache_guard.DIGEST_PROPERTY in _artifact(store, ids["other"]).custom_properties


def test_intact_outputs_pass_and_stay_live(store, tmp_path: Path) -> None:
    _, ids = _finished(store, {"transform_graph": _output(tmp_path / "graph")})
    assert cache_guard.screen(store, _cache(store).id) == []
    assert _artifact(store, ids["transform_graph"]).state == pb.Artifact.LIVE


@pytest.mark.parametrize("how", ["changed", "missing"])
def test_a_damaged_output_is_condemned_with_why(store, tmp_path: Path, how: str) -> None:
    uri = _output(tmp_path / "graph")
    _, ids = _finished(store, {"transform_graph": uri, "other": _output(tmp_path / "other")})
    if how == "changed":
        Path(uri, "transform_fn", "saved_model.pb").write_bytes(b"damaged")
        what = "changed on disk since it was recorded (transform_fn/saved_model.pb)"
    else:
        Path(uri, "transform_fn", "saved_model.pb").unlink()
        Path(uri, "transform_fn", "variables", "variables.index").unlink()
        Path(uri, "transformed_metadata", "schema.pbtxt").unlink()
        for folder in sorted(Path(uri).rglob("*"), reverse=True):
            folder.rmdir()
        Path(uri).rmdir()
        what = f"is missing from disk ({uri})"
    [damage] = cache_guard.screen(store, _cache(store).id)
    assert damage == cache_guard.Damage("transform_graph", ids["transform_graph"], what)
    graph = _artifact(store, ids["transform_graph"])
    assert graph.state == pb.Artifact.ABANDONED
    assert graph.custom_properties[cache_guard.CONDEMNED_PROPERTY].string_value == what
    assert _artifact(store, ids["other"]).state == pb.Artifact.LIVE  # intact: untouched
    assert Path(tmp_path / "other").is_dir()  # nothing is deleted
    assert cache_guard.screen(store, _cache(store).id) == []  # said once: TFX skips it now


def test_outputs_recorded_before_digests_are_trusted_unless_gone(store, tmp_path: Path) -> None:
    uri = _output(tmp_path / "graph")
    _, ids = _finished(store, {"transform_graph": uri}, record=False)
    Path(uri, "transform_fn", "saved_model.pb").write_bytes(b"cannot be told")
    assert cache_guard.screen(store, _cache(store).id) == []
    _, gone = _finished(store, {"transform_graph": str(tmp_path / "gone")}, record=False)
    [damage] = cache_guard.screen(store, _cache(store).id)
    assert damage.artifact_id == gone["transform_graph"] and "missing" in damage.what


def test_candidates_are_walked_as_tfx_does(store, tmp_path: Path) -> None:
    """Newest first; a CACHED execution shares its producer's outputs (one damage, said once);
    failed candidates are skipped; the walk stops at the first intact one."""
    oldest_uri = _output(tmp_path / "oldest")
    _, oldest = _finished(store, {"transform_graph": oldest_uri})
    middle_uri = _output(tmp_path / "middle")
    _, middle = _finished(store, {"transform_graph": middle_uri})
    _finished(store, {"transform_graph": str(tmp_path / "failed")}, state=pb.Execution.FAILED)
    newer_uri = _output(tmp_path / "newer")
    _, newer = _finished(store, {"transform_graph": newer_uri})
    _finished(store, {"transform_graph": newer["transform_graph"]}, state=pb.Execution.CACHED)
    Path(newer_uri, "transform_fn", "saved_model.pb").write_bytes(b"damaged")
    Path(oldest_uri, "transform_fn", "saved_model.pb").write_bytes(b"not looked at yet")
    [damage] = cache_guard.screen(store, _cache(store).id)
    assert damage.artifact_id == newer["transform_graph"]
    assert _artifact(store, oldest["transform_graph"]).state == pb.Artifact.LIVE
    # The middle one (TFX's choice now) is damaged too: the walk goes on to the oldest.
    Path(middle_uri, "transform_fn", "saved_model.pb").write_bytes(b"damaged")
    found = cache_guard.screen(store, _cache(store).id)
    assert [d.artifact_id for d in found] == [middle["transform_graph"], oldest["transform_graph"]]


def test_tfx_cache_lookup_skips_a_damaged_output(store, tmp_path: Path) -> None:
    """Through TFX's own ``get_cached_outputs``, wrapped as the local runner wraps it: the newest
    candidate is damaged, an older intact one is reused; then none is left and TFX runs."""
    from tfx.orchestration import metadata
    from tfx.orchestration.portable import cache_utils

    older_uri = _output(tmp_path / "older")
    _, older = _finished(store, {"transform_graph": older_uri})
    newer_uri = _output(tmp_path / "newer")
    _finished(store, {"transform_graph": newer_uri})
    Path(newer_uri, "transform_fn", "saved_model.pb").write_bytes(b"damaged")
    reports: list[str] = []

    def report(damage, reused):
        reports.append(cache_guard.describe("transform", damage, reused))

    conn = connection(tmp_path / "metadata.sqlite")
    with metadata.Metadata(conn) as handle:
        with cache_hook.verified_cache(report):
            cached = cache_utils.get_cached_outputs(
                metadata_handle=handle, cache_context=_cache(store)
            )
            assert [a.uri for a in cached["transform_graph"]] == [older_uri]
            Path(older_uri, "transformed_metadata", "schema.pbtxt").unlink()
            assert cache_utils.get_cached_outputs(handle, _cache(store)) is None
        # Outside a run (or in another thread) TFX's lookup is its own: nothing is screened.
        _, fresh = _finished(store, {"transform_graph": _output(tmp_path / "fresh")})
        Path(tmp_path, "fresh", "transform_fn", "saved_model.pb").write_bytes(b"damaged")
        assert cache_utils.get_cached_outputs(handle, _cache(store)) is not None
        with cache_hook.verified_cache(report):  # installed once, however often entered
            assert cache_utils.get_cached_outputs(handle, _cache(store)) is None
    assert _artifact(store, fresh["transform_graph"]).state == pb.Artifact.ABANDONED
    assert len(reports) == 3
    assert reports[:2] == [
        "[tfxkit] cache: transform's output transform_graph changed on disk since it was "
        "recorded (transform_fn/saved_model.pb); an older cached transform is reused",
        "[tfxkit] cache: transform's output transform_graph changed on disk since it was "
        "recorded (transformed_metadata/schema.pbtxt removed); re-running transform",
    ]
    assert _artifact(store, older["transform_graph"]).state == pb.Artifact.ABANDONED


def test_one_line_per_component_names_every_damaged_output() -> None:
    damage = [
        cache_guard.Damage("transform_graph", 1, "changed on disk since it was recorded (a)"),
        cache_guard.Damage("transformed_examples", 2, "is missing from disk (/x)"),
    ]
    assert cache_guard.describe("transform", damage, reused=False) == (
        "[tfxkit] cache: transform's output transform_graph changed on disk since it was "
        "recorded (a); output transformed_examples is missing from disk (/x); re-running "
        "transform"
    )


def test_run_outputs_are_the_recorded_digests_of_one_run(store, tmp_path: Path) -> None:
    run = context(store, PIPELINE_RUN_CONTEXT, "r1")
    recorded_uri = _output(tmp_path / "recorded")
    legacy_uri = _output(tmp_path / "legacy", {"f": b"1"})
    execution_id, _ = put_execution(
        store, {"a": recorded_uri, "b": legacy_uri, "c": "gs://b/x"}, contexts=[run]
    )
    cache_guard.record(store, execution_id)
    Path(recorded_uri, "transform_fn", "saved_model.pb").write_bytes(b"changed since")
    outputs = cache_guard.run_outputs(store, "r1")
    assert set(outputs) == {recorded_uri, legacy_uri}
    assert not digests.matches(recorded_uri, outputs[recorded_uri])  # the recorded one
    assert digests.matches(legacy_uri, outputs[legacy_uri])
    assert cache_guard.run_outputs(store, "no such run") == {}
    assert cache_guard.PIPELINE_RUN_CONTEXT == metadata_store.PIPELINE_RUN_CONTEXT  # one name
