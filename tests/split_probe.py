"""Run each ExampleGen (CSV, Parquet, TFRecord) on prepared data and print, per format, a digest
of each split's sorted decoded rows: ``python -m tests.split_probe DATA_ROOT OUT MODE``.

Used by tests/integration/test_split_determinism.py in separate processes (other hash seeds,
Beam modes, file orders); kept outside the test so each run is a fresh interpreter.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import tensorflow as tf
from tfx.components.example_gen.import_example_gen import executor as import_executor
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_artifacts
from tfx.utils import proto_utils

from tfxkit.components.csv_example_gen import executor as csv_executor
from tfxkit.components.parquet_example_gen import executor as parquet_executor
from tfxkit.config.pipeline_config import CsvDialect

EXECUTORS = {
    "csv": csv_executor.Executor,
    "parquet": parquet_executor.Executor,
    "tfrecord": import_executor.Executor,
}
SPLITS = ("train", "eval")


def _row(example: tf.train.Example) -> str:
    """A row's content, canonical: features sorted by name, values as lists."""
    features = {}
    for name, feature in sorted(example.features.feature.items()):
        kind = feature.WhichOneof("kind")
        values = list(getattr(feature, kind).value) if kind else []
        features[name] = [v.decode() if isinstance(v, bytes) else round(v, 4) for v in values]
    return json.dumps(features, sort_keys=True)


def split_digests(fmt: str, data: Path, out: Path, beam_args: list[str]) -> dict[str, str]:
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
    examples.split_names = artifact_utils.encode_split_names(list(SPLITS))
    exec_properties = {
        "input_base": str(data),
        "input_config": proto_utils.proto_to_json(input_config),
        "output_config": proto_utils.proto_to_json(output_config),
        "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
        "output_file_format": example_gen_pb2.FORMAT_TFRECORDS_GZIP,
    }
    if fmt == "csv":
        exec_properties["csv_dialect"] = json.dumps(CsvDialect().model_dump(mode="json"))
    if fmt != "tfrecord":
        exec_properties["code_fingerprint"] = "0123456789abcdef"
    context = BaseBeamExecutor.Context(beam_pipeline_args=beam_args)
    EXECUTORS[fmt](context).Do({}, {"examples": [examples]}, exec_properties)
    digests = {}
    for split in SPLITS:
        files = tf.io.gfile.glob(str(out / f"Split-{split}" / "*.gz"))
        records = tf.data.TFRecordDataset(files, compression_type="GZIP")
        rows = sorted(_row(tf.train.Example.FromString(r.numpy())) for r in records)
        digests[split] = f"{len(rows)}:" + hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


def main(data_root: str, out_root: str, mode: str) -> None:
    beam_args = [
        f"--direct_running_mode={mode}",
        "--direct_num_workers=" + ("1" if mode == "in_memory" else "2"),
    ]
    result = {
        fmt: split_digests(fmt, Path(data_root) / fmt, Path(out_root) / fmt, beam_args)
        for fmt in EXECUTORS
    }
    print("DIGESTS " + json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main(*sys.argv[1:4])
