"""ModelPusher executor: atomic, increasing, once-only pushes and leftover cleanup."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tfxkit.components.model_pusher import executor


def _model(path: Path, payload: str) -> str:
    (path / "variables").mkdir(parents=True)
    (path / "saved_model.pb").write_text(payload)
    (path / "variables" / "variables.index").write_text("index-" + payload)
    return str(path)


def test_first_push_is_version_1_with_the_whole_model(tmp_path: Path) -> None:
    model = _model(tmp_path / "m1", "one")
    result = executor.push_model(model, str(tmp_path / "serving"))
    assert (result.version, result.already_pushed) == (1, False)
    assert (Path(result.path) / "saved_model.pb").read_text() == "one"
    assert (Path(result.path) / "variables" / "variables.index").read_text() == "index-one"


def test_same_content_is_not_pushed_again(tmp_path: Path) -> None:
    base = str(tmp_path / "serving")
    first = executor.push_model(_model(tmp_path / "m1", "same"), base)
    again = executor.push_model(_model(tmp_path / "m2", "same"), base)  # other dir, same bytes
    assert again.already_pushed and again.version == first.version
    assert executor.existing_versions(base) == [1]


def test_new_content_gets_the_next_integer_version(tmp_path: Path) -> None:
    base = str(tmp_path / "serving")
    executor.push_model(_model(tmp_path / "m1", "a"), base)
    second = executor.push_model(_model(tmp_path / "m2", "b"), base)
    assert second.version == 2 and not second.already_pushed
    # Only numeric children and the hidden record folder: nothing TF Serving could half-load.
    assert sorted(os.listdir(base)) == [".tfxkit-pushes", "1", "2"]


def test_a_version_taken_by_another_pusher_is_skipped(tmp_path: Path, monkeypatch) -> None:
    base = tmp_path / "serving"
    executor.push_model(_model(tmp_path / "m1", "a"), str(base))
    real_copy = executor.io_utils.copy_dir

    def copy_then_race(src: str, dst: str) -> None:
        real_copy(src, dst)
        if not (base / "2").exists():  # a concurrent pusher claims version 2 mid-copy
            (base / "2").mkdir()
            (base / "2" / "saved_model.pb").write_text("theirs")

    monkeypatch.setattr(executor.io_utils, "copy_dir", copy_then_race)
    result = executor.push_model(_model(tmp_path / "m2", "b"), str(base))
    assert result.version == 3
    assert (base / "2" / "saved_model.pb").read_text() == "theirs"
    assert not [n for n in os.listdir(base) if n.startswith(executor.TMP_PREFIX)]


def test_leftover_of_a_killed_push_is_removed_and_never_a_version(tmp_path: Path) -> None:
    base = tmp_path / "serving"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    leftover = base / f"{executor.TMP_PREFIX}1-{socket.gethostname()}-{dead.stdout.strip()}"
    leftover.mkdir(parents=True)
    (leftover / "partial").write_text("half a model")
    result = executor.push_model(_model(tmp_path / "m1", "a"), str(base))
    assert not leftover.exists()
    assert result.version == 1 and executor.existing_versions(str(base)) == [1]


def test_live_pushers_temporary_directory_is_kept(tmp_path: Path) -> None:
    base = tmp_path / "serving"
    live = base / f"{executor.TMP_PREFIX}1-{socket.gethostname()}-{os.getpid()}"
    live.mkdir(parents=True)
    assert executor.clean_leftovers(str(base)) == []
    assert live.exists()


@pytest.mark.parametrize(("values", "blessed"), [([], True), ([1], True), ([1, 0], False)])
def test_every_blessing_must_bless(values: list[int], blessed: bool) -> None:
    from tfx.types import standard_artifacts

    blessings = []
    for value in values:
        artifact = standard_artifacts.ModelBlessing()
        artifact.set_int_custom_property("blessed", value)
        blessings.append(artifact)
    assert executor.is_blessed(blessings) is blessed


def _do(tmp_path: Path, name: str, blessed: int) -> object:
    """One executor run: a model (its serving folder) and one blessing in, a PushedModel out."""
    from tfx.types import standard_artifacts

    model = standard_artifacts.Model()
    model.uri = str(tmp_path / "model")
    if not (tmp_path / "model").exists():
        _model(tmp_path / "model" / "Format-Serving", "one")
    blessing = standard_artifacts.ModelBlessing()
    blessing.set_int_custom_property("blessed", blessed)
    pushed = standard_artifacts.PushedModel()
    pushed.uri = str(tmp_path / name)
    inputs = {"model": [model], "model_blessing": [blessing]}
    props = {"base_directory": str(tmp_path / "serving"), "code_fingerprint": "x"}
    executor.Executor().Do(inputs, {"pushed_model": [pushed]}, props)
    return pushed


def test_the_executor_stores_its_verdict_in_the_pushed_model(tmp_path: Path) -> None:
    from tfxkit.components.model_pusher.verdict import NOT_BLESSED, PushVerdict
    from tfxkit.components.verdicts import read

    first = read(_do(tmp_path, "first", blessed=1))  # what the runner reads back, by kind
    assert isinstance(first, PushVerdict) and first.pushed and not first.already_pushed
    assert (first.destination, first.version) == (str(tmp_path / "serving" / "1"), 1)
    again = _do(tmp_path, "again", blessed=1)
    assert again.get_int_custom_property("already_pushed") == 1
    assert PushVerdict.read(again).already_pushed
    assert PushVerdict.read(again).lines() == [
        f"pushed:    {tmp_path / 'serving' / '1'} (this model was already there: not copied again)"
    ]
    denied = PushVerdict.read(_do(tmp_path, "denied", blessed=0))
    assert (denied.pushed, denied.reasons, denied.destination) == (False, [NOT_BLESSED], None)
    assert denied.lines() == ["pushed:    nothing pushed"]
