"""The Beam job of ``pipeline.score``: the files read as batches, scored, written as shards,
and beside it TFDV's statistics of the parsed rows (remote runners, several local files, and
schemas whose checks ``checks.covers`` does not admit). Apache Beam and TFDV are imported only
here: their import costs more than TensorFlow's, and the local engine needs neither.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import apache_beam as beam
import pyarrow as pa

from tfxkit.batch import reading
from tfxkit.batch.model import ModelInfo, Scorer
from tfxkit.batch.pipeline import STATISTICS, ScoreRequest, _File, _read, score_batch
from tfxkit.config.sections import column_key

# Rows TFDV takes at once: its per-call cost swamped 1,024-row batches (3.4 s of 1 M rows).
STATS_BATCH = 65_536
GATHER = STATS_BATCH // 1024  # record batches concatenated before TFDV sees them


class ScoreBatch(beam.DoFn):
    """Scores a batch with the model (loaded once per worker) and writes its shard."""

    def __init__(self, request: ScoreRequest, info: ModelInfo, schema: pa.Schema, tmp: str):
        self.request, self.info, self.schema, self.tmp = request, info, schema, tmp
        self.scorer: Scorer | None = None

    def setup(self) -> None:
        self.scorer = Scorer.shared(self.request.model.path)

    def process(self, batch: reading.Batch) -> Iterator[int]:
        assert self.scorer is not None
        yield score_batch(self.request, self.info, self.schema, self.tmp, self.scorer, batch)


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


def run(
    request: ScoreRequest, planned: list[_File], info: ModelInfo, schema: pa.Schema, tmp: str,
    statistics: bool,
) -> None:  # fmt: skip
    from apache_beam.options.pipeline_options import PipelineOptions

    kinds = {c.name: c.kind for c in planned[0].columns}
    options = PipelineOptions(list(request.beam_args) or ["--direct_running_mode=in_memory"])
    with beam.Pipeline(options=options) as pipeline:
        batches = (
            pipeline
            | "Files" >> beam.Create(planned)
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
