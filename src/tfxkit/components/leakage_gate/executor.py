"""LeakageGate executor: a sample of the train split -> single-feature scores -> a verdict.

The sample: at most ``SAMPLE_ROWS`` tf.Examples of the ExampleGen's train split, every k-th
record of its files read round-robin (k from the split's example count in the statistics, over
at most ``SCAN_ROWS`` records, which bounds the time a large split costs), so a file sorted by
label or by time is sampled throughout, not only its start. The records are decoded with
tfx_bsl (Arrow); only the configured features and the label's column(s) are kept. The
scoring rule is ``data.leakage`` (pure numpy). ``fail`` with a leaking feature raises
``LeakageFound`` (nothing downstream runs); otherwise the schema is passed on with the
verdict on it.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import pyarrow as pa
from tfx.dsl.components.base import base_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils
from tfx.utils import io_utils

from tfxkit.components.leakage_gate.verdict import LeakageFound, LeakageRow, LeakageVerdict
from tfxkit.components.verdicts import Artifacts, GateExecutor, load_settings
from tfxkit.data import leakage

EXAMPLES_KEY = "examples"
STATISTICS_KEY = "statistics"
SCHEMA_KEY = "schema"
GATED_SCHEMA_KEY = "gated_schema"
SPLIT = "train"
SAMPLE_ROWS = leakage.SAMPLE_ROWS
SCAN_ROWS = 500_000  # records read at most to draw the sample (~10 s on 2 busy cores)


def train_rows(statistics: Any) -> int | None:
    """The train split's example count, from StatisticsGen's output (None if absent)."""
    from tfx.components.statistics_gen import stats_artifact_utils

    try:
        view = stats_artifact_utils.load_statistics(statistics, SPLIT).proto()
    except Exception:  # no statistics for the split: the sample is the first rows
        return None
    return int(view.datasets[0].num_examples) if view.datasets else None


def read_sample(
    examples: Any, keys: list[str], total: int | None, cap: int = SAMPLE_ROWS
) -> dict[str, np.ndarray]:
    """Up to ``cap`` train rows (every k-th record of ``total``, or the first ``cap`` when
    unknown) as ``{key: column}`` (``as_column`` form: floats with NaN, or strings with None);
    a key no example holds is all missing."""
    import tensorflow as tf
    from tfx_bsl.coders import example_coder

    folder = artifact_utils.get_split_uri([examples], SPLIT)
    files = sorted(fileio.glob(os.path.join(folder, "*")))
    if not files:
        return {key: np.full(0, np.nan) for key in keys}
    compression = "GZIP" if all(f.endswith(".gz") for f in files) else ""
    data = tf.data.Dataset.from_tensor_slices(files).interleave(
        lambda f: tf.data.TFRecordDataset(f, compression_type=compression),
        cycle_length=len(files),  # round-robin over the files: every shard is sampled
    )
    stride = max(1, math.ceil(min(total, SCAN_ROWS) / cap)) if total else 1
    data = data.shard(stride, 0).take(cap).batch(cap)
    records = [r for batch in data for r in batch.numpy()]
    batch = example_coder.ExamplesToRecordBatchDecoder().DecodeBatch(records)
    return {key: _first_values(batch, key, len(records)) for key in keys}


def _first_values(batch: Any, key: str, rows: int) -> np.ndarray:
    """Each row's first value of ``key`` (a feature is one value per row here)."""
    if key not in batch.schema.names:
        return np.full(rows, np.nan)
    column = batch.column(batch.schema.get_field_index(key))
    offsets = np.asarray(column.offsets)
    has = (np.diff(offsets) > 0) & np.asarray(column.is_valid())
    first = column.values.take(offsets[:-1][has])
    if pa.types.is_binary(first.type) or pa.types.is_large_binary(first.type):
        out = np.empty(rows, dtype=object)
        out[has] = [v.decode("utf-8", "replace") for v in first.to_pylist()]
        return out
    out = np.full(rows, np.nan)
    out[has] = np.asarray(first.to_numpy(zero_copy_only=False), dtype=np.float64)
    return out


def judge(columns: dict[str, np.ndarray], settings: dict[str, Any]) -> LeakageVerdict:
    """The verdict on sampled columns (``settings``: features, label, derive or positive,
    task, action)."""
    label_columns: dict[str, str] = settings["label_columns"]  # column name -> feature key
    if settings.get("derive"):
        named = {name: columns[key] for name, key in label_columns.items()}
        label = leakage.derived_label(settings["derive"], named)
    elif settings.get("positive"):  # label.positive: one value against the rest
        label = leakage.one_vs_rest(columns[settings["label"]], settings["positive"])
    else:
        label = columns[settings["label"]]
    features = {key: columns[key] for key in settings["features"]}
    report = leakage.score_columns(features, label, settings["task"])
    rows = [LeakageRow(**vars(score)) for score in report.scores]
    passed = not (settings["action"] == "fail" and report.leaking)
    return LeakageVerdict(
        passed=passed,
        judged=report.judged,
        action=settings["action"],
        task=report.task,
        rows=report.rows,
        columns=rows,
        note=report.note,
        reasons=[f"'{row.column}': {row.reason}" for row in rows if row.leaks],
    )


class Executor(GateExecutor, base_executor.BaseExecutor):
    """Raise LeakageFound when ``fail`` finds a leak; else copy the schema out with the verdict."""

    VERDICT_OUTPUT = GATED_SCHEMA_KEY

    def decide(
        self, inputs: Artifacts, outputs: Artifacts, properties: dict[str, Any]
    ) -> LeakageVerdict:
        settings = load_settings(properties)
        examples = artifact_utils.get_single_instance(inputs[EXAMPLES_KEY])
        statistics = artifact_utils.get_single_instance(inputs[STATISTICS_KEY])
        label_keys = [settings["label"]] if not settings.get("derive") else []
        keys = [*settings["features"], *label_keys, *settings["label_columns"].values()]
        total = train_rows(statistics)
        columns = read_sample(examples, sorted(set(keys)), total, settings["sample_rows"])
        verdict = judge(columns, settings)
        if not verdict.passed:
            raise LeakageFound(verdict)
        schema_uri = artifact_utils.get_single_uri(inputs[SCHEMA_KEY])
        gated = artifact_utils.get_single_instance(outputs[GATED_SCHEMA_KEY])
        for name in fileio.listdir(schema_uri):
            io_utils.copy_file(os.path.join(schema_uri, name), os.path.join(gated.uri, name))
        return verdict
