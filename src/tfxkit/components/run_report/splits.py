"""One split's data statistics as the report shows them: StatisticsGen's ExampleStatistics.

Why read the proto here: TFDV's own HTML view loads Facets from a CDN and shows nothing
offline. ``FeatureStats.pb`` is the ``DatasetFeatureStatisticsList`` that
``tfdv.load_stats_binary`` returns; it is parsed with tensorflow_metadata's proto directly, so
the report imports neither TFDV nor Beam. Here (not in ``tfxkit.report``) because the run
report component reads it inside a Kubeflow/Vertex task, where there is no ML Metadata.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

STATS_FILE = "FeatureStats.pb"


@dataclass
class FeatureRow:
    """One feature's summary as the report shows it."""

    name: str
    type: str
    count: int  # examples with a value
    missing: float  # share of examples without one, 0..1
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    zeros: float | None = None  # share of zeros (numbers)
    histogram: list[tuple[float, float, float]] = field(default_factory=list)
    unique: int | None = None  # distinct values (strings)
    top_values: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class SplitStats:
    split: str
    examples: int
    uri: str
    features: list[FeatureRow] = field(default_factory=list)


def load_split(uri: str, split: str = "train", top: int = 10) -> SplitStats | None:
    """One split's features (``Split-<split>/FeatureStats.pb``), or None when it is absent."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    path = os.path.join(uri, f"Split-{split}", STATS_FILE)
    if not os.path.exists(path):
        return None
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    with open(path, "rb") as handle:
        stats.ParseFromString(handle.read())
    if not stats.datasets:
        return None
    dataset = stats.datasets[0]
    examples = int(dataset.num_examples)
    rows = [_row(f, examples, top) for f in dataset.features]
    return SplitStats(split, examples, uri, sorted(rows, key=lambda r: r.name))


def _row(feature: Any, examples: int, top: int) -> FeatureRow:
    from tensorflow_metadata.proto.v0 import statistics_pb2

    name = ".".join(feature.path.step) if feature.path.step else feature.name
    kind = statistics_pb2.FeatureNameStatistics.Type.Name(feature.type)
    which = feature.WhichOneof("stats")
    stats = getattr(feature, which) if which else None
    common = stats.common_stats if stats is not None and stats.HasField("common_stats") else None
    count = int(common.num_non_missing) if common else 0
    missing = int(common.num_missing) if common else max(examples - count, 0)
    row = FeatureRow(name, kind, count, missing / examples if examples else 0.0)
    if which == "num_stats":
        row.mean, row.std = stats.mean, stats.std_dev
        row.min, row.max = stats.min, stats.max
        row.zeros = stats.num_zeros / count if count else None
        standard = [h for h in stats.histograms if h.type == h.STANDARD]
        if standard:
            row.histogram = [
                (b.low_value, b.high_value, b.sample_count) for b in standard[0].buckets
            ]
    elif which == "string_stats":
        row.unique = int(stats.unique)
        row.top_values = [(v.value, v.frequency) for v in stats.top_values[:top]]
    return row
