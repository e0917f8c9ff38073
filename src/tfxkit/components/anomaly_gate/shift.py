"""The gate's default drift and skew checks: every checked feature of two TFDV statistics
compared by ``distances``' size-aware rule, with no bound to configure.

Why on by default: a run whose numeric feature grew tenfold passed the gate, trained, blessed
and was pushed, because a drift bound had to be configured per column first (issue 28). Now
every configured feature (and a label column) is compared with the last approved run's
statistics, split by split, and with logged serving data when there is some. A column with its
own bound (``validation.drift`` / ``validation.skew``) is judged by that bound (TFDV's
comparator) instead; ``validation.drift_check`` / ``skew_check`` make the default warn only, or
turn it off.

Each shift is a row like TFDV's anomalies (``executor.anomaly_rows``): anomaly type
``DISTRIBUTION_DRIFT`` (or ``DISTRIBUTION_SKEW``), severity ERROR for a major shift under
``fail`` (then ``on_anomaly`` and ``severity`` decide, as for any anomaly) and WARNING
otherwise; the description names the measure, its value and bound, and how to approve an
expected change. TFDV's own distance for the feature (JSD for numbers, L-infinity for
strings), measured with a comparator that cannot fire, is quoted beside ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tfxkit.components.anomaly_gate.distances import (
    OTHER,
    Cdf,
    Shift,
    categorical_shift,
    numeric_shift,
)
from tfxkit.errors import SHIFT_ANOMALIES

DRIFT, SKEW = SHIFT_ANOMALIES  # the anomaly names of a drift and a skew row
MEASURE_ONLY = 2.0  # a comparator threshold above any JSD or L-infinity: measures, never fires
_QUANTILES = 1  # HistogramType QUANTILES in TFDV's statistics proto
_TFDV_MEASURE = {"JENSEN_SHANNON_DIVERGENCE": "JSD", "L_INFTY": "L-inf"}


@dataclass(frozen=True)
class DefaultCheck:
    """What the default check does (``action``: fail | warn | off) and to which feature keys
    (``features``; None: every feature both statistics have)."""

    action: str = "fail"
    features: tuple[str, ...] | None = None

    def judged(self, names: Iterable[str], explicit: Mapping[str, float]) -> list[str]:
        """The features it judges among ``names``: those without a bound of their own."""
        if self.action == "off":
            return []
        wanted = set(names) if self.features is None else set(self.features) & set(names)
        return sorted(wanted - set(explicit))


def feature_stats(view: Any) -> dict[str, Any]:
    """{feature key: FeatureNameStatistics} of a DatasetFeatureStatistics."""
    return {f.path.step[0] if f.path.step else f.name: f for f in view.features}


def numeric_cdf(feature: Any) -> Cdf | None:
    """The CDF of a numeric feature from its quantiles histogram (else its standard one)."""
    if not feature.HasField("num_stats"):
        return None
    histograms = sorted(feature.num_stats.histograms, key=lambda h: h.type != _QUANTILES)
    for histogram in histograms:
        buckets = [(b.low_value, b.high_value, b.sample_count) for b in histogram.buckets]
        if buckets:
            return Cdf.from_buckets(buckets)
    return None


def categories(feature: Any) -> dict[str, float] | None:
    """{value: count} of a string feature: its rank histogram (TFDV keeps the 1,000 most
    frequent values), the rest of its values counted as one ``OTHER`` value."""
    if not feature.HasField("string_stats"):
        return None
    stats = feature.string_stats
    counts = {b.label: float(b.sample_count) for b in stats.rank_histogram.buckets}
    if not counts:
        counts = {v.value: float(v.frequency) for v in stats.top_values}
    rest = float(stats.common_stats.tot_num_values) - sum(counts.values())
    if rest >= 1:
        counts[OTHER] = counts.get(OTHER, 0.0) + rest
    return counts


def compare(before: Any, now: Any) -> Shift | None:
    """The shift of one feature between two FeatureNameStatistics (None: none, or the two
    are not comparable: a type change is TFDV's anomaly, not a distance)."""
    base, current = numeric_cdf(before), numeric_cdf(now)
    if base is not None and current is not None:
        means = (before.num_stats.mean, now.num_stats.mean)
        return numeric_shift(base, current, means, before.num_stats.std_dev)
    base_counts, current_counts = categories(before), categories(now)
    if base_counts is not None and current_counts is not None:
        return categorical_shift(base_counts, current_counts)
    return None


def tfdv_measures(anomalies: Any, kind: str) -> dict[str, str]:
    """{feature key: "TFDV JSD 0.61"} from an Anomalies proto's drift (or skew) measurements."""
    found = {}
    for info in anomalies.drift_skew_info:
        measurements = info.drift_measurements if kind == DRIFT else info.skew_measurements
        for measurement in measurements:
            kind_name = type(measurement).Type.Name(measurement.type)
            name = _TFDV_MEASURE.get(kind_name, kind_name)
            found[info.path.step[0]] = f"TFDV {name} {measurement.value:.3g}"
    return found


def shift_rows(
    split: str,
    before: Any,
    now: Any,
    check: DefaultCheck,
    explicit: Mapping[str, float],
    kind: str = DRIFT,
    measured: Mapping[str, str] | None = None,
) -> list[dict[str, str]]:
    """One row per judged feature of ``now`` (a DatasetFeatureStatistics) that shifted from
    ``before``; ``measured``: TFDV's distances to quote (``tfdv_measures``)."""
    old, new = feature_stats(before), feature_stats(now)
    against = "vs the last approved run" if kind == DRIFT else "training vs serving"
    rows = []
    for name in check.judged(set(old) & set(new), explicit):
        shift = compare(old[name], new[name])
        if shift is None:
            continue
        failing = shift.level == "major" and check.action == "fail"
        tfdv = f"; {measured[name]}" if measured and name in measured else ""
        text = f"{shift.level} shift: {shift.describe()}{tfdv} ({against})"
        if failing:  # once a run passes, its data is the next run's baseline
            text += (
                "; if this change is expected, approve it: run once with "
                f"validation.severity: {{{name}: warn}}"
            )
        severity = "ERROR" if failing else "WARNING"
        rows.append(
            {
                "split": split,
                "feature": name,
                "anomaly": kind,
                "severity": severity,
                "description": text,
            }
        )
    return rows


def measuring(schema: Any, features: Iterable[str], kind: str = DRIFT) -> Any:
    """A copy of ``schema`` whose ``features`` get a comparator that only measures (TFDV then
    reports its distance in ``drift_skew_info``); strings L-infinity, numbers JSD."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = schema_pb2.Schema.FromString(schema.SerializeToString())
    wanted = set(features)
    for feature in schema.feature:
        if feature.name not in wanted:
            continue
        comparator = feature.drift_comparator if kind == DRIFT else feature.skew_comparator
        if comparator.HasField("infinity_norm") or comparator.HasField("jensen_shannon_divergence"):
            continue  # a configured bound: keep it
        if feature.type == schema_pb2.BYTES:
            comparator.infinity_norm.threshold = MEASURE_ONLY
        else:
            comparator.jensen_shannon_divergence.threshold = MEASURE_ONLY
    return schema


def unmeasured(rows: list[dict[str, str]], measured: Iterable[str]) -> list[dict[str, str]]:
    """``rows`` without the comparator rows of ``measured`` features: a comparator that only
    measures cannot fire, but TFDV still reports it when one side lacks the feature (e.g. a
    column a schema acceptance added since the approved statistics); that is no anomaly."""
    quiet = set(measured)
    return [
        r for r in rows if not (r["feature"] in quiet and r["anomaly"].startswith("COMPARATOR_"))
    ]
