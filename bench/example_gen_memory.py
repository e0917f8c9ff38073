"""ExampleGen alone at scale: seconds, peak RSS of the process tree, and the shards it wrote.

Why apart from ``bench/scale.py``: ExampleGen is the one component whose memory grew with rows
(TFX's ``Reshuffle`` held each split in the runner; issue 27 item 1). This runs only tfxkit's
Parquet ExampleGen executor on the same flights sample (``bench/scale.py``'s ``prepare``) with
the Beam settings tfxkit's ``auto`` picks for that size, in a fresh child process, sampling the
RSS of it and its Beam workers every 0.2 s:

    .venv/bin/python bench/example_gen_memory.py --rows 3M          # ~3 min on 2 cores
    .venv/bin/python bench/example_gen_memory.py --rows 10M --json workspace/bench-scale/eg.json
    .venv/bin/python bench/example_gen_memory.py --rows 3M --format csv   # the same rows as CSV
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import GIB, TARGET_RSS_GIB, TreeSampler, label, parse_size, prepare  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def as_csv(data: Path) -> Path:
    """The sample as one CSV file (written once), for ``--format csv``."""
    import pyarrow.csv as pv
    import pyarrow.parquet as pq

    folder = data.parent / f"{data.name}-csv"  # apart: scale.py reads the whole folder
    target = folder / "flights.csv"
    if not target.exists():
        folder.mkdir(exist_ok=True)
        pv.write_csv(pq.read_table(data / "flights.parquet"), folder / ".partial")
        (folder / ".partial").rename(target)
    return folder


def child(data: Path, out: Path, fmt: str) -> None:
    """One ExampleGen run (train 2 : eval 1, tfxkit's default split); prints one JSON line."""
    sampler = TreeSampler()
    sampler.node = "example_gen"
    sampler.start()
    from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
    from tfx.proto import example_gen_pb2
    from tfx.types import artifact_utils, standard_artifacts
    from tfx.utils import proto_utils

    from tfxkit.components.csv_example_gen import executor as csv_executor
    from tfxkit.components.parquet_example_gen import executor as parquet_executor
    from tfxkit.config.pipeline_config import CsvDialect
    from tfxkit.runners.beam_settings import Machine, choose_for

    rows = _rows(data)
    executor = parquet_executor if fmt == "parquet" else csv_executor
    if fmt == "csv":
        data = as_csv(data)
    settings = choose_for(rows, Machine.here())  # what runner.beam.mode auto picks
    output_config = example_gen_pb2.Output(
        split_config=example_gen_pb2.SplitConfig(
            splits=[
                example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=2),
                example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1),
            ]
        )
    )
    input_config = example_gen_pb2.Input(
        splits=[example_gen_pb2.Input.Split(name="single_split", pattern=f"*.{fmt}")]
    )
    examples = standard_artifacts.Examples()
    examples.uri = str(out)
    properties = {
        "input_base": str(data),
        "input_config": proto_utils.proto_to_json(input_config),
        "output_config": proto_utils.proto_to_json(output_config),
        "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
        "output_file_format": example_gen_pb2.FORMAT_TFRECORDS_GZIP,
    }
    if fmt == "csv":  # no declared types: the CSV path infers them (reads the file twice)
        properties[csv_executor.CSV_DIALECT_KEY] = CsvDialect().model_dump_json()
    context = BaseBeamExecutor.Context(beam_pipeline_args=settings.args())
    started = time.perf_counter()
    executor.Executor(context).Do({}, {"examples": [examples]}, properties)
    seconds = time.perf_counter() - started
    sampler.stopped.set()
    sampler.join()
    files = {
        split: sorted(p.name for p in (out / f"Split-{split}").glob("*.gz"))
        for split in artifact_utils.decode_split_names(examples.split_names)
    }
    print(
        json.dumps(
            {
                "rows": rows,
                "format": fmt,
                "beam": settings.args(),
                "seconds": seconds,
                "peak_rss": sampler.peaks.get("example_gen", 0),
                "files": {split: len(names) for split, names in files.items()},
                "bytes": sum(p.stat().st_size for p in out.rglob("*.gz")),
            }
        )
    )


def _rows(data: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in data.glob("*.parquet"))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="3M")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--json", type=Path, help="append the result to this JSON list")
    args = parser.parse_args()
    rows = parse_size(args.rows)
    data = prepare(rows)
    with tempfile.TemporaryDirectory(dir=REPO / "workspace") as out:
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(data), out, args.format],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore"),
            check=False,
        )
    if result.returncode != 0:
        sys.exit(f"ExampleGen at {label(rows)} rows failed (exit {result.returncode})")
    record = json.loads(result.stdout.strip().splitlines()[-1])
    peak = record["peak_rss"] / GIB
    mark = "ok" if peak <= TARGET_RSS_GIB else "MISSED"
    print(
        f"example_gen {args.format} {label(rows)} rows: {record['seconds']:.1f} s, "
        f"{rows / record['seconds']:,.0f} rows/s, peak RSS {peak:.2f} GiB "
        f"(target <= {TARGET_RSS_GIB}: {mark}), files per split {record['files']}, "
        f"beam {' '.join(record['beam'])}"
    )
    if args.json:
        saved = json.loads(args.json.read_text()) if args.json.exists() else []
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([*saved, record], indent=1))


if __name__ == "__main__":
    main()
