"""runner.beam.workers in portable mode: how many SDK workers the pool starts for each Beam job.

Beam 2.59's own job service gives every job one SDK worker whatever ``--direct_num_workers``
says; tfxkit's (``tfxkit.runners.portable_job_service``) gives a job as many as it asks for,
and the rehearsal asks for ``runner.beam.workers``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tfxkit.config.pipeline_config import BeamMode, validate_config
from tfxkit.runners import portable
from tfxkit.runners.beam_settings import Machine, choose
from tfxkit.runners.portable_job_service import job_workers

MACHINE = Machine(cores=6, memory_bytes=64 * 2**30)


def _config(tmp_path: Path, **beam: object) -> object:
    return validate_config(
        {
            "name": "m",
            "data": {"path": str(tmp_path), "format": "csv"},
            "features": [{"name": "a", "type": "float", "transform": "zscore"}],
            "label": {"name": "y"},
            "evaluation": {"bless": "always"},
            "runner": {"beam": {"mode": "portable", **beam}},
        }
    )


@pytest.mark.parametrize(("workers", "expected"), [(None, 1), (3, 3), (0, MACHINE.cores)])
def test_portable_choice_keeps_the_configured_workers(
    tmp_path: Path, workers: int | None, expected: int
) -> None:
    beam = {} if workers is None else {"workers": workers}
    choice = choose(_config(tmp_path, **beam), rows=10_000_000, machine=MACHINE)
    assert choice.mode is BeamMode.PORTABLE
    assert choice.workers == expected


def test_each_job_asks_for_the_workers_and_the_log_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = portable.Rehearsal("localhost:1", "localhost:2", Path("/w/bin/python"), (1, 2))

    @contextlib.contextmanager
    def running(**_: object) -> Iterator[portable.Rehearsal]:
        yield fake

    monkeypatch.setattr(portable, "rehearsal", running)
    choice = choose(_config(tmp_path, workers=3), rows=100, machine=MACHINE)
    said: list[str] = []
    with portable.services_for(choice, said.append, tmp_path) as with_services:
        args = with_services.pipeline_args([])
    assert args[: len(fake.args())] == fake.args()
    assert args[len(fake.args()) :] == ["--direct_num_workers=3"]
    assert "3 SDK workers per Beam job, runner.beam.workers" in said[0]


def test_job_workers_reads_the_jobs_option() -> None:
    from apache_beam.options.pipeline_options import PipelineOptions

    assert job_workers(PipelineOptions([])) == 1
    assert job_workers(PipelineOptions(["--direct_num_workers=4"])) == 4
    assert job_workers(PipelineOptions(["--direct_num_workers=0"])) == os.cpu_count()
    # As the job service rebuilds a submitted job's options (from JSON): a string.
    assert job_workers(PipelineOptions(direct_num_workers="2")) == 2


# Defined as if in a script's __main__, so Beam pickles it by value: the workers cannot import
# this test module (they run with their own working folder and no PYTHONPATH).
_SCRIPT: dict = {"__name__": "__main__"}
exec("def pid(_):\n    import os\n\n    return str(os.getpid())\n", _SCRIPT)  # noqa: S102


def _worker_pids(args: list[str], out: Path) -> set[str]:
    """Process ids of the SDK workers that handled 40 reshuffled elements."""
    import apache_beam as beam

    with beam.Pipeline(argv=args) as pipeline:
        _ = (
            pipeline
            | beam.Create(range(40))
            | beam.Reshuffle()
            | beam.Map(_SCRIPT["pid"])
            | beam.io.WriteToText(str(out))
        )
    return {line for path in out.parent.glob(out.name + "*") for line in path.read_text().split()}


def test_the_pool_starts_as_many_sdk_workers_as_the_job_asks(tmp_path: Path) -> None:
    """Real services (the workers on this interpreter, to skip the wheel): Beam splits a stage's
    input between the job's workers, so two workers leave two process ids, one leaves one."""
    with portable.rehearsal(worker_python=Path(sys.executable), log_dir=tmp_path) as running:
        two = _worker_pids([*running.args(), "--direct_num_workers=2"], tmp_path / "two")
        one = _worker_pids([*running.args(), "--direct_num_workers=1"], tmp_path / "one")
    assert len(two) == 2, two
    assert len(one) == 1, one
    assert str(os.getpid()) not in two | one  # out of process
