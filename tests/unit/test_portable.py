"""runner.beam.mode portable: its Beam flags, the worker-venv key, the import-failure message,
and the rehearsal's services stopping on the way out (also on Ctrl-C)."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import pytest

from tfxkit.config.pipeline_config import BeamMode, validate_config
from tfxkit.errors import EXIT_USAGE
from tfxkit.runners import portable
from tfxkit.runners.beam_settings import BeamChoice, choose


def _config(tmp_path: Path, **beam) -> object:
    return validate_config(
        {
            "name": "m",
            "data": {"path": str(tmp_path), "format": "csv"},
            "features": [{"name": "a", "type": "float", "transform": "zscore"}],
            "label": {"name": "y"},
            "evaluation": {"bless": "always"},
            "runner": {"beam": beam},
        }
    )


def test_portable_mode_sends_every_beam_job_to_the_rehearsal(tmp_path: Path) -> None:
    choice = choose(_config(tmp_path, mode="portable"), rows=10_000_000)
    assert choice.mode is BeamMode.PORTABLE
    running = portable.Rehearsal("localhost:1", "localhost:2", Path("/w/bin/python"), (1, 2))
    with_services = BeamChoice(choice.mode, 1, choice.reason, tuple(running.args()))
    args = with_services.pipeline_args(["--max_cache_memory_usage_mb=0"])
    assert args[:4] == [
        "--runner=PortableRunner",
        "--job_endpoint=localhost:1",
        "--environment_type=EXTERNAL",
        "--environment_config=localhost:2",
    ]
    assert args[-1] == "--max_cache_memory_usage_mb=0"
    assert not any(a.startswith("--direct_") for a in args)
    assert "portable" in with_services.describe()
    # Outside a run (compiling, tfxkit predict) no services listen: Beam stays in-process.
    assert choice.args() == ["--direct_running_mode=in_memory", "--direct_num_workers=1"]


def test_beam_mode_option_overrides_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from tfxkit.cli.run import run
    from tfxkit.runners import session

    seen = {}

    def fake_run(config, pipeline, **kwargs):
        seen.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(session, "run", fake_run)
    CliRunner().invoke(run, ["--config", "c.yaml", "--beam-mode", "portable"])
    assert seen["overrides"] == ["runner.beam.mode=portable"]


def _wheel(path: Path, body: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tfxkit/__init__.py", body)
    return path


def test_worker_venv_key_is_the_wheel_content(tmp_path: Path) -> None:
    first = _wheel(tmp_path / "a.whl", b"x = 1\n")
    again = _wheel(tmp_path / "b.whl", b"x = 1\n")  # written later: other zip timestamps
    changed = _wheel(tmp_path / "c.whl", b"x = 2\n")
    assert portable.wheel_hash(first) == portable.wheel_hash(again)
    assert portable.wheel_hash(first) != portable.wheel_hash(changed)


def test_cached_worker_venv_is_reused(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "a.whl", b"x = 1\n")
    python = tmp_path / "cache" / portable.wheel_hash(wheel) / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")
    stale = tmp_path / "cache" / "0123456789abcdef"
    stale.mkdir()
    os.utime(stale, (0, 0))
    assert portable.worker_env(wheel, tmp_path / "cache") == python
    portable._prune(tmp_path / "cache")
    assert not stale.exists() and python.exists()  # the one just used is kept


def _worker_failure() -> Exception:
    try:
        try:
            raise ModuleNotFoundError("No module named 'planted_helper'")
        except ModuleNotFoundError as inner:
            raise RuntimeError("Pipeline job failed: Traceback ... unpickling") from inner
    except RuntimeError as outer:
        return outer


def test_a_missing_module_on_a_worker_is_named() -> None:
    choice = BeamChoice(BeamMode.PORTABLE, 1, "test")
    error = portable.explain("transform", _worker_failure(), choice)
    assert error is not None and error.exit_code == EXIT_USAGE
    message = str(error)
    assert "'transform'" in message and "module 'planted_helper'" in message
    assert "\n" not in message  # one paragraph


def test_other_failures_and_other_modes_are_not_explained() -> None:
    portable_choice = BeamChoice(BeamMode.PORTABLE, 1, "test")
    assert portable.explain("transform", ValueError("bad"), portable_choice) is None
    in_memory = BeamChoice(BeamMode.IN_MEMORY, 1, "test")
    assert portable.explain("transform", _worker_failure(), in_memory) is None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_services_stop_on_ctrl_c(tmp_path: Path) -> None:
    """Both services really start (this interpreter stands in for the worker venv) and are
    gone, with their process groups, after a KeyboardInterrupt inside the rehearsal."""
    pids: tuple[int, ...] = ()
    with pytest.raises(KeyboardInterrupt):
        with portable.rehearsal(worker_python=Path(sys.executable), log_dir=tmp_path) as running:
            pids = running.pids
            assert all(_alive(pid) for pid in pids)
            raise KeyboardInterrupt
    assert len(pids) == 2
    assert not any(_alive(pid) for pid in pids)
    for pid in pids:  # nothing left in the services' process groups either
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
    assert (tmp_path / "worker_pool.log").exists() and (tmp_path / "job_service.log").exists()
