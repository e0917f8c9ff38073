"""Per-feature distances between two TFDV statistics, and what they say.

Why reuse the anomaly gate's rule (``components.anomaly_gate.distances``): a monitor that alerts
on JSD alone pages someone for every small window. Each feature gets the numbers users expect:
PSI, Kolmogorov-Smirnov and Wasserstein (numbers), PSI, chi-square and L-infinity (categories),
all from the statistics' histograms, plus TFDV's own JSD / L-infinity where a schema lets TFDV
measure them; the gate's size-aware rule decides major (alert) or moderate (warn).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from tfxkit.components.anomaly_gate import distances, shift


@dataclass
class FeatureDistance:
    """How far one feature moved between a baseline and the window."""

    feature: str
    against: str  # "training" (skew) or "previous window" (drift)
    kind: str  # numeric or categorical
    n: float
    m: float
    measures: dict[str, float] = field(default_factory=dict)
    level: str | None = None  # major, moderate or None
    caught_by: str | None = None  # the measure that decided the level
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def statistics_of(batch: Any, drop: set[str] | None = None) -> Any:
    """TFDV statistics (one DatasetFeatureStatistics) of an Arrow RecordBatch, in memory."""
    import pyarrow as pa
    import tensorflow_data_validation as tfdv
    from tensorflow_data_validation.statistics import stats_impl

    names = batch.schema.names
    keep = [i for i, n in enumerate(names) if n not in (drop or set())]
    batch = pa.RecordBatch.from_arrays([batch.column(i) for i in keep], [names[i] for i in keep])
    result = stats_impl.generate_statistics_in_memory(batch, tfdv.StatsOptions())
    return result.datasets[0]


def _pair(
    name: str, before: Any, now: Any, against: str, base_name: str | None = None
) -> FeatureDistance | None:
    base, current = shift.numeric_cdf(before), shift.numeric_cdf(now)
    if base is not None and current is not None and base.count and current.count:
        edges = np.unique(base.xs)
        scale = before.num_stats.std_dev
        moved = distances.wasserstein(base, current)
        measures = {
            "psi": distances.psi(base.bins(edges), current.bins(edges)),
            "ks": distances.ks_statistic(base, current),
            "wasserstein_std": moved / scale if scale > 0 else moved,
        }
        found = distances.numeric_shift(
            base, current, (before.num_stats.mean, now.num_stats.mean), scale
        )
        result = FeatureDistance(name, against, "numeric", base.count, current.count, measures)
    else:
        old, new = shift.categories(before), shift.categories(now)
        if not old or not new:
            return None
        names, a, b = distances.pooled_categories(old, new)
        n, m = float(a.sum()), float(b.sum())
        gaps = b / m - a / n if n and m else np.zeros(1)
        measures = {
            "psi": distances.psi(a, b),
            "chi_square": distances.chi2_statistic(a, b),
            "l_inf": float(np.abs(gaps).max()),
        }
        found = distances.categorical_shift(old, new)
        result = FeatureDistance(name, against, "categorical", n, m, measures)
        unseen = sorted(set(new) - set(old) - {distances.OTHER})
        if unseen:
            result.detail = f"values not in the baseline: {', '.join(unseen[:5])}"
    if found is not None:
        result.level = found.level
        result.caught_by = f"PSI+{found.test}"
        result.detail = "; ".join(x for x in (found.describe(), result.detail) if x)
    return result


def compare(
    baseline: Any,
    window: Any,
    against: str,
    renames: dict[str, str] | None = None,
    only: set[str] | None = None,
) -> list[FeatureDistance]:
    """Distances of every feature both statistics hold; ``renames``: {window name: baseline
    name} (a logged prediction or joined label judged against the training label)."""
    old, new = shift.feature_stats(baseline), shift.feature_stats(window)
    pairs = {name: name for name in new if name in old}
    for current, base in (renames or {}).items():
        if current in new and base in old:
            pairs[current] = base
    out = []
    for name, base in sorted(pairs.items()):
        if only is not None and name not in only:
            continue
        found = _pair(name, old[base], new[name], against)
        if found is not None:
            out.append(found)
    return out


def tfdv_measures(baseline: Any, window: Any, schema: Any, kind: str) -> dict[str, float]:
    """TFDV's own distance per feature (JSD for numbers, L-infinity for strings): comparators
    that only measure (``shift.measuring``), read back from the anomalies."""
    import tensorflow_data_validation as tfdv
    from tensorflow_metadata.proto.v0 import statistics_pb2

    def listed(view: Any) -> Any:
        return statistics_pb2.DatasetFeatureStatisticsList(datasets=[view])

    names = set(shift.feature_stats(baseline)) & set(shift.feature_stats(window))
    measuring = shift.measuring(schema, names, kind)
    if kind == shift.SKEW:
        anomalies = tfdv.validate_statistics(
            listed(baseline), measuring, serving_statistics=listed(window)
        )
    else:
        anomalies = tfdv.validate_statistics(
            listed(window), measuring, previous_statistics=listed(baseline)
        )
    found = {}
    for info in anomalies.drift_skew_info:
        measurements = info.drift_measurements if kind == shift.DRIFT else info.skew_measurements
        for measurement in measurements:
            kind_name = type(measurement).Type.Name(measurement.type)
            label = "jsd" if kind_name == "JENSEN_SHANNON_DIVERGENCE" else "l_inf"
            found[f"{info.path.step[0]}:{label}"] = float(measurement.value)
    return found
