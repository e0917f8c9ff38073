"""``score``: a batch of files scored by a pushed version, every row accounted for.

Two engines do the same work (``engine``): ``local``, this process without Beam (``_local``:
one file after another, batches parsed a few ahead in a thread, scored and written in order,
their statistics counted by ``checks.Statistics``), for a local ``tfxkit predict``; and ``beam``
(``beam_job``), for runner profiles (Dataflow), several local files and the pipeline's scorer.
Both write the same shards, so the output bytes are the same; the checks are TFDV's validator
on either's statistics (tests/unit/test_batch_checks.py compares the verdicts).

The Beam job: the files (in sorted order) -> each read as batches of ``batch_rows`` records
(``reading``; one file per worker, streamed) -> each batch scored by the model's
``serving_default`` (loaded once per worker: ``ScoreBatch.setup``) and written as a shard with
its accounting (``output``); beside it, the parsed rows' TFDV statistics when the caller
validates. Then, in this process: the accounting is checked (rows in = rows out + rejected), a
column whose every value had the wrong type is refused, the statistics are validated against the
schema of record (``validate``: anomaly rows; any ``fail`` refuses the batch), and only then are
the shards merged and the output renamed into place. Locally the DirectRunner runs it in this
process; with a runner profile's Beam options (Dataflow) the same job runs there and the model
and data paths must be readable by the workers (gs://).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from tfxkit.batch import checks, files, output, reading
from tfxkit.batch.model import ModelInfo, Scorer, output_schema, output_table
from tfxkit.batch.versions import ModelVersion
from tfxkit.config.sections import CsvDialect
from tfxkit.errors import AnomaliesFound, DataError

STATISTICS = "statistics.pb"
Validate = Callable[[Any], list[dict[str, str]]]  # statistics -> anomaly rows with "action"


class BatchAnomalies(AnomaliesFound):
    """The batch breaks the schema of record: refused before any score was written."""

    hint = (
        "nothing was scored or written; fix the data, or, when the change is expected, accept "
        "it into the schema of record (`tfxkit schema accept -c CONFIG`) and retrain"
    )


@dataclass(frozen=True)
class ScoreRequest:
    """What to score with which version, and where the output goes."""

    data: str  # a file or a directory of CSV / Parquet files
    out: str  # the output directory (replaced atomically)
    model: ModelVersion
    dialect: CsvDialect = field(default_factory=CsvDialect)
    data_format: str = "csv"  # files without a telling extension are read as this
    declared: dict[str, str] = field(default_factory=dict)  # feature key -> float|int|string
    pass_through: tuple[str, ...] = ()
    output_format: str = "csv"
    batch_rows: int = 1024
    beam_args: tuple[str, ...] = ()
    reshuffle: bool = False  # spread batches over workers (remote runners)
    engine: str = "beam"  # beam | local (this process, no Beam: see ``engine``)
    # A one-shot process (tfxkit predict): once TensorFlow and the model are loaded, move the
    # heap out of the cycle collector's reach (gc.freeze): those objects live until the process
    # ends, and each full collection while scoring, and the ones at exit, walked them all (about
    # 0.9 of 7.6 CPU seconds for 100k rows). Not for long-lived processes (the pipeline's scorer).
    freeze_heap: bool = False


@dataclass
class ScoreResult:
    out: str
    predictions: str
    rows_in: int
    rows_out: int
    rejected: int
    warnings: list[dict[str, str]]
    summary: dict[str, Any]
    timings: list[tuple[str, float]] = field(default_factory=list)  # (phase, seconds)


@dataclass(frozen=True)
class _File:
    index: int
    path: str
    format: str
    columns: tuple[reading.Column, ...]


def _plan(request: ScoreRequest, inputs: dict[str, str]) -> tuple[list[_File], dict[str, Any]]:
    """Each file's columns, checked before anything runs; the pass-through columns' types."""
    planned, passed, has_rows = [], {}, False
    for index, path in enumerate(files.input_files(request.data)):
        fmt = files.file_format(path, request.data_format)
        if fmt == "csv":
            names, rows = files.csv_columns(path, request.dialect)
            types = {n: pa.string() for n in names}
        else:
            types, count = files.parquet_columns(path)
            names, rows = list(types), count > 0
        columns = reading.match_columns(names, inputs, request.declared, path)
        if fmt == "parquet":
            reading.check_arrow_types(columns, types, path)
        absent = [p for p in request.pass_through if p not in names]
        if absent:
            raise DataError(
                f"{path} has no pass-through column {', '.join(map(repr, absent))} "
                f"(it has {', '.join(names[:20])}); nothing was scored"
            )
        for p in request.pass_through:
            passed.setdefault(p, types[p])
        has_rows = has_rows or rows
        planned.append(_File(index, path, fmt, tuple(columns)))
    if not has_rows:
        where = planned[0].path if len(planned) == 1 else f"any file under {request.data}"
        raise DataError(f"no rows to score in {where} (a header alone); nothing was written")
    return planned, passed


def _read(file: _File, request: ScoreRequest) -> Iterator[reading.Batch]:
    """The file's batches, parsed a few batches ahead in a thread (``prefetched``)."""
    columns, passed = list(file.columns), list(request.pass_through)
    if file.format == "parquet":
        batches = reading.parquet_batches(
            file.index, file.path, columns, passed, request.batch_rows
        )
    else:
        batches = reading.csv_batches(
            file.index, file.path, request.dialect, columns, passed, request.batch_rows
        )
    return prefetched(batches)


def prefetched(items: Iterator[Any], depth: int = 4) -> Iterator[Any]:
    """``items`` produced in a thread, at most ``depth`` ahead: the next batches are parsed
    (Python, holding the GIL) while the model runs on this one (TensorFlow releases it), and
    memory stays at ``depth`` batches. An error in the thread is raised here."""
    import queue
    import threading

    done = object()
    ahead: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        ahead.put((item, None), timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ahead.put((done, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            ahead.put((done, exc))

    worker = threading.Thread(target=produce, name="tfxkit-batch-reader", daemon=True)
    worker.start()
    try:
        while True:
            item, error = ahead.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()


def score_batch(
    request: ScoreRequest, info: ModelInfo, schema: pa.Schema, tmp: str, scorer: Scorer,
    batch: reading.Batch,
) -> int:  # fmt: skip
    """One batch scored and written as its shard with its accounting; returns its rows in."""
    outputs = scorer(batch.inputs) if batch.lines else {}
    if not batch.lines:
        table = schema.empty_table()
    else:
        table = output_table(batch, outputs, info, schema, request.model.version)
    output.write_shard(tmp, batch, table, request.output_format)
    return batch.rows_in


def _local(
    request: ScoreRequest, planned: list[_File], info: ModelInfo, schema: pa.Schema, tmp: str,
    statistics: checks.Statistics | None, clock: Clock,
) -> None:  # fmt: skip
    """The Beam job's work in this process, without Beam: each file's batches parsed a few
    ahead in a thread, scored and written in input order, counted for the checks."""
    scorer = Scorer.shared(request.model.path)
    for file in planned:
        for batch in _read(file, request):
            score_batch(request, info, schema, tmp, scorer, batch)
            if statistics is not None:
                statistics.add(batch)
    clock.lap("read, score and write (local)")


def _wrong_types(batches: list[tuple[str, dict[str, Any]]], files: list[str]) -> None:
    """A column none of whose values is of its type is the wrong type: refused, naming it."""
    present: dict[str, int] = {}
    bad: dict[str, list[Any]] = {}
    for _, record in batches:
        for name, count in record["present"].items():
            present[name] = present.get(name, 0) + count
        for name, (count, value, line) in record["bad_type"].items():
            seen = bad.setdefault(name, [0, value, line, files[record["file"]]])
            seen[0] += count
    wrong = [(n, b) for n, b in sorted(bad.items()) if b[0] == present.get(n)]
    if wrong:
        name, (count, value, line, path) = wrong[0]
        raise DataError(
            f"column '{name}': none of its {count} values is of the type the model takes (e.g. "
            f"{value!r} at {path} line {line}): the wrong column or the wrong type; nothing was "
            "written"
        )


def score(
    request: ScoreRequest, validate: Validate | None = None, clock: Clock | None = None
) -> ScoreResult:
    """Score ``request.data``; see the module docstring. Raises before writing on bad input.
    ``clock`` (the caller's, to time its own phases too) gets a lap per phase."""
    clock = clock or Clock()
    output.check_out(request.out)
    info = Scorer.shared(request.model.path).info()
    clock.lap("the model loaded (and TensorFlow, when not yet)")
    if request.freeze_heap:
        import gc

        gc.freeze()
    files, passed = _plan(request, info.inputs)
    clash = sorted(set(request.pass_through) & {*info.score_columns(), "model_version"})
    if clash:
        raise DataError(f"pass-through column(s) {clash} would clash with the output's own")
    schema = output_schema(info, passed)
    tmp = output.temporary(request.out)
    local = engine(request, validate) == "local"
    try:
        output.prepare(tmp)
        statistics = None
        if local:
            kinds = {c.name: c.kind for c in files[0].columns}
            valued = getattr(validate, "valued", None)  # a SchemaCheck: the columns with domains
            statistics = checks.Statistics(kinds, valued) if validate is not None else None
            _local(request, files, info, schema, tmp, statistics, clock)
        else:
            from tfxkit.batch import beam_job

            clock.lap("Beam (and TFDV) imported")
            beam_job.run(request, files, info, schema, tmp, statistics=validate is not None)
            clock.lap("Beam job: read, score, write, statistics")
        batches = output.accounts(tmp)
        paths = [f.path for f in files]
        _wrong_types(batches, paths)
        rows_in = sum(r["rows_in"] for _, r in batches)
        rows_out = sum(r["rows_out"] for _, r in batches)
        warnings: list[dict[str, str]] = []
        if validate is not None:
            stats_path = os.path.join(tmp, STATISTICS)
            if rows_out:
                rows = validate(statistics.proto() if statistics else _load_statistics(stats_path))
                failed = [r for r in rows if r.get("action") == "fail"]
                if failed:
                    raise BatchAnomalies(failed)
                warnings = [r for r in rows if r.get("action") == "warn"]
            if not local:
                _remove(stats_path)
            clock.lap("validated against the schema of record")
        predictions = output.merge(tmp, [k for k, _ in batches], request.output_format, schema)
        rejected = output.write_rejects(tmp, paths, batches)
        if rows_in != rows_out + rejected:  # pragma: no cover - a bug, never the data
            raise RuntimeError(f"rows in {rows_in} != out {rows_out} + rejected {rejected}")
        summary = {
            "model_name": request.model.model_name,
            "model_version": request.model.version,
            "label": request.model.label,
            "data": request.data,
            "files": paths,
            "format": request.output_format,
            "columns": schema.names,
            "rows_in": rows_in,
            "rows_out": rows_out,
            "rejected": rejected,
            "validated": validate is not None,
            "warnings": warnings,
        }
        output.write_summary(tmp, summary)
        output.commit(tmp, request.out)
        clock.lap("merged, accounted, committed")
    except BaseException:
        output.discard(tmp)
        raise
    finally:
        Scorer.release(request.model.path)
    final = os.path.join(request.out, os.path.basename(predictions))
    result = ScoreResult(request.out, final, rows_in, rows_out, rejected, warnings, summary)
    result.timings = clock.laps
    return result


def engine(request: ScoreRequest, validate: Validate | None) -> str:
    """local (this process, no Beam) or beam: local only when asked for and the checks, if any,
    are a ``checks.SchemaCheck`` whose schema ``Statistics`` covers."""
    if request.engine != "local":
        return "beam"
    if validate is not None and not getattr(validate, "local", False):
        return "beam"
    return "local"


def _load_statistics(path: str) -> Any:
    import tensorflow_data_validation as tfdv

    return tfdv.load_stats_binary(path)


class Clock:
    """Seconds since the process started, per phase (``tfxkit predict -v``, bench/batch.py)."""

    def __init__(self) -> None:
        self.last = _since_start()
        self.laps: list[tuple[str, float]] = [("start-up: Python, the CLI, the config", self.last)]

    def lap(self, what: str) -> None:
        now = _since_start()
        self.laps.append((what, now - self.last))
        self.last = now


def _since_start() -> float:
    """Seconds since this process started (its imports included), from /proc when there is one."""
    import time

    try:
        with open("/proc/self/stat") as handle:
            ticks = int(handle.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as handle:
            uptime = float(handle.read().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.process_time()


def _remove(path: str) -> None:
    from tfx.dsl.io import fileio

    if fileio.exists(path):
        fileio.remove(path)
