"""ExampleGen's split writer in bounded memory: sorted runs on disk, merged into K shards.

Why not TFX's ``WriteSplit``: it writes each split after ``beam.Reshuffle()``, a GroupByKey
over every example of the split, which the DirectRunner holds in the runner process (issue 27:
4.90 GiB at 3 M rows, about 7 GiB projected at 10 M). Dropping the shuffle is no option: the
Trainer reads files in order with a 10,000-example shuffle buffer, so the examples must be
mixed in the files. This writer is an external sort by a content hash, in two Beam stages:

1. ``SpillRuns`` (fused with the reader, so no example passes through the runner): each worker
   buffers at most ``run_bytes`` of serialized examples, sorts them by ``order_key`` (an 8-byte
   keyed BLAKE2b of the bytes, independent of the split's sha256) and writes them as a *run*
   file, recording where each of ``FINE_BUCKETS`` key ranges starts.
2. ``write_shard``: the split's K shards are K equal key ranges; shard k merges its range of
   every run (``heapq.merge``, streaming) into ``data_tfrecord-0000k-of-0000K.gz``. K grows
   with the split's rows (``shard_count``), at least ``MIN_SHARDS`` so later components and
   the Trainer's interleave read several files.

Memory: one run buffer per worker, plus a read buffer per run while merging, whatever the
size of the split; the runner only sees run descriptors (a path and 1,025 offsets each).
Order: a shard holds its examples sorted by a hash of their content, a uniformly random
permutation of a random subset of the split; no input order survives (tested by rank
correlation). Determinism: the files depend only on the split's multiset of examples, not on
bundles, workers or file order: the same data gives byte-identical files (gzip without a
timestamp), which ExampleGen's caching and the split-determinism tests rely on.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import itertools
import math
import os
import pickle
import struct
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

FILE_PREFIX = "data_tfrecord"  # TFX's name for a split's files (write_split.DEFAULT_FILE_NAME)
FINE_BUCKETS = 1024  # key ranges recorded per run; K shards take FINE_BUCKETS / K of them each
MIN_SHARDS, MAX_SHARDS = 4, 64
ROWS_PER_SHARD = 100_000
RUN_BYTES = 32 * 2**20  # buffered per worker and split before a run is written (~50 MiB RSS)
_READ_CHUNK = 1 << 18  # per run while merging: 256 KiB x runs
_HEADER = struct.Struct(">8sI")  # a run record: order key, data length, then the data
_PERSON = b"tfxkit-shards"  # keyed apart from the split's sha256, so order is not split-biased
# Fine bucket b holds the keys whose top 10 bits are b; its first possible key:
_BOUNDS = [(b << 6).to_bytes(2, "big") + bytes(6) for b in range(FINE_BUCKETS)]
_WRITE_BATCH = 4096  # records joined per write call
_LENGTH, _CRC = struct.Struct("<Q"), struct.Struct("<I")


try:  # C CRC32C (a dependency of google-cloud-storage, pinned); Beam's crcmod is 10x slower
    from google_crc32c import value as _crc32c_fn
except ImportError:  # pragma: no cover
    from apache_beam.io.tfrecordio import _default_crc32c_fn as _crc32c_fn


def _masked_crc(data: bytes) -> int:
    """TFRecord's masked CRC32C (tensorflow/core/lib/hash/crc32c.h: Mask)."""
    crc = _crc32c_fn(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def order_key(data: bytes) -> bytes:
    """A record's place in its shard and which shard: 8 bytes, big-endian comparable."""
    return hashlib.blake2b(data, digest_size=8, person=_PERSON).digest()


def shard_count(rows: int) -> int:
    """Shards for a split of ``rows`` examples: ~``ROWS_PER_SHARD`` each, 4 to 64."""
    return max(MIN_SHARDS, min(MAX_SHARDS, math.ceil(rows / ROWS_PER_SHARD)))


def shard_buckets(shard: int, shards: int) -> tuple[int, int]:
    """The fine buckets ``[first, end)`` of shard ``shard`` of ``shards``."""
    return shard * FINE_BUCKETS // shards, (shard + 1) * FINE_BUCKETS // shards


def shard_path(split_dir: str, shard: int, shards: int) -> str:
    return os.path.join(split_dir, f"{FILE_PREFIX}-{shard:05d}-of-{shards:05d}.gz")


def partition(record: Any, num_partitions: int, buckets: list[int]) -> int:
    """TFX's split of a record (``base_example_gen_executor._PartitionFn`` without a
    ``partition_feature_name``), unchanged: sha256 of its bytes modulo the total hash buckets,
    then the split whose cumulative buckets hold it. Here so Beam workers need not import TFX
    (and with it TensorFlow) for it."""
    assert num_partitions == len(buckets), "Partitions do not match bucket number."
    key = pickle.dumps(record) if isinstance(record, dict) else serialize(record)
    bucket = int(hashlib.sha256(key).hexdigest(), 16) % buckets[-1]
    return bisect.bisect(buckets, bucket)


def serialize(record: Any) -> bytes:
    """A record's bytes; protos serialized deterministically (sorted maps), so the same row
    gives the same bytes, hence the same shard and place, in every process."""
    if isinstance(record, bytes):
        return record
    return record.SerializeToString(deterministic=True)


@dataclass(frozen=True)
class Run:
    """One sorted run file: its path, its record count, where each fine bucket starts."""

    path: str
    rows: int
    offsets: tuple[int, ...]  # FINE_BUCKETS + 1 byte offsets; the last is the file's size


def write_run(records: list[tuple[bytes, bytes]], temp_dir: str) -> Run:
    """Sort ``(key, data)`` pairs and write them as one run file under ``temp_dir``."""
    records.sort()
    sizes = [_HEADER.size + len(data) for _, data in records]
    positions = [0, *itertools.accumulate(sizes)]
    keys = [key for key, _ in records]
    offsets = tuple(positions[bisect.bisect_left(keys, _BOUNDS[b])] for b in range(FINE_BUCKETS))
    path = os.path.join(temp_dir, f"run-{uuid.uuid4().hex}")
    with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as out:
        for start in range(0, len(records), _WRITE_BATCH):
            out.write(
                b"".join(
                    _HEADER.pack(key, len(data)) + data
                    for key, data in records[start : start + _WRITE_BATCH]
                )
            )
    return Run(path, len(records), (*offsets, positions[-1]))


def read_run(run: Run, first: int, end: int) -> Iterator[tuple[bytes, bytes]]:
    """The ``(key, data)`` records of fine buckets ``[first, end)`` of a run, streamed."""
    start, stop = run.offsets[first], run.offsets[end]
    if start == stop:
        return
    with FileSystems.open(run.path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        handle.seek(start)
        left, buffer, at = stop - start, b"", 0
        while True:
            if len(buffer) - at < _HEADER.size or (
                len(buffer) - at < _HEADER.size + _HEADER.unpack_from(buffer, at)[1]
            ):
                if not left:
                    break
                chunk = handle.read(min(_READ_CHUNK, left))
                left -= len(chunk)
                buffer, at = buffer[at:] + chunk, 0
                continue
            key, length = _HEADER.unpack_from(buffer, at)
            at += _HEADER.size
            yield key, buffer[at : at + length]
            at += length
    if at != len(buffer):
        raise OSError(f"{run.path}: a truncated record at byte {stop - (len(buffer) - at)}")


def merged(runs: Iterable[Run], first: int, end: int) -> Iterator[bytes]:
    """The records of fine buckets ``[first, end)`` of every run, in key order."""
    for _, data in heapq.merge(*(read_run(run, first, end) for run in runs)):
        yield data


def tfrecord(data: bytes) -> bytes:
    """One record in TFRecord framing: length, its masked CRC32C, the data, its masked CRC."""
    length = _LENGTH.pack(len(data))
    return length + _CRC.pack(_masked_crc(length)) + data + _CRC.pack(_masked_crc(data))


def write_shard(plan: tuple[int, int], runs: list[Run], split_dir: str) -> str:
    """Shard ``k`` of ``K`` (``plan``): its key range of every run, merged, as gzipped
    TFRecords. gzip's header here has no timestamp, so the file is the same bytes each time."""
    shard, shards = plan
    path = shard_path(split_dir, shard, shards)
    with FileSystems.create(path, compression_type=CompressionTypes.GZIP) as out:
        batch: list[bytes] = []
        for data in merged(runs, *shard_buckets(shard, shards)):
            batch.append(tfrecord(data))
            if len(batch) == _WRITE_BATCH:
                out.write(b"".join(batch))
                batch = []
        out.write(b"".join(batch))
    return path


class SpillRuns(beam.DoFn):
    """Examples -> sorted run files of at most ``run_bytes`` each (one buffer per worker)."""

    def __init__(self, temp_dir: str, run_bytes: int = RUN_BYTES) -> None:
        self._temp_dir = temp_dir
        self._run_bytes = run_bytes
        self._buffer: list[tuple[bytes, bytes]] = []
        self._size = 0

    def setup(self) -> None:
        if not FileSystems.exists(self._temp_dir):
            try:
                FileSystems.mkdirs(self._temp_dir)
            except OSError:  # another worker made it first
                pass

    def start_bundle(self) -> None:
        self._buffer, self._size = [], 0

    def process(self, record: Any) -> Iterator[Run]:
        data = serialize(record)
        self._buffer.append((order_key(data), data))
        self._size += len(data) + 100  # + the pair, the key and the bytes object's overhead
        if self._size >= self._run_bytes:
            yield self._flush()

    def finish_bundle(self) -> Iterator[WindowedValue]:
        if self._buffer:
            yield WindowedValue(self._flush(), MIN_TIMESTAMP, [GlobalWindow()])

    def _flush(self) -> Run:
        run = write_run(self._buffer, self._temp_dir)
        self._buffer, self._size = [], 0
        return run


def plan_shards(runs: list[Run]) -> list[tuple[int, int]]:
    shards = shard_count(sum(run.rows for run in runs))
    return [(shard, shards) for shard in range(shards)]


@beam.ptransform_fn
def WriteShuffledShards(  # noqa: N802 (Beam's PTransform naming)
    examples: beam.PCollection, split_dir: str, temp_dir: str, run_bytes: int = RUN_BYTES
) -> beam.PCollection:
    """A split's examples as K gzipped TFRecord shards, shuffled by content hash (module
    docstring). Only run descriptors and shard numbers are grouped, never examples."""
    runs = examples | "SpillRuns" >> beam.ParDo(SpillRuns(temp_dir, run_bytes))
    all_runs = runs | "ListRuns" >> beam.combiners.ToList()
    return (
        all_runs
        | "PlanShards" >> beam.FlatMap(plan_shards)
        | "SpreadShards" >> beam.Reshuffle()  # K small tuples: one shard per worker at a time
        | "WriteShards"
        >> beam.Map(
            lambda plan, runs: write_shard(plan, runs, split_dir),
            runs=beam.pvalue.AsSingleton(all_runs),
        )
    )


def remove_temp(temp_dir: str) -> None:
    """Delete the run files once every shard is written (also left-overs of retried bundles)."""
    if FileSystems.exists(temp_dir):
        FileSystems.delete([temp_dir])
