"""TFRecord and Parquet input end to end, and a split by a column (no id in both splits).

Both files are written here from the repo's penguin data, with missing values: the Parquet
file has nulls in an int and a string column, the TFRecord file leaves features out.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.paths import PENGUIN_DATA
from tests.pipeline_runs import run_pipeline

pytestmark = pytest.mark.slow

CONFIG = """\
name: formats
data: {path: DATA, format: FORMAT, split_column: bird_id}
features:
  - {name: bill_length_mm, type: float, transform: zscore}
  - {name: flipper_length_mm, type: int, transform: zscore}
  - {name: island, type: string, transform: vocabulary}
label: {name: species}
training: {train_steps: 60}
evaluation: {thresholds: {SparseCategoricalAccuracy: {lower_bound: 0.5}}}
"""


def _rows() -> list[dict]:
    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    for index, row in enumerate(rows):
        row["bird_id"] = f"bird-{index // 2}"  # two rows per bird: both must share a split
        if index % 17 == 0:
            row["flipper_length_mm"] = None
        if index % 23 == 0:
            row["island"] = None
    return rows


def _parquet(target: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = _rows()

    def column(name: str, kind, cast):
        return pa.array([None if r[name] is None else cast(r[name]) for r in rows], type=kind)

    table = pa.table(
        {
            "species": column("species", pa.string(), str),
            "island": column("island", pa.string(), str),
            "bill_length_mm": column("bill_length_mm", pa.float64(), float),
            "flipper_length_mm": column("flipper_length_mm", pa.int64(), int),
            "bird_id": column("bird_id", pa.string(), str),
        }
    )
    target.mkdir(parents=True)
    pq.write_table(table, target / "penguins.parquet")


def _tfrecord(target: Path) -> None:
    import tensorflow as tf

    target.mkdir(parents=True)
    options = tf.io.TFRecordOptions(compression_type="GZIP")
    with tf.io.TFRecordWriter(str(target / "penguins.tfrecord.gz"), options) as writer:
        for row in _rows():
            example = tf.train.Example()
            features = example.features.feature
            for name in ("species", "island", "bird_id"):
                if row[name] is not None:
                    features[name].bytes_list.value.append(row[name].encode())
            features["bill_length_mm"].float_list.value.append(float(row["bill_length_mm"]))
            if row["flipper_length_mm"] is not None:
                features["flipper_length_mm"].int64_list.value.append(int(row["flipper_length_mm"]))
            writer.write(example.SerializeToString())


def _split_ids(examples_dir: Path, split: str) -> set[bytes]:
    import tensorflow as tf

    files = [str(p) for p in (examples_dir / f"Split-{split}").glob("*.gz")]
    ids = set()
    for record in tf.data.TFRecordDataset(files, compression_type="GZIP"):
        example = tf.train.Example.FromString(record.numpy())
        ids.update(example.features.feature["bird_id"].bytes_list.value)
    return ids


@pytest.mark.parametrize(("fmt", "write"), [("parquet", _parquet), ("tfrecord", _tfrecord)])
def test_format_runs_end_to_end_and_splits_by_column(tmp_path: Path, fmt: str, write) -> None:
    data = tmp_path / "data"
    write(data)
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.replace("DATA", str(data)).replace("FORMAT", fmt))
    summary_path = tmp_path / "summary.json"
    result = run_pipeline(tmp_path / "ws", config=config, data=None, summary=summary_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    assert summary["blessed"] is True, summary["blessing_failures"]
    assert summary["pushed_path"]
    examples = next(
        (tmp_path / "ws" / "formats" / "pipeline_root" / "example_gen" / "examples").iterdir()
    )
    train, evaluation = _split_ids(examples, "train"), _split_ids(examples, "eval")
    assert train and evaluation
    assert not train & evaluation, "a bird in both splits: split_column was not honoured"


SPANS_CONFIG = """\
name: spans
data: {path: DATA, pattern: "span-{SPAN}/*.csv"}
features:
  - {name: bill_length_mm, type: float, transform: zscore}
  - {name: island, type: string, transform: vocabulary}
label: {name: species}
training: {train_steps: 40}
evaluation: {thresholds: {SparseCategoricalAccuracy: {lower_bound: 0.4}}}
validation: {drift: {bill_length_mm: 0.25}}
"""


def _span(data: Path, span: int, shift: float = 0.0) -> None:
    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["bill_length_mm"] = str(float(row["bill_length_mm"]) + shift)
    folder = data / f"span-{span}"
    folder.mkdir(parents=True)
    with (folder / "penguins.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_the_latest_span_is_read(tmp_path: Path) -> None:
    """Drift against the previous span is the bad-input corpus case ``numeric_drift``."""
    from tests.pipeline_runs import executions, sqlite_store
    from tfxkit.metadata.store import output_artifacts

    data = tmp_path / "data"
    _span(data, 1)
    _span(data, 2, shift=1.0)
    config = tmp_path / "config.yaml"
    config.write_text(SPANS_CONFIG.replace("DATA", str(data)))
    run = run_pipeline(tmp_path / "ws", config=config, data=None, summary=tmp_path / "1.json")
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads((tmp_path / "1.json").read_text())
    store = sqlite_store(tmp_path / "ws" / "spans" / "metadata.sqlite")
    ran = executions(tmp_path / "ws", "spans", summary["run_id"])
    [examples] = output_artifacts(store, ran["example_gen"].execution_id, "Examples")
    assert examples.custom_properties["span"].int_value == 2  # the latest span was read
