"""Schedules behave one way on every backend: the shared rules, then both stand-in servers.

The first half tests ``tfxkit.runners.backends.schedules`` as pure functions (key, cron,
fingerprint, and the apply algorithm with fake callbacks). The second half runs the same
scenarios against both backends: ``tests/standins/kfp_server.py`` stands in for a Kubeflow
Pipelines cluster and ``tests/standins/vertex_server.py`` for Vertex AI (neither service can be
reached from here); the real ``kfp.Client`` and ``google-cloud-aiplatform`` SDK talk to them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials

from tests.standins.kfp_server import API, KfpStandIn, running_kfp_server
from tests.standins.vertex_server import VertexStandIn, vertex_sdk_stand_in
from tfxkit.errors import RemoteError
from tfxkit.pipeline.kfp_compiler import CompiledPipeline
from tfxkit.runners.backends import schedules
from tfxkit.runners.backends.base import ScheduleAction, ScheduleInfo, ScheduleState
from tfxkit.runners.backends.kubeflow import KfpError, KubeflowBackend
from tfxkit.runners.backends.vertex import VertexBackend, VertexTarget

KEY = "penguin:nightly"
ROOT = "gs://tfxkit-bucket/root/penguin"
CRON_HINT = "Use a standard 5-field cron such as '0 3 * * *' (03:00 daily)"

# ------------------------------------------------------------------- pure functions


def test_schedule_key_round_trips_and_rejects_what_would_not() -> None:
    assert schedules.schedule_key("penguin", "nightly-2.v1") == "penguin:nightly-2.v1"
    for pipeline, schedule, problem in [
        ("pen:guin", "nightly", "contain no ':'"),
        ("", "nightly", "must be non-empty"),
        ("penguin", "night ly", "schedule name 'night ly' must be 1-63 letters"),
        ("penguin", "-x", "starting with a letter or digit"),
    ]:
        with pytest.raises(schedules.ScheduleInputError, match=problem):
            schedules.schedule_key(pipeline, schedule)


@pytest.mark.parametrize(
    ("cron", "normalized"),
    [
        ("0 3 * * *", "0 3 * * *"),
        ("  */15  9-17 * * MON-FRI ", "*/15 9-17 * * MON-FRI"),
        ("TZ=Europe/Paris 0 3 * * *", "TZ=Europe/Paris 0 3 * * *"),
        ("CRON_TZ=America/New_York 0 0 1,15 jan,JUL 0,7", None),
    ],
)
def test_good_cron_is_normalized(cron: str, normalized: str | None) -> None:
    assert schedules.validate_cron(cron) == (normalized or cron)


@pytest.mark.parametrize(
    ("cron", "problem"),
    [
        ("", "expected 5 fields (minute hour day-of-month month day-of-week), got 0"),
        ("0 3 * *", "got 4"),
        ("0 0 3 * * *", "got 6 (no seconds field: tfxkit adds it where a backend wants one)"),
        ("60 * * * *", "minute field '60': 60 is outside 0-59"),
        ("* * 0 * *", "day of month field '0': 0 is outside 1-31"),
        ("* * * * 8", "day of week field '8': 8 is outside 0-7"),
        ("*/0 * * * *", "minute field '*/0': a step must be at least 1"),
        ("5-1 * * * *", "minute field '5-1': range '5-1' runs backwards"),
        ("0 3 * * FUN", "day of week field 'FUN': 'FUN' is not a number or a name"),
        ("0 3 ? * *", "day of month field '?': '?' is not *, a value, a range or a step"),
        ("0 3 * * $", "day of week field '$'"),
        ("TZ=Mars/Olympus_Mons 0 3 * * *", "unknown time zone 'Mars/Olympus_Mons'"),
    ],
)
def test_bad_cron_message_names_the_field_and_the_fix(cron: str, problem: str) -> None:
    with pytest.raises(schedules.ScheduleInputError) as info:
        schedules.validate_cron(cron)
    message = str(info.value)
    assert message.startswith(f"invalid cron {cron!r}: ") and problem in message
    assert CRON_HINT in message


def test_fingerprint_is_a_stable_label_value_that_tracks_every_input() -> None:
    def fp(cron: str = "0 3 * * *", raw: bytes = b"pkg", caching: bool = True, **settings: Any):
        return schedules.schedule_fingerprint(
            cron, raw, enable_caching=caching, settings=settings or {"a": 1, "b": "x"}
        )

    base = fp()
    # Pinned: a change here replaces every schedule users have on their next apply.
    assert base == "93edd72b303c3a454ed9957064afaafa4a87f7c9190be181f749ff73e68c41a"
    assert re.fullmatch(r"[0-9a-f]{63}", base)
    assert fp(" 0  3 * * * ") == fp(b="x", a=1) == base
    variants = {fp("0 4 * * *"), fp(raw=b"pkg2"), fp(caching=False), fp(a=2, b="x")}
    assert base not in variants and len(variants) == 4


PAUSED = ScheduleState.PAUSED


def _s(schedule_id: str, fingerprint: str, state: ScheduleState = ScheduleState.ENABLED):
    return ScheduleInfo(schedule_id, "penguin", "nightly", "0 3 * * *", state, fingerprint)


class _Calls:
    """Fake create/delete callbacks logging what the algorithm asked for, in order: ``+`` a
    create (``+paused`` for a paused one), ``-id`` a delete."""

    def __init__(self, fail_delete: str | None = None) -> None:
        self.log: list[str] = []
        self.fail_delete = fail_delete

    def create(self, paused: bool) -> str:
        self.log.append("+paused" if paused else "+")
        return "new"

    def delete(self, info: ScheduleInfo) -> None:
        if info.schedule_id == self.fail_delete:
            raise KfpError(f"delete of {info.schedule_id} refused.")
        self.log.append(f"-{info.schedule_id}")

    def apply(self, existing: list[ScheduleInfo], fingerprint: str = "fp") -> tuple[str, str]:
        result = schedules.apply_schedule(
            existing, fingerprint, key=KEY, create=self.create, delete=self.delete
        )
        return result.action.value, result.schedule_id


@pytest.mark.parametrize(
    ("existing", "expected", "log"),
    [
        ([], ("created", "new"), ["+"]),
        ([_s("a", "fp")], ("unchanged", "a"), []),
        ([_s("old", "x"), _s("a", "fp"), _s("b", "fp")], ("deduplicated", "a"), ["-old", "-b"]),
        ([_s("a", "x"), _s("b", "", PAUSED)], ("replaced", "new"), ["+paused", "-a", "-b"]),
    ],
    ids=["none", "match", "match-plus-leftovers", "no-match"],
)
def test_apply_algorithm(existing: list, expected: tuple, log: list[str]) -> None:
    calls = _Calls()
    assert calls.apply(existing) == expected
    assert calls.log == log


def test_a_failed_delete_keeps_the_error_type_and_says_what_is_in_place() -> None:
    calls = _Calls(fail_delete="a")
    with pytest.raises(KfpError) as info:
        calls.apply([_s("a", "x")])
    assert calls.log == ["+"]
    assert str(info.value) == (
        f"delete of a refused. Schedule new is in place for '{KEY}'; apply the same schedule "
        "again to remove the old ones."
    )


# -------------------------------------------------------------- both stand-in servers


class _Remote:
    """One backend and its stand-in, with the few backend-specific views the tests need."""

    server: Any
    backend: Any
    create_path: str
    delete_prefix: str
    seconds = ""  # what the backend puts before a 5-field cron

    def __init__(self, package: Path) -> None:
        self.package = package

    def delete_path(self, schedule_id: str) -> str:
        return self.delete_prefix + schedule_id

    def native_cron(self, cron: str) -> str:
        return self.seconds + cron

    def compiled(self, pipeline_name: str = "penguin") -> CompiledPipeline:
        return CompiledPipeline(self.package, pipeline_name, ROOT, ["trainer"])

    def apply(self, cron: str, name: str = "nightly", pipeline: str = "penguin", **kwargs: Any):
        kwargs.setdefault("enable_caching", True)
        return self.backend.apply_schedule(self.compiled(pipeline), name, cron, **kwargs)

    def mutations(self, since: int = 0) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.server.requests[since:] if r.method != "GET"]


class _Kfp(_Remote):
    create_path, delete_prefix, seconds = f"{API}/recurringruns", f"{API}/recurringruns/", "0 "

    def __init__(self, package: Path, server: KfpStandIn) -> None:
        super().__init__(package)
        self.server, self.backend = server, KubeflowBackend(server.url, experiment="nightly")

    def stored(self, schedule_id: str) -> tuple[str, bool]:
        run = self.server.recurring_runs[schedule_id]
        return run["trigger"]["cron_schedule"]["cron"], run["mode"] == "DISABLE"

    def ids_under(self, key: str) -> list[str]:
        return [r["recurring_run_id"] for r in self.server.recurring_runs_named(key)]

    def seed_copy(self, schedule_id: str, fingerprint: str | None, cron: str = "0 1 * * *"):
        """Straight into the server's state, as an interrupted apply or another tool leaves it."""
        with self.server.lock:
            run = json.loads(json.dumps(self.server.recurring_runs[schedule_id]))
            seq = self.server.next_seq()
            run.update(recurring_run_id=f"seeded-{seq}", _seq=seq)
            run["description"] = f"tfxkit-fingerprint={fingerprint}" if fingerprint else "by hand"
            run["trigger"] = {"cron_schedule": {"cron": self.native_cron(cron)}}
            self.server.recurring_runs[run["recurring_run_id"]] = run
        return run["recurring_run_id"]


class _Vertex(_Remote):
    create_path, delete_prefix = "/v1/projects/p/locations/us-central1/schedules", "/v1/"

    def __init__(self, package: Path, server: VertexStandIn) -> None:
        super().__init__(package)
        target = VertexTarget("p", "us-central1", None, {}, server.url, AnonymousCredentials())
        self.server, self.backend = server, VertexBackend(target)

    def stored(self, schedule_id: str) -> tuple[str, bool]:
        schedule = self.server.schedules[schedule_id]
        return schedule["cron"], schedule["state"] == "PAUSED"

    def ids_under(self, key: str) -> list[str]:
        return [n for n, s in self.server.schedules.items() if s["displayName"] == key]

    def seed_copy(self, schedule_id: str, fingerprint: str | None, cron: str = "0 1 * * *"):
        """Straight into the server's state, as an interrupted apply or another tool leaves it."""
        with self.server.lock:
            state = self.server.state
            schedule = json.loads(json.dumps(state.schedules[schedule_id]))
            schedule.update(name=f"{schedule_id.rsplit('/', 1)[0]}/{state.next_id()}", cron=cron)
            labels = schedule["createPipelineJobRequest"]["pipelineJob"]["labels"]
            labels.pop(schedules.FINGERPRINT_LABEL)
            if fingerprint:
                labels[schedules.FINGERPRINT_LABEL] = fingerprint
            state.schedules[schedule["name"]] = schedule
        return schedule["name"]


def _write_package(path: Path, **labels: str) -> Path:
    """A one-task PipelineJob JSON shaped like the one the compile step writes."""
    spec = {
        "pipelineInfo": {"name": "penguin"},
        "root": {"dag": {"tasks": {"trainer": {"componentRef": {"name": "trainer"}}}}},
        "components": {"trainer": {"executorLabel": "trainer_executor"}},
        "deploymentSpec": {"executors": {"trainer_executor": {"container": {"image": "i:1"}}}},
        "schemaVersion": "2.0.0",
    }
    job = {
        "displayName": "penguin",
        "labels": {"tfx_version": "1-16-0", **labels},
        "pipelineSpec": spec,
        "runtimeConfig": {"gcsOutputDirectory": ROOT},
    }
    path.write_text(json.dumps(job, indent=2, sort_keys=True))
    return path


@pytest.fixture(params=["kubeflow", "vertex"])
def remote(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Remote]:
    package = _write_package(tmp_path / "penguin.json")
    if request.param == "kubeflow":
        with running_kfp_server() as kfp:
            yield _Kfp(package, kfp)
    else:
        with vertex_sdk_stand_in(monkeypatch) as vertex:
            yield _Vertex(package, vertex)


def test_create_then_reapply_unchanged(remote: _Remote) -> None:
    created = remote.apply("0 3 * * *")
    assert created.action is ScheduleAction.CREATED
    assert remote.ids_under(KEY) == [created.schedule_id]
    assert remote.stored(created.schedule_id) == (remote.native_cron("0 3 * * *"), False)
    mark = len(remote.server.requests)
    again = remote.apply(" 0  3 * * * ")
    assert (again.action, again.schedule_id) == (ScheduleAction.UNCHANGED, created.schedule_id)
    assert remote.mutations(mark) == []  # nothing uploaded, created or deleted


def test_changed_cron_replaces_creating_the_new_schedule_first(remote: _Remote) -> None:
    old = remote.apply("0 3 * * *")
    mark = len(remote.server.requests)
    new = remote.apply("30 4 * * *")
    assert new.action is ScheduleAction.REPLACED and new.schedule_id != old.schedule_id
    assert remote.ids_under(KEY) == [new.schedule_id]
    assert remote.stored(new.schedule_id) == (remote.native_cron("30 4 * * *"), False)
    mutations = remote.mutations(mark)
    created_at = mutations.index(f"POST {remote.create_path}")
    assert mutations[created_at + 1 :] == [f"DELETE {remote.delete_path(old.schedule_id)}"]


@pytest.mark.parametrize("change", ["caching", "package"])
def test_changed_caching_or_package_replaces(remote: _Remote, change: str) -> None:
    old = remote.apply("0 3 * * *")
    if change == "package":
        _write_package(remote.package, tfx_runner="kubeflow_v2")
    new = remote.apply("0 3 * * *", enable_caching=change != "caching")
    assert new.action is ScheduleAction.REPLACED
    assert remote.ids_under(KEY) == [new.schedule_id] != [old.schedule_id]


@pytest.mark.parametrize("same_fingerprint", [False, True], ids=["stale", "copy"])
def test_a_match_plus_a_leftover_is_deduplicated(remote: _Remote, same_fingerprint: bool) -> None:
    kept = remote.apply("0 3 * * *")
    fingerprint = remote.backend.list_schedules()[0].fingerprint
    leftover = remote.seed_copy(kept.schedule_id, fingerprint if same_fingerprint else "0" * 63)
    assert remote.ids_under(KEY) == [kept.schedule_id, leftover]
    mark = len(remote.server.requests)
    result = remote.apply("0 3 * * *")
    assert (result.action, result.schedule_id) == (ScheduleAction.DEDUPLICATED, kept.schedule_id)
    assert remote.ids_under(KEY) == [kept.schedule_id]
    assert remote.mutations(mark) == [f"DELETE {remote.delete_path(leftover)}"]


def test_a_failed_delete_during_replace_is_finished_by_the_next_apply(remote: _Remote) -> None:
    old = remote.apply("0 3 * * *")
    remote.server.fail_next("DELETE", remote.delete_path(old.schedule_id), 503, "backend busy")
    with pytest.raises(RemoteError) as info:
        remote.apply("0 4 * * *")
    message = str(info.value)
    assert "backend busy" in message and remote.backend.location in message
    assert "apply the same schedule again" in message and "\n" not in message
    assert len(remote.ids_under(KEY)) == 2
    again = remote.apply("0 4 * * *")
    assert again.action is ScheduleAction.DEDUPLICATED
    assert remote.ids_under(KEY) == [again.schedule_id] != [old.schedule_id]


def test_list_is_sorted_filterable_and_shows_only_managed_schedules(remote: _Remote) -> None:
    nightly = remote.apply("0 3 * * *")
    hourly = remote.apply("0 * * * *", name="hourly")
    taxi = remote.apply("0 6 * * *", name="daily", pipeline="taxi")
    remote.seed_copy(nightly.schedule_id, None)  # made by hand under a key: not tfxkit's
    listed = remote.backend.list_schedules()
    assert [(s.pipeline_name, s.schedule_name, s.schedule_id, s.cron) for s in listed] == [
        ("penguin", "hourly", hourly.schedule_id, "0 * * * *"),
        ("penguin", "nightly", nightly.schedule_id, "0 3 * * *"),
        ("taxi", "daily", taxi.schedule_id, "0 6 * * *"),
    ]
    assert all(s.state is ScheduleState.ENABLED for s in listed)
    assert all(re.fullmatch(r"[0-9a-f]{63}", s.fingerprint) for s in listed)
    penguin = remote.backend.list_schedules("penguin")
    assert [s.schedule_name for s in penguin] == ["hourly", "nightly"]


def test_pause_replace_resume_delete(remote: _Remote) -> None:
    nightly = remote.apply("0 3 * * *")
    hourly = remote.apply("0 * * * *", name="hourly")
    paused = remote.backend.pause("penguin", "nightly")
    assert (paused.schedule_id, paused.state) == (nightly.schedule_id, ScheduleState.PAUSED)
    assert remote.stored(nightly.schedule_id)[1] is True
    assert remote.stored(hourly.schedule_id)[1] is False
    replaced = remote.apply("0 5 * * *")  # the replacement of a paused schedule is paused too
    assert replaced.action is ScheduleAction.REPLACED
    assert remote.stored(replaced.schedule_id) == (remote.native_cron("0 5 * * *"), True)
    resumed = remote.backend.resume("penguin", "nightly")
    assert (resumed.schedule_id, resumed.state) == (replaced.schedule_id, ScheduleState.ENABLED)
    assert resumed.cron == "0 5 * * *" and remote.stored(replaced.schedule_id)[1] is False
    remote.backend.delete("penguin", "nightly")
    assert remote.ids_under(KEY) == []
    assert [s.schedule_id for s in remote.backend.list_schedules()] == [hourly.schedule_id]


@pytest.mark.parametrize("operation", ["pause", "resume", "delete"])
def test_a_missing_schedule_is_one_clear_error(remote: _Remote, operation: str) -> None:
    with pytest.raises(RemoteError) as info:
        getattr(remote.backend, operation)("penguin", "nope")
    message = str(info.value)
    assert "no schedule 'penguin:nope' exists" in message and "`tfxkit schedule list`" in message
    assert remote.backend.location in message and "\n" not in message
    assert remote.mutations() == []


@pytest.mark.parametrize(
    ("cron", "problem"),
    [("0 3 * *", "got 4"), ("0 0 3 * * *", "got 6"), ("0 3 * * $", "field '$'")],
)
def test_a_bad_cron_or_name_is_refused_before_any_request(
    remote: _Remote, cron: str, problem: str
) -> None:
    with pytest.raises(RemoteError) as info:
        remote.apply(cron)
    message = str(info.value)
    assert f"invalid cron {cron!r}" in message and problem in message and KEY in message
    assert remote.backend.location in message
    with pytest.raises(RemoteError, match="schedule name 'night ly'"):
        remote.apply("0 3 * * *", name="night ly")
    assert remote.server.requests == []
