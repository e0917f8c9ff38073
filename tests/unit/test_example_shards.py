"""ExampleGen's bounded-memory split writer (issue 27 item 1): several shard files per split,
no GroupByKey over examples, examples shuffled out of input order, byte-identical re-runs, and
the same split membership as TFX's writer."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tensorflow as tf
from apache_beam.io.tfrecordio import _TFRecordUtil
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_artifacts
from tfx.utils import proto_utils

from tfxkit.components import example_shards as shards
from tfxkit.components.parquet_example_gen import executor as parquet_executor

pytestmark = pytest.mark.filterwarnings("ignore")


def _records(path: Path) -> list[bytes]:
    """The records of one gzipped TFRecord file, in file order."""
    out = []
    with gzip.open(path, "rb") as handle:
        while (record := _TFRecordUtil.read_record(handle)) is not None:
            out.append(record)
    return out


def _write(records: list[bytes], out: Path, run_bytes: int, runner_args: list[str]) -> list[Path]:
    with beam.Pipeline(argv=runner_args) as pipeline:
        _ = (
            pipeline
            | beam.Create(records, reshuffle=False)
            | shards.WriteShuffledShards(str(out), str(out / ".runs"), run_bytes=run_bytes)
        )
    return sorted(out.glob("*.gz"))


def _rows(n: int) -> list[bytes]:
    return [json.dumps({"row": i, "pad": "x" * (i % 7)}).encode() for i in range(n)]


def test_shard_count_grows_with_rows_within_bounds() -> None:
    assert shards.shard_count(0) == shards.MIN_SHARDS
    assert shards.shard_count(1_000_000) == 10
    assert shards.shard_count(10**9) == shards.MAX_SHARDS


def test_every_fine_bucket_belongs_to_exactly_one_shard() -> None:
    for count in (4, 7, 20, 64):
        ranges = [shards.shard_buckets(k, count) for k in range(count)]
        assert ranges[0][0] == 0 and ranges[-1][1] == shards.FINE_BUCKETS
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))


def test_runs_merge_to_key_order_and_read_back_exactly(tmp_path: Path) -> None:
    records = _rows(3000)
    pairs = [(shards.order_key(r), r) for r in records]
    runs = [shards.write_run(pairs[i : i + 700], str(tmp_path)) for i in range(0, 3000, 700)]
    assert sum(run.rows for run in runs) == 3000
    assert all(run.offsets[-1] == Path(run.path).stat().st_size for run in runs)
    together = []
    for shard in range(5):
        got = list(shards.merged(runs, *shards.shard_buckets(shard, 5)))
        keys = [shards.order_key(r) for r in got]
        assert keys == sorted(keys)
        together += got
    assert sorted(together) == sorted(records)


def test_split_is_written_as_several_shuffled_files(tmp_path: Path) -> None:
    """A sorted input (row i is the i-th record) comes back in all shards, none in input order:
    the rank correlation of input position against file position is near 0."""
    records = _rows(20_000)
    files = _write(records, tmp_path / "out", run_bytes=200_000, runner_args=[])
    assert [f.name for f in files] == [
        f"data_tfrecord-{k:05d}-of-00004.gz" for k in range(shards.MIN_SHARDS)
    ]
    read = [_records(f) for f in files]
    assert sorted(r for f in read for r in f) == sorted(records)
    assert all(len(f) > 3000 for f in read)  # shards of similar size
    position = {r: i for i, r in enumerate(records)}
    for rows in read:
        ranks = np.array([position[r] for r in rows])
        order = np.arange(len(ranks))
        spearman = np.corrcoef(np.argsort(np.argsort(ranks)), order)[0, 1]
        assert abs(spearman) < 0.05, spearman
    # Neighbours in the input are scattered: few consecutive rows stay adjacent in a file.
    first = read[0]
    steps = zip(first, first[1:], strict=False)
    adjacent = sum(abs(position[a] - position[b]) == 1 for a, b in steps)
    assert adjacent < len(first) * 0.01


def test_the_same_records_give_byte_identical_files_whatever_bundles(tmp_path: Path) -> None:
    records = _rows(5000)
    one = _write(records, tmp_path / "a", run_bytes=10**9, runner_args=[])
    shuffled = list(np.random.default_rng(1).permutation(np.array(records, dtype=object)))
    two = _write(shuffled, tmp_path / "b", run_bytes=30_000, runner_args=[])
    assert [f.name for f in one] == [f.name for f in two]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(one, two, strict=True))


def test_no_groupbykey_sees_an_example() -> None:
    """Only run descriptors and shard numbers are grouped: every GroupByKey in the writer's
    graph is downstream of SpillRuns, whose outputs are descriptors, not examples."""
    pipeline = beam.Pipeline()
    examples = pipeline | "Examples" >> beam.Create([b"a", b"b"])
    _ = examples | "Write" >> shards.WriteShuffledShards("/unused", "/unused/.runs")
    proto = pipeline.to_runner_api()
    transforms = proto.components.transforms
    producer = {
        pc: tid for tid, t in transforms.items() if not t.subtransforms for pc in t.outputs.values()
    }
    spill = next(t for t in transforms.values() if t.unique_name == "Write/SpillRuns")
    descriptor_outputs = set(spill.outputs.values())

    def upstream_of_spill(pcoll: str) -> bool:
        """Whether ``pcoll`` is derived from SpillRuns' output (descriptors)."""
        seen, todo = set(), [pcoll]
        while todo:
            current = todo.pop()
            if current in descriptor_outputs:
                return True
            if current in seen or current not in producer:
                continue
            seen.add(current)
            todo += list(transforms[producer[current]].inputs.values())
        return False

    groups = [t for t in transforms.values() if t.spec.urn == "beam:transform:group_by_key:v1"]
    writer_groups = [t for t in groups if t.unique_name.startswith("Write/")]
    assert writer_groups  # the test looks at the real graph
    for group in writer_groups:
        assert all(upstream_of_spill(pc) for pc in group.inputs.values()), group.unique_name


def _parquet_exec(data: Path, out: Path) -> tuple[standard_artifacts.Examples, dict]:
    output_config = example_gen_pb2.Output(
        split_config=example_gen_pb2.SplitConfig(
            splits=[
                example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=2),
                example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1),
            ]
        )
    )
    input_config = example_gen_pb2.Input(
        splits=[example_gen_pb2.Input.Split(name="single_split", pattern="*")]
    )
    examples = standard_artifacts.Examples()
    examples.uri = str(out)
    properties = {
        "input_base": str(data),
        "input_config": proto_utils.proto_to_json(input_config),
        "output_config": proto_utils.proto_to_json(output_config),
        "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
    }
    return examples, properties


def test_executor_keeps_tfx_split_membership_and_removes_its_runs(tmp_path: Path) -> None:
    """The executor's splits are TFX's sha256 buckets of each example's bytes, unchanged."""
    from tfx.components.example_gen.base_example_gen_executor import _PartitionFn

    n = 3000
    pq.write_table(
        pa.table({"i": list(range(n)), "s": [f"v{i % 13}" for i in range(n)]}), tmp_path / "d.pq"
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "d.pq").rename(tmp_path / "data" / "d.parquet")
    examples, properties = _parquet_exec(tmp_path / "data", tmp_path / "out")
    parquet_executor.Executor().Do({}, {"examples": [examples]}, properties)
    assert artifact_utils.decode_split_names(examples.split_names) == ["train", "eval"]
    assert not (tmp_path / "out" / ".shard-runs").exists()
    config = example_gen_pb2.SplitConfig(
        splits=[
            example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=2),
            example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1),
        ]
    )
    total = 0
    for index, split in enumerate(("train", "eval")):
        files = sorted((tmp_path / "out" / f"Split-{split}").glob("*.gz"))
        assert len(files) == shards.MIN_SHARDS
        for f in files:
            for record in _records(f):
                assert _PartitionFn(record, 2, [2, 3], config) == index
                tf.train.Example.FromString(record)
                total += 1
    assert total == n


def _ancestors(proto, pcoll: str) -> set[str]:
    """Every PCollection ``pcoll`` is computed from (itself included)."""
    transforms = proto.components.transforms
    leaves = {tid: t for tid, t in transforms.items() if not t.subtransforms}
    producer = {out: tid for tid, t in leaves.items() for out in t.outputs.values()}
    seen, todo = set(), [pcoll]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in producer:
            todo += list(transforms[producer[current]].inputs.values())
    return seen


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_rows_never_wait_in_the_runner_for_their_column_types(tmp_path: Path, fmt: str) -> None:
    """ToExample takes the column types as a side input: if its rows were also the type
    inference's input, the runner would hold every row until the inference ended. The rows it
    converts and the inference's input must share no PCollection (the files are read twice)."""
    from apache_beam.portability.api import beam_runner_api_pb2

    from tfxkit.components.csv_example_gen import executor as csv_executor
    from tfxkit.components.jsonl_example_gen import executor as jsonl_executor
    from tfxkit.config.pipeline_config import CsvDialect

    if fmt == "csv":
        (tmp_path / "a.csv").write_text("x,y\n1,a\n2,b\n")
        properties = {csv_executor.CSV_DIALECT_KEY: CsvDialect().model_dump_json()}
        source = csv_executor.CsvToExample
    else:
        (tmp_path / "a.jsonl").write_text('{"x": 1, "y": "a"}\n')
        properties = {}
        source = jsonl_executor.JsonlToExample
    properties["input_base"] = str(tmp_path)
    pipeline = beam.Pipeline()
    _ = pipeline | "Read" >> source(properties, "*")
    proto = pipeline.to_runner_api()
    with_side_inputs = []
    for t in proto.components.transforms.values():
        if t.spec.urn != "beam:transform:pardo:v1" or t.subtransforms:
            continue
        payload = beam_runner_api_pb2.ParDoPayload.FromString(t.spec.payload)
        if payload.side_inputs:
            with_side_inputs.append((t, set(payload.side_inputs)))
    assert with_side_inputs  # ToExample's types
    for t, side_tags in with_side_inputs:
        (main,) = [pc for tag, pc in t.inputs.items() if tag not in side_tags]
        for tag in side_tags:
            shared = _ancestors(proto, main) & _ancestors(proto, t.inputs[tag])
            assert not shared, (t.unique_name, shared)


def test_import_example_gen_writes_shards_of_its_records_unchanged(tmp_path: Path) -> None:
    """TFRecord input (ImportExampleGen) keeps its records' bytes and TFX's splits."""
    from tfx.components.example_gen.base_example_gen_executor import _PartitionFn

    from tfxkit.components.content_fingerprint import ImportExampleGen
    from tfxkit.components.sharded_example_gen import ImportExecutor

    assert ImportExampleGen.EXECUTOR_SPEC.executor_class is ImportExecutor
    (tmp_path / "data").mkdir()
    records = []
    with tf.io.TFRecordWriter(str(tmp_path / "data" / "a.tfrecord")) as writer:
        for i in range(500):
            feature = {"i": tf.train.Feature(int64_list=tf.train.Int64List(value=[i]))}
            example = tf.train.Example(features=tf.train.Features(feature=feature))
            records.append(example.SerializeToString(deterministic=True))
            writer.write(records[-1])
    examples, properties = _parquet_exec(tmp_path / "data", tmp_path / "out")
    ImportExecutor().Do({}, {"examples": [examples]}, properties)
    config = example_gen_pb2.SplitConfig(
        splits=[
            example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=2),
            example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1),
        ]
    )
    written = []
    for index, split in enumerate(("train", "eval")):
        for f in sorted((tmp_path / "out" / f"Split-{split}").glob("*.gz")):
            for record in _records(f):
                assert _PartitionFn(record, 2, [2, 3], config) == index
                written.append(record)
    assert sorted(written) == sorted(records)


def test_tensorflow_free_example_classes_give_tensorflows_bytes() -> None:
    """``example_proto`` parses and re-serializes exactly as ``tf.train.Example`` does, so the
    split (a hash of these bytes) is what it was with TensorFlow's classes."""
    from tfxkit.data import example_proto

    rng = np.random.default_rng(0)
    for i in range(200):
        feature = {}
        for name in rng.permutation(["b", "a", "zz", "m", "é"])[: rng.integers(0, 5)]:
            kind = rng.integers(0, 4)
            if kind == 0:
                values = rng.integers(-(2**62), 2**62, rng.integers(0, 4)).tolist()
                feature[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=values))
            elif kind == 1:
                values = rng.normal(size=rng.integers(0, 4)).tolist() + [float("nan")] * (i % 2)
                feature[name] = tf.train.Feature(float_list=tf.train.FloatList(value=values))
            elif kind == 2:
                values = [bytes(rng.integers(0, 256, 5).tolist()), b""]
                feature[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=values))
            else:
                feature[name] = tf.train.Feature()
        example = tf.train.Example(features=tf.train.Features(feature=feature))
        data = example.SerializeToString()
        assert example_proto.canonical(data) == tf.train.Example.FromString(data).SerializeToString(
            deterministic=True
        )


def test_partition_is_tfxs_split() -> None:
    from tfx.components.example_gen.base_example_gen_executor import _PartitionFn

    config = example_gen_pb2.SplitConfig(
        splits=[
            example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=7),
            example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=3),
            example_gen_pb2.SplitConfig.Split(name="test", hash_buckets=2),
        ]
    )
    for record in _rows(2000):
        ours = shards.partition(record, 3, [7, 10, 12])
        assert ours == _PartitionFn(record, 3, [7, 10, 12], config)


def test_parquet_workers_need_no_tensorflow() -> None:
    """What a Beam worker unpickles for ParquetExampleGen (the Arrow conversion, the split and
    the shard writer) imports without TensorFlow: each worker saves about 0.45 GiB."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import tfxkit.data.arrow_examples, tfxkit.components.example_shards\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tfx')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout
