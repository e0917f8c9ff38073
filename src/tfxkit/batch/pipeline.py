"""``score``: a batch of files scored by a pushed version on Beam, every row accounted for.

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

import apache_beam as beam
import pyarrow as pa

from tfxkit.batch import files, output, reading
from tfxkit.batch.model import ModelInfo, Scorer, output_schema, output_table
from tfxkit.batch.versions import ModelVersion
from tfxkit.config.sections import CsvDialect, column_key
from tfxkit.errors import AnomaliesFound, DataError

STATISTICS = "statistics.pb"
# Rows TFDV takes at once: its per-call cost swamped 1,024-row batches (3.4 s of 1 M rows).
STATS_BATCH = 65_536
GATHER = STATS_BATCH // 1024  # record batches concatenated before TFDV sees them
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


@dataclass
class ScoreResult:
    out: str
    predictions: str
    rows_in: int
    rows_out: int
    rejected: int
    warnings: list[dict[str, str]]
    summary: dict[str, Any]


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


class ScoreBatch(beam.DoFn):
    """Scores a batch with the model (loaded once per worker) and writes its shard."""

    def __init__(self, request: ScoreRequest, info: ModelInfo, schema: pa.Schema, tmp: str):
        self.request, self.info, self.schema, self.tmp = request, info, schema, tmp
        self.scorer: Scorer | None = None

    def setup(self) -> None:
        self.scorer = Scorer.shared(self.request.model.path)

    def process(self, batch: reading.Batch) -> Iterator[int]:
        assert self.scorer is not None
        outputs = self.scorer(batch.inputs) if batch.lines else {}
        if not batch.lines:
            table = self.schema.empty_table()
        else:
            table = output_table(batch, outputs, self.info, self.schema, self.request.model.version)
        output.write_shard(self.tmp, batch, table, self.request.output_format)
        yield batch.rows_in


def _record_batch(batch: reading.Batch, columns: dict[str, str]) -> pa.RecordBatch:
    """The parsed rows as TFDV reads tf.Examples: a list per value, null when missing."""
    import numpy as np
    import pyarrow.compute as pc

    arrays, names = [], []
    for name, kind in columns.items():
        values = batch.inputs[name]
        if kind == reading.TEXT:
            text = pa.array(values, pa.binary())
            kept = pc.not_equal(text, pa.scalar(b"", pa.binary()))
            present, flat = kept.to_numpy(zero_copy_only=False), text.filter(kept)
        else:
            present = ~np.isnan(values)
            flat = pa.array(values[present].astype(np.int64 if kind == reading.INT else np.float32))
        offsets = pa.array(np.concatenate([[0], np.cumsum(present)]).astype(np.int32))
        arrays.append(pa.ListArray.from_arrays(offsets, flat, mask=pa.array(~present)))
        names.append(column_key(name))
    return pa.RecordBatch.from_arrays(arrays, names)


def _concat(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    """Record batches as one (TFDV's cost is per batch it is given, not per row)."""
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def _beam_pipeline(
    request: ScoreRequest, files: list[_File], info: ModelInfo, schema: pa.Schema, tmp: str,
    statistics: bool,
) -> None:  # fmt: skip
    from apache_beam.options.pipeline_options import PipelineOptions

    kinds = {c.name: c.kind for c in files[0].columns}
    options = PipelineOptions(list(request.beam_args) or ["--direct_running_mode=in_memory"])
    with beam.Pipeline(options=options) as pipeline:
        batches = (
            pipeline
            | "Files" >> beam.Create(files)
            | "ReadBatches" >> beam.FlatMap(_read, request=request)
        )
        if request.reshuffle:
            batches = batches | "Spread" >> beam.Reshuffle()
        _ = batches | "Score" >> beam.ParDo(ScoreBatch(request, info, schema, tmp))
        if statistics:
            import tensorflow_data_validation as tfdv

            _ = (
                batches
                | "Parsed" >> beam.Filter(lambda b: bool(b.lines))
                | "ToArrow" >> beam.Map(_record_batch, columns=kinds)
                | "Gather" >> beam.BatchElements(min_batch_size=GATHER, max_batch_size=GATHER)
                | "Concat" >> beam.Map(_concat)
                | "Statistics"
                >> tfdv.GenerateStatistics(tfdv.StatsOptions(desired_batch_size=STATS_BATCH))
                | "WriteStatistics"
                >> tfdv.WriteStatisticsToBinaryFile(os.path.join(tmp, STATISTICS))
            )


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


def score(request: ScoreRequest, validate: Validate | None = None) -> ScoreResult:
    """Score ``request.data``; see the module docstring. Raises before writing on bad input."""
    output.check_out(request.out)
    info = Scorer.shared(request.model.path).info()
    files, passed = _plan(request, info.inputs)
    clash = sorted(set(request.pass_through) & {*info.score_columns(), "model_version"})
    if clash:
        raise DataError(f"pass-through column(s) {clash} would clash with the output's own")
    schema = output_schema(info, passed)
    tmp = output.temporary(request.out)
    try:
        output.prepare(tmp)
        _beam_pipeline(request, files, info, schema, tmp, statistics=validate is not None)
        batches = output.accounts(tmp)
        paths = [f.path for f in files]
        _wrong_types(batches, paths)
        rows_in = sum(r["rows_in"] for _, r in batches)
        rows_out = sum(r["rows_out"] for _, r in batches)
        warnings: list[dict[str, str]] = []
        if validate is not None:
            import tensorflow_data_validation as tfdv

            stats_path = os.path.join(tmp, STATISTICS)
            if rows_out:
                rows = validate(tfdv.load_stats_binary(stats_path))
                failed = [r for r in rows if r.get("action") == "fail"]
                if failed:
                    raise BatchAnomalies(failed)
                warnings = [r for r in rows if r.get("action") == "warn"]
            _remove(stats_path)
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
    except BaseException:
        output.discard(tmp)
        raise
    finally:
        Scorer.release(request.model.path)
    final = os.path.join(request.out, os.path.basename(predictions))
    return ScoreResult(request.out, final, rows_in, rows_out, rejected, warnings, summary)


def _remove(path: str) -> None:
    from tfx.dsl.io import fileio

    if fileio.exists(path):
        fileio.remove(path)
