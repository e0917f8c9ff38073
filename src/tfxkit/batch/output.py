"""Writing scores: one shard per batch, merged in input order, committed by one rename.

Why shards: workers score batches in any order (and on Dataflow, on any machine, retried at
will); each batch writes its rows to ``<tmp>/.shards/<file>-<batch>.<ext>`` and its accounting
(rows in, rows out, rejected lines with reasons, per-column type failures) beside it as JSON.
Shard names sort as the input does, so the merge writes the same bytes on every run with the
same inputs and version, holding one shard in memory at a time.

The output directory holds ``predictions.<csv|parquet|jsonl>``, ``rejects.csv`` (file, line,
reason; a header alone when nothing was rejected) and ``summary.json``. It is built in a
temporary sibling and renamed into place: a reader sees the previous output or the new one,
never a partial one; on a failure or a refusal nothing is left behind. On an object store
(gs://), which renames no directory, ``summary.json`` is removed first and written last. An
existing ``--out`` is replaced only when it is an earlier tfxkit scoring output (its
``summary.json`` says so).
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from tfxkit.batch.reading import Batch
from tfxkit.errors import DataError

SHARDS = ".shards"
PREDICTIONS = "predictions"
REJECTS = "rejects.csv"
SUMMARY = "summary.json"
MARKER = "tfxkit batch scores"  # summary.json's "kind": what may be replaced
REJECT_COLUMNS = ("file", "line", "reason")


def _fileio() -> Any:
    from tfx.dsl.io import fileio

    return fileio


def check_out(out: str) -> None:
    """Refuse, before anything runs, an ``--out`` that is not ours to replace."""
    fileio = _fileio()
    if not fileio.exists(out):
        return
    if not fileio.isdir(out):
        raise DataError(f"--out {out} is a file; give a directory (nothing was scored)")
    if not fileio.listdir(out):
        return
    summary = os.path.join(out, SUMMARY)
    try:
        with fileio.open(summary) as handle:
            ours = json.loads(handle.read()).get("kind") == MARKER
    except Exception:  # noqa: BLE001 - unreadable or absent: not an output of ours
        ours = False
    if not ours:
        raise DataError(
            f"--out {out} exists and is not an earlier scoring output (no {SUMMARY} of tfxkit); "
            "choose a new directory or remove it (nothing was scored)"
        )


def temporary(out: str) -> str:
    """A fresh sibling of ``out`` (same file system, so the final rename is atomic)."""
    parent, name = os.path.split(out.rstrip("/"))
    return os.path.join(parent, f".{name}.tmp-{uuid.uuid4().hex[:12]}")


def prepare(tmp: str) -> None:
    """The temporary output directory and its shard folder."""
    _fileio().makedirs(os.path.join(tmp, SHARDS))


def _shard(tmp: str, key: str, ext: str) -> str:
    return os.path.join(tmp, SHARDS, f"{key}.{ext}")


def _encode(table: pa.Table, fmt: str, header: bool = False) -> bytes:
    """A table as CSV (Arrow: shortest round-trip numbers, strings quoted), JSON lines or
    Parquet bytes."""
    buffer = io.BytesIO()
    if fmt == "csv":
        import pyarrow.csv as pcsv

        pcsv.write_csv(table, buffer, pcsv.WriteOptions(include_header=header))
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, buffer)
    else:
        buffer.write(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _json_rows(table)).encode()
        )
    return buffer.getvalue()


def _json_rows(table: pa.Table) -> Iterator[dict[str, Any]]:
    """Rows with float32 scores written as their shortest decimal (0.188, as in the CSV)."""
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_float32(column.type):
            columns[name] = [
                None if v is None else float(v) for v in column.cast(pa.string()).to_pylist()
            ]
        else:
            columns[name] = column.to_pylist()
    for i in range(table.num_rows):
        yield {name: values[i] for name, values in columns.items()}


def write_shard(tmp: str, batch: Batch, table: pa.Table, fmt: str) -> None:
    """A batch's rows (when any) and its accounting, each written whole (a retry rewrites both)."""
    fileio = _fileio()
    if table.num_rows:
        with fileio.open(_shard(tmp, batch.key, fmt), "wb") as handle:
            handle.write(_encode(table, fmt))
    record = {
        "file": batch.file,
        "rows_in": batch.rows_in,
        "rows_out": table.num_rows,
        "rejects": batch.rejects,
        "present": batch.present,
        "bad_type": batch.bad_type,
    }
    with fileio.open(_shard(tmp, batch.key, "json"), "w") as handle:
        handle.write(json.dumps(record))


def accounts(tmp: str) -> list[tuple[str, dict[str, Any]]]:
    """Every batch's accounting, in input order."""
    fileio = _fileio()
    folder = os.path.join(tmp, SHARDS)
    names = (
        sorted(n for n in fileio.listdir(folder) if n.endswith(".json"))
        if fileio.exists(folder)
        else []
    )
    out = []
    for name in names:
        with fileio.open(os.path.join(folder, name)) as handle:
            out.append((name.removesuffix(".json"), json.loads(handle.read())))
    return out


def merge(tmp: str, keys: list[str], fmt: str, schema: pa.Schema) -> str:
    """The shards of ``keys`` (in that order) as one predictions file in ``tmp``."""
    fileio = _fileio()
    path = os.path.join(tmp, f"{PREDICTIONS}.{fmt}")
    present = [k for k in keys if fileio.exists(_shard(tmp, k, fmt))]
    if fmt == "parquet":
        import tempfile

        import pyarrow.parquet as pq

        remote = "://" in path  # Arrow writes local files; a remote one is copied up after
        local = tempfile.mkstemp(suffix=".parquet")[1] if remote else path
        try:
            with pq.ParquetWriter(local, schema) as writer:
                for key in present:
                    with fileio.open(_shard(tmp, key, fmt), "rb") as shard:
                        writer.write_table(pq.read_table(io.BytesIO(shard.read())))
            if remote:
                fileio.copy(local, path, overwrite=True)
        finally:
            if remote:
                os.remove(local)
        return path
    with fileio.open(path, "wb") as handle:
        if fmt == "csv":
            handle.write(_encode(schema.empty_table(), "csv", header=True))
        for key in present:
            with fileio.open(_shard(tmp, key, fmt), "rb") as shard:
                handle.write(shard.read())
    return path


def write_rejects(tmp: str, files: list[str], batches: list[tuple[str, dict[str, Any]]]) -> int:
    """``rejects.csv``: one row per rejected record, in input order; returns how many."""
    fileio = _fileio()
    count = 0
    with fileio.open(os.path.join(tmp, REJECTS), "w") as handle:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(REJECT_COLUMNS)
        for _, record in batches:
            for line, reason in record["rejects"]:
                writer.writerow((files[record["file"]], line, reason))
                count += 1
            if text.tell() > 1 << 20:
                handle.write(text.getvalue())
                text.seek(0)
                text.truncate()
        handle.write(text.getvalue())
    return count


def write_summary(tmp: str, summary: dict[str, Any]) -> None:
    with _fileio().open(os.path.join(tmp, SUMMARY), "w") as handle:
        handle.write(json.dumps({"kind": MARKER, **summary}, indent=1, sort_keys=True) + "\n")


def discard(tmp: str) -> None:
    fileio = _fileio()
    if fileio.exists(tmp):
        fileio.rmtree(tmp)


def commit(tmp: str, out: str) -> None:
    """Put ``tmp`` in place of ``out``: one rename (after moving an earlier output aside)."""
    fileio = _fileio()
    discard(os.path.join(tmp, SHARDS))
    if "://" in out:
        _copy_in(tmp, out)
        return
    old = None
    if fileio.exists(out):
        if fileio.listdir(out):
            old = temporary(out) + ".old"
            fileio.rename(out, old)
        else:
            fileio.rmtree(out)
    parent = os.path.dirname(out.rstrip("/"))
    if parent:
        fileio.makedirs(parent)
    fileio.rename(tmp, out)
    if old:
        fileio.rmtree(old)


def _copy_in(tmp: str, out: str) -> None:
    """An object store (gs://) renames no directory: the earlier ``summary.json`` goes first,
    the files are copied, the new ``summary.json`` last, so a reader that waits for it never
    reads a partial output."""
    fileio = _fileio()
    fileio.makedirs(out)
    if fileio.exists(os.path.join(out, SUMMARY)):
        fileio.remove(os.path.join(out, SUMMARY))
    for name in fileio.listdir(out):
        fileio.remove(os.path.join(out, name))
    names = sorted(n for n in fileio.listdir(tmp) if n != SUMMARY)
    for name in [*names, SUMMARY]:
        fileio.copy(os.path.join(tmp, name), os.path.join(out, name), overwrite=True)
    fileio.rmtree(tmp)
