"""The batch against the schema of record without TFDV's Python package (no Beam to import).

Why: ``import tensorflow_data_validation`` imports Apache Beam and takes longer than loading
TensorFlow and the model together (5 to 9 s on the 2-core machine); the checks themselves are
TFDV's C++ validator, which needs only the batch's statistics. So for a local ``tfxkit predict``
the statistics the schema's checks read are counted here, batch by batch as the rows are scored
(``Statistics``), in TFDV's ``DatasetFeatureStatisticsList`` layout, and ``SchemaCheck`` hands
them to TFDV's own validator (its extension module, loaded by path); the CLI judges the
anomalies as ``components.batch_scorer.validation`` does. Same validator, same messages.

Only schemas whose features ask for what is counted here are checked this way (``covers``):
type, presence, value count and string / int / float domains. Anything else (distribution or
unique constraints, natural-language or image domains, sparse or weighted features,
environments) goes through TFDV's statistics on Beam, as a remote runner always does. The
counts follow TFDV's BasicStats and exact TopKUniques generators; tests/unit/test_batch_checks.py
compares the verdicts of the two on planted anomalies.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import math
import os
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from tfxkit.batch.reading import INT, TEXT, Batch
from tfxkit.config.sections import column_key

RANK_BUCKETS = 1000  # TFDV's num_rank_histogram_buckets
TOP_VALUES = 20  # TFDV's num_top_values
# FeatureProto fields whose checks read only what Statistics counts (or nothing of the data).
_FEATURE_FIELDS = {
    "name", "type", "presence", "value_count", "domain", "string_domain", "int_domain",
    "float_domain", "drift_comparator", "skew_comparator", "annotation", "description",
    "lifecycle_stage", "deprecated",
}  # fmt: skip
_SCHEMA_FIELDS = {"feature", "string_domain", "int_domain", "float_domain", "annotation"}
_VALUED_DOMAINS = {"domain", "string_domain"}  # string values read by the domain check
_EXTENSION = "tensorflow_data_validation.pywrap.tensorflow_data_validation_extension"


def covers(schema: Any) -> bool:
    """Whether every check ``schema`` asks for reads only what ``Statistics`` counts."""
    if any(f.name not in _SCHEMA_FIELDS for f, _ in schema.ListFields()):
        return False
    return all(
        f.name in _FEATURE_FIELDS for feature in schema.feature for f, _ in feature.ListFields()
    )


class Statistics:
    """The parsed rows' statistics, counted per batch. Memory: a few numbers per column, and a
    counter per distinct value of the text columns in ``valued`` (those with a domain: no other
    check reads the values; default all), as TFDV's exact top-k counts them."""

    def __init__(self, kinds: dict[str, str], valued: set[str] | None = None) -> None:
        self.kinds = kinds  # signature input -> float | int | string
        self.examples = 0
        self.present = dict.fromkeys(kinds, 0)
        self.numbers: dict[str, list[float]] = {}  # name -> [min, max, sum, sum of squares, zeros]
        self.text: dict[str, Counter] = {
            n: Counter()
            for n, k in kinds.items()
            if k == TEXT and (valued is None or column_key(n) in valued)
        }

    def add(self, batch: Batch) -> None:
        rows = len(batch.lines)
        if not rows:
            return
        self.examples += rows
        for name, kind in self.kinds.items():
            values = batch.inputs[name]
            if kind == TEXT:
                kept = [v for v in values.tolist() if v != ""]
                self.present[name] += len(kept)
                if name in self.text:
                    self.text[name].update(kept)
                continue
            # As TFDV sees them: float32 for numbers, int64 for integers (missing: NaN).
            present = values[~np.isnan(values)]
            if not present.size:
                continue
            present = present.astype(np.int64 if kind == INT else np.float32).astype(np.float64)
            self.present[name] += int(present.size)
            low, high = float(present.min()), float(present.max())
            total, squares = float(present.sum()), float(np.dot(present, present))
            zeros = int(np.count_nonzero(present == 0))
            seen = self.numbers.get(name)
            if seen is None:
                self.numbers[name] = [low, high, total, squares, zeros]
            else:
                seen[0], seen[1] = min(seen[0], low), max(seen[1], high)
                seen[2] += total
                seen[3] += squares
                seen[4] += zeros

    def proto(self) -> Any:
        """A ``DatasetFeatureStatisticsList`` as TFDV's generators write it (the fields read by
        the checks ``covers`` admits)."""
        from tensorflow_metadata.proto.v0 import statistics_pb2

        result = statistics_pb2.DatasetFeatureStatisticsList()
        dataset = result.datasets.add(num_examples=self.examples)
        for name in sorted(self.kinds, key=column_key):
            kind, count = self.kinds[name], self.present[name]
            feature = dataset.features.add()
            feature.path.step.append(column_key(name))
            if kind == TEXT:
                feature.type = statistics_pb2.FeatureNameStatistics.STRING
                stats = feature.string_stats
                common = stats.common_stats
                _common(common, count, self.examples)
                if count and name in self.text:
                    _strings(stats, self.text[name], count)
                continue
            is_int = kind == INT
            feature.type = statistics_pb2.FeatureNameStatistics.INT if is_int else (
                statistics_pb2.FeatureNameStatistics.FLOAT
            )  # fmt: skip
            numbers = feature.num_stats
            _common(numbers.common_stats, count, self.examples)
            if count:
                low, high, total, squares, zeros = self.numbers[name]
                mean = total / count
                numbers.mean = mean
                numbers.std_dev = math.sqrt(max(squares / count - mean * mean, 0.0))
                numbers.num_zeros = zeros
                numbers.min, numbers.max = low, high
        return result


def _common(common: Any, present: int, examples: int) -> None:
    """Presence and valency: a batch row holds one value or none."""
    common.num_non_missing = present
    common.num_missing = examples - present
    if present:
        common.min_num_values = common.max_num_values = 1
        common.avg_num_values = 1.0
        common.tot_num_values = present


def _strings(stats: Any, counts: Counter, present: int) -> None:
    """Unique count, top values and rank histogram (by count, then the larger value first, as
    TFDV's top_k_uniques_stats_util orders them)."""
    stats.unique = len(counts)
    ranked = sorted(((c, v.encode()) for v, c in counts.items()), reverse=True)
    for rank, (count, value) in enumerate(ranked[:RANK_BUCKETS]):
        label = value.decode("utf-8", "replace")
        if rank < TOP_VALUES:
            stats.top_values.add(value=label, frequency=count)
        stats.rank_histogram.buckets.add(
            low_rank=rank, high_rank=rank, label=label, sample_count=count
        )
    stats.avg_length = sum(len(v.encode()) * c for v, c in counts.items()) / present


def _extension() -> Any:
    """TFDV's C++ validator without TFDV's package ``__init__`` (which imports Beam): the
    extension module loaded by path under its own name, so that a later ``import
    tensorflow_data_validation`` finds it loaded rather than initialising it twice."""
    if _EXTENSION not in sys.modules:
        spec = importlib.util.find_spec("tensorflow_data_validation")
        assert spec is not None and spec.origin is not None
        path = os.path.join(os.path.dirname(spec.origin), "pywrap", _EXTENSION.split(".")[-1])
        loader = importlib.machinery.ExtensionFileLoader(_EXTENSION, path + ".so")
        found = importlib.util.spec_from_file_location(_EXTENSION, path + ".so", loader=loader)
        assert found is not None
        module = importlib.util.module_from_spec(found)
        loader.exec_module(module)
        sys.modules[_EXTENSION] = module
    return sys.modules[_EXTENSION].validation


def validate_statistics(statistics: Any, schema: Any) -> Any:
    """``tfdv.validate_statistics(statistics, schema)`` with no environment, previous or
    serving statistics: the same C++ call with the same (empty) options."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    datasets = statistics.datasets
    if len(datasets) != 1:  # TFDV picks the default slice; a batch has no slices
        named = [d for d in datasets if d.name == "All Examples"]
        datasets = named or datasets
    raw = _extension().ValidateFeatureStatistics(
        datasets[0].SerializeToString(), schema.SerializeToString(), b"", b"", b"", b"", b"",
        b"", False,
    )  # fmt: skip
    return anomalies_pb2.Anomalies.FromString(raw)


class SchemaCheck:
    """statistics -> anomaly rows: TFDV's validator (``validate_statistics``) against
    ``schema``, its anomalies judged by ``judge`` (the anomaly gate's rules, from the caller's
    layer); ``local`` says whether ``Statistics`` has what the schema's checks read."""

    def __init__(self, schema: Any, judge: Callable[[Any], list[dict[str, str]]]) -> None:
        self.schema, self.judge = schema, judge
        self.local = covers(schema)
        # The features whose values a check reads (a domain); the others' are not counted.
        self.valued = {
            f.name for f in schema.feature if f.WhichOneof("domain_info") in _VALUED_DOMAINS
        }

    def __call__(self, statistics: Any) -> list[dict[str, str]]:
        return self.judge(validate_statistics(statistics, self.schema))
