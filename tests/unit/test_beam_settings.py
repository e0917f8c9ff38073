"""runner.beam.mode: auto picks each mode at the right sizes; explicit settings win."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pytest

from tfxkit.config.pipeline_config import BeamMode, validate_config
from tfxkit.data import inventory
from tfxkit.data.inventory import take_inventory
from tfxkit.runners.beam_settings import MULTI_PROCESSING_MIN_ROWS, Machine, choose, choose_for

GIB = 2**30
LAPTOP = Machine(cores=8, memory_bytes=16 * GIB)


def estimate_rows(config) -> int | None:
    return take_inventory(config).rows


def _choose(config, machine: Machine):
    return choose(config, estimate_rows(config), machine)


def _config(path: Path, fmt: str = "csv", **beam) -> object:
    return validate_config(
        {
            "name": "m",
            "data": {"path": str(path), "format": fmt},
            "features": [{"name": "a", "type": "float", "transform": "zscore"}],
            "label": {"name": "y"},
            "evaluation": {"bless": "always"},
            "runner": {"beam": beam},
        }
    )


def test_auto_is_the_default_mode(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    assert cfg.runner.beam.mode == BeamMode.AUTO.value and cfg.runner.beam.workers is None


@pytest.mark.parametrize(
    ("rows", "machine", "mode", "workers"),
    [
        (333, LAPTOP, BeamMode.IN_MEMORY, 1),  # the penguin data: start-up would dominate
        (MULTI_PROCESSING_MIN_ROWS - 1, LAPTOP, BeamMode.IN_MEMORY, 1),
        (MULTI_PROCESSING_MIN_ROWS, LAPTOP, BeamMode.MULTI_PROCESSING, 8),
        (3_000_000, Machine(2, 24 * GIB), BeamMode.MULTI_PROCESSING, 2),  # this machine
        (3_000_000, Machine(1, 24 * GIB), BeamMode.IN_MEMORY, 1),  # one core: nothing to share
        (3_000_000, Machine(64, 8 * GIB), BeamMode.MULTI_PROCESSING, 3),  # capped by memory
        (3_000_000, Machine(8, 4 * GIB), BeamMode.MULTI_THREADING, 8),  # no room for 2 processes
        (None, LAPTOP, BeamMode.MULTI_PROCESSING, 8),  # size unknown (remote data): use the cores
    ],
)
def test_auto_picks_mode_by_size_cores_and_memory(
    rows: int | None, machine: Machine, mode: BeamMode, workers: int
) -> None:
    choice = choose_for(rows, machine)
    assert (choice.mode, choice.workers) == (mode, workers)
    assert choice.reason.startswith("auto: ")
    assert choice.args() == [
        f"--direct_running_mode={mode.value}",
        f"--direct_num_workers={workers}",
    ]


def test_auto_says_why(tmp_path: Path) -> None:
    small = choose_for(333, LAPTOP).describe()
    assert "in_memory, 1 worker" in small and "~333 input rows <" in small
    capped = choose_for(10**7, Machine(64, 8 * GIB)).describe()
    assert "capped by memory at 3" in capped


def test_explicit_settings_win(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("a,y\n" + "1,0\n" * 10)
    choice = _choose(_config(tmp_path, mode="multi_threading", workers=3), LAPTOP)
    assert (choice.mode, choice.workers, choice.reason) == (
        BeamMode.MULTI_THREADING,
        3,
        "set in runner.beam",
    )
    assert _choose(_config(tmp_path, mode="multi_processing", workers=0), LAPTOP).workers == 8
    assert _choose(_config(tmp_path, mode="in_memory"), LAPTOP).workers == 1
    # auto with one worker: nothing to spread over, so in_memory
    many = tmp_path / "many"
    many.mkdir()
    (many / "d.csv").write_text("a,y\n" + "1,0\n" * (MULTI_PROCESSING_MIN_ROWS + 10))
    assert _choose(_config(many, workers=1), LAPTOP).mode is BeamMode.IN_MEMORY
    assert _choose(_config(many, workers=4), LAPTOP).workers == 4


def test_explicit_workers_win_under_auto_below_the_row_threshold(tmp_path: Path) -> None:
    """Issue 31: ``--set runner.beam.workers=2`` with ``mode: auto`` ran in_memory, 1 worker."""
    (tmp_path / "d.csv").write_text("a,y\n" + "1,0\n" * 10)
    choice = _choose(_config(tmp_path, workers=2), LAPTOP)
    assert (choice.mode, choice.workers) == (BeamMode.MULTI_PROCESSING, 2)
    assert "runner.beam.workers: 2" in choice.describe()


def test_memory_cap_on_explicit_workers_is_said(tmp_path: Path) -> None:
    choice = choose_for(10**7, Machine(cores=64, memory_bytes=8 * GIB), workers=8)
    assert choice.workers == 3
    assert "runner.beam.workers 8 overridden: 8 GiB holds 3 worker processes" in choice.reason


def test_csv_rows_estimated_from_a_sample(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(inventory, "_SAMPLE_BYTES", 4096)  # force extrapolation
    body = "".join(f"{i:05d}.5,{i % 2}\n" for i in range(20_000))  # same length
    (tmp_path / "part-1.csv").write_text("a,y\n" + body)
    with gzip.open(tmp_path / "part-2.csv.gz", "wt") as handle:
        handle.write("a,y\n" + body)
    # (gzipped CSV is estimated too, though CSV ingest reads plain files only)
    files = sorted(tmp_path.iterdir())
    rows = inventory.estimate_rows(files, "csv", header=True)
    assert rows is not None and abs(rows - 40_000) / 40_000 < 0.1


def test_parquet_rows_are_exact(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": [1.0] * 1234, "y": [0] * 1234}), tmp_path / "d.parquet")
    assert estimate_rows(_config(tmp_path, "parquet")) == 1234


def test_tfrecord_rows_from_framing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(inventory, "_SAMPLE_RECORDS", 100)
    payload = b"x" * 50
    record = struct.pack("<Q", len(payload)) + b"\0" * 4 + payload + b"\0" * 4
    (tmp_path / "d.tfrecord").write_bytes(record * 1000)
    with gzip.open(tmp_path / "e.tfrecord.gz", "wb") as handle:
        handle.write(record * 10)
    assert estimate_rows(_config(tmp_path, "tfrecord")) == 1010


def test_unknown_size_for_remote_or_unreadable_data(tmp_path: Path) -> None:
    assert estimate_rows(_config("gs://bucket/data")) is None
    (tmp_path / "d.parquet").write_text("not parquet")
    assert estimate_rows(_config(tmp_path, "parquet")) is None


def test_local_runs_skip_tfx_ephemeral_sdist() -> None:
    """TFX would copy its install and run `setup.py sdist` in every Beam executor (1.4 s each,
    left in /tmp); a local run's workers import TFX from this environment instead."""
    from tfx.utils import dependency_utils

    from tfxkit.runners.local import _no_ephemeral_tfx_package

    original = dependency_utils.make_beam_dependency_flags
    with _no_ephemeral_tfx_package():
        args = ["--direct_running_mode=in_memory"]
        assert dependency_utils.make_beam_dependency_flags(args) == args
    assert dependency_utils.make_beam_dependency_flags is original


def test_keras_2_is_kept_out_of_autograph(monkeypatch) -> None:
    from tensorflow.python.autograph.core import config

    from tfxkit.training import autograph

    monkeypatch.setattr(config, "CONVERSION_RULES", config.CONVERSION_RULES)
    autograph.skip_tf_keras_conversion()
    autograph.skip_tf_keras_conversion()  # once only
    names = [str(rule) for rule in config.CONVERSION_RULES]
    assert names.count("DoNotConvert rule for tf_keras") == 1
    monkeypatch.setenv("TFXKIT_KERAS_AUTOGRAPH", "1")
    monkeypatch.setattr(config, "CONVERSION_RULES", ())
    autograph.skip_tf_keras_conversion()
    assert config.CONVERSION_RULES == ()


def test_a_ctrl_c_a_component_swallows_is_still_an_interrupt() -> None:
    """Code inside a component may catch the KeyboardInterrupt and raise its own error; the
    signal handler remembers it, so the runner ends the run as interrupted (exit 130)."""
    import os
    import signal
    import time

    from tfxkit.runners import local as beam

    with beam._interrupts_raise():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # the handler raises before this returns
            raise AssertionError("no KeyboardInterrupt")
        except KeyboardInterrupt:
            pass  # what a framework does before raising its own error instead
        assert beam._INTERRUPTED.is_set()
    with beam._interrupts_raise():
        assert not beam._INTERRUPTED.is_set()  # each run starts clean


def test_csv_rows_are_records_not_lines(tmp_path: Path, monkeypatch) -> None:
    """Issue 22: quoted multi-line text made the estimate count lines (10,535 for 8,614)."""
    monkeypatch.setattr(inventory, "_SAMPLE_BYTES", 8192)  # force extrapolation
    body = "".join(f'{i},"first line\nsecond line of row {i:05d}"\n' for i in range(5000))
    (tmp_path / "notes.csv").write_text("id,note\n" + body)
    rows = inventory.estimate_rows([tmp_path / "notes.csv"], "csv", header=True)
    assert rows is not None and abs(rows - 5000) / 5000 < 0.05, rows
