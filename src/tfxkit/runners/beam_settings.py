"""Beam DirectRunner settings for a local run, chosen from the input's size and the machine.

Why choose at all: Beam's defaults (``in_memory``, one worker) run every statistics, Transform
and TFMA pass on one core. Multi-processing uses every core but starts fresh Python workers for
each component's Beam job (each imports TensorFlow: seconds, and about a GiB of memory apiece),
which is pure loss on small data. ``runner.beam.mode: auto`` (the default) therefore picks:

- ``in_memory``, one worker, below ``MULTI_PROCESSING_MIN_ROWS`` input rows, or on one core;
- ``multi_processing`` with one worker per core, capped so the workers fit in memory
  (``WORKER_MEMORY_BYTES`` each, after ``RESERVED_MEMORY_BYTES`` for the driver);
- ``multi_threading`` with one thread per core when memory cannot hold two worker processes
  (threads share one process; TensorFlow's kernels release the GIL, Python code does not).

The choice depends only on the input rows, the core count and the total memory (not on the
memory free right now), so an unchanged input gets the same Beam flags and so the same cache
keys. Rows come from Parquet footers exactly, and are estimated for CSV and TFRecord from the
bytes of a sample. Explicit ``mode``/``workers`` win; when memory cannot hold the workers
asked for, the printed reason says which setting was lowered and why. The thresholds were
measured by ``bench/scale.py`` on a 2-core machine (see the docs, "Scale").
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from tfxkit.config.pipeline_config import BeamMode, PipelineConfig

# bench/scale.py here: 300k rows took 93 s in_memory and 94 s with two workers (which used
# 3.1 GiB instead of 1.3); at 1M workers won 1.43x and at 3M 1.72x.
MULTI_PROCESSING_MIN_ROWS = 500_000
WORKER_MEMORY_BYTES = 1536 * 2**20
RESERVED_MEMORY_BYTES = 3 * 2**30


@dataclass(frozen=True)
class Machine:
    cores: int
    memory_bytes: int

    @classmethod
    def here(cls) -> Machine:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        return cls(cores=cores or os.cpu_count() or 1, memory_bytes=pages * page_size)


@dataclass(frozen=True)
class BeamChoice:
    mode: BeamMode
    workers: int
    reason: str
    # portable: the rehearsal's PortableRunner flags, known once its services listen.
    portable_args: tuple[str, ...] = field(default=())

    def args(self) -> list[str]:
        if self.mode is BeamMode.PORTABLE and self.portable_args:
            return list(self.portable_args)
        if self.mode is BeamMode.PORTABLE:  # no rehearsal running (compile, predict): in-process
            return ["--direct_running_mode=in_memory", "--direct_num_workers=1"]
        return [f"--direct_running_mode={self.mode.value}", f"--direct_num_workers={self.workers}"]

    def pipeline_args(self, extra_args: list[str]) -> list[str]:
        """The components' ``beam_pipeline_args``: this choice, then ``runner.beam.extra_args``."""
        return [*self.args(), *extra_args]

    def describe(self) -> str:
        if self.mode is BeamMode.PORTABLE:
            return f"portable, PortableRunner with an external worker pool ({self.reason})"
        unit = "thread" if self.mode is BeamMode.MULTI_THREADING else "worker"
        plural = "s" if self.workers != 1 else ""
        return f"{self.mode.value}, {self.workers} {unit}{plural} ({self.reason})"


def choose(
    config: PipelineConfig, rows: int | None = None, machine: Machine | None = None
) -> BeamChoice:
    """The Beam mode and worker count for this run; explicit config wins, ``auto`` decides from
    ``rows``, the input rows the run's data inventory estimated (``tfxkit.data.inventory``)."""
    beam = config.runner.beam
    mode = BeamMode(beam.mode)  # the config keeps enum values as plain strings
    machine = machine or Machine.here()
    if mode is BeamMode.PORTABLE:  # workers: SDK workers per job (tfxkit.runners.portable)
        workers = 1 if beam.workers is None else beam.workers or machine.cores
        return BeamChoice(
            mode, workers, "runner.beam.mode portable: a rehearsal of Dataflow's workers"
        )
    if mode is not BeamMode.AUTO:
        workers = beam.workers
        if workers is None:
            workers = 1 if mode is BeamMode.IN_MEMORY else machine.cores
        elif workers == 0:
            workers = machine.cores
        return BeamChoice(mode, workers, "set in runner.beam")
    return choose_for(rows, machine, beam.workers)


def choose_for(rows: int | None, machine: Machine, workers: int | None = None) -> BeamChoice:
    """The ``auto`` rule on its own (a unit test drives it with made-up machines).

    An explicit ``runner.beam.workers`` wins over the row threshold: 1 means in_memory, more
    means that many worker processes (0: one per core). Only the memory cap can lower it, and
    the reason then says so, with the count asked for and the count that fits."""
    cores = machine.cores
    size = "input size unknown" if rows is None else f"~{rows:,} input rows"
    if workers == 1 or (workers is None and cores < 2):
        why = "runner.beam.workers is 1" if workers == 1 else "one core"
        return BeamChoice(BeamMode.IN_MEMORY, 1, f"auto: {size}, {why}")
    explicit = workers is not None
    if not explicit and rows is not None and rows < MULTI_PROCESSING_MIN_ROWS:
        return BeamChoice(
            BeamMode.IN_MEMORY,
            1,
            f"auto: {size} < {MULTI_PROCESSING_MIN_ROWS:,}, where starting worker processes "
            "costs more than it saves",
        )
    spare = max(0, machine.memory_bytes - RESERVED_MEMORY_BYTES)
    fits = int(spare // WORKER_MEMORY_BYTES)
    memory = f"{machine.memory_bytes / 2**30:.0f} GiB"
    wanted = workers or cores
    asked = f"runner.beam.workers: {workers}, " if explicit else ""
    if fits >= 2:
        count = min(wanted, fits)
        capped = ""
        if fits < wanted:
            capped = (
                f"; runner.beam.workers {wanted} overridden: {memory} holds {fits} worker "
                f"processes of {WORKER_MEMORY_BYTES / 2**30:.1f} GiB"
                if explicit
                else f", capped by memory at {fits}"
            )
        return BeamChoice(
            BeamMode.MULTI_PROCESSING,
            count,
            f"auto: {asked}{size}, {cores} cores, {memory}{capped}",
        )
    return BeamChoice(
        BeamMode.MULTI_THREADING,
        wanted,
        f"auto: {asked}{size}, {cores} cores, but {memory} holds fewer than two worker processes",
    )
