"""Evaluator executor: TFX's, then a verdict that excuses slices too small to judge.

The verdict is written next to TFMA's output as ``judgement.json`` (the run summary reads it):
``{"min_slice_size", "blessed", "failures": [...], "too_small": [...]}``, where each entry names
the slice, its example count and the metrics that failed. A slice is too small when its
``example_count`` (weighted: rows with a label) is below ``min_slice_size``; the overall slice
is always judged.
"""

from __future__ import annotations

import json
import os
from typing import Any

import tensorflow_model_analysis as tfma
from tfx import types
from tfx.components.evaluator import constants
from tfx.components.evaluator import executor as tfx_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import io_utils

MIN_SLICE_SIZE_KEY = "min_slice_size"
CODE_FINGERPRINT_KEY = "code_fingerprint"
JUDGEMENT_FILE = "judgement.json"
_COUNT_METRIC = "example_count"


def _slice_id(slice_key: Any) -> bytes:
    return slice_key.SerializeToString(deterministic=True)


def _slice_name(slice_key: Any) -> str:
    parts = []
    for column in slice_key.single_slice_keys:
        kind = column.WhichOneof("kind")
        value = getattr(column, kind) if kind else ""
        parts.append(f"{column.column}={value.decode() if isinstance(value, bytes) else value}")
    return ", ".join(parts) or "overall"


def slice_example_counts(evaluation_uri: str) -> dict[bytes, float]:
    """``example_count`` per slice, keyed by the serialized slice key."""
    counts: dict[bytes, float] = {}
    for per_slice in tfma.load_metrics(evaluation_uri):
        for item in per_slice.metric_keys_and_values:
            if item.key.name == _COUNT_METRIC and not item.key.is_diff:
                value = item.value.double_value.value
                key = _slice_id(per_slice.slice_key)
                counts[key] = max(counts.get(key, 0.0), value)
    return counts


def judge(result: Any, counts: dict[bytes, float], min_slice_size: int) -> dict[str, Any]:
    """TFMA's validation result with failures on slices under ``min_slice_size`` excused."""
    failures, too_small = [], []
    for per_slice in result.metric_validations_per_slice:
        if not per_slice.failures:
            continue
        count = counts.get(_slice_id(per_slice.slice_key))
        entry = {
            "slice": _slice_name(per_slice.slice_key),
            "examples": count,
            "metrics": sorted({f.metric_key.name for f in per_slice.failures}),
        }
        small = per_slice.slice_key.single_slice_keys and (count or 0) < min_slice_size
        (too_small if small else failures).append(entry)
    blocked = (
        bool(failures)
        or result.missing_thresholds
        or bool(result.missing_slices)
        or bool(result.missing_cross_slices)
    )
    return {
        "min_slice_size": min_slice_size,
        "blessed": bool(result.validation_ok or not blocked),
        "failures": failures,
        "too_small": too_small,
    }


class Executor(tfx_executor.Executor):
    """Runs TFX's Evaluator, then re-decides the blessing with small slices excused."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        properties = dict(exec_properties)
        min_slice_size = int(properties.pop(MIN_SLICE_SIZE_KEY, 0) or 0)
        properties.pop(CODE_FINGERPRINT_KEY, None)
        super().Do(input_dict, output_dict, properties)

        blessing = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.BLESSING_KEY]
        )
        if not blessing.has_custom_property(constants.ARTIFACT_PROPERTY_BLESSED_KEY):
            return  # no thresholds: nothing was validated, nothing to judge
        evaluation_uri = artifact_utils.get_single_uri(
            output_dict[standard_component_specs.EVALUATION_KEY]
        )
        result = tfma.load_validation_result(evaluation_uri)
        judgement = judge(result, slice_example_counts(evaluation_uri), min_slice_size)
        io_utils.write_string_file(
            os.path.join(evaluation_uri, JUDGEMENT_FILE), json.dumps(judgement, indent=1)
        )
        if judgement["blessed"] and not result.validation_ok:
            _bless(blessing)
        blessing.set_string_custom_property("reason", reason(judgement, result))


def reason(judgement: dict[str, Any], result: Any) -> str:
    """One line for ML Metadata saying why the model was (not) blessed."""
    if result.missing_thresholds:
        return "not blessed: no metric threshold applies (configure evaluation.thresholds)"
    failed = "; ".join(f"{', '.join(e['metrics'])} on {e['slice']}" for e in judgement["failures"])
    small = (
        f"; {len(judgement['too_small'])} slice(s) too small to judge"
        if judgement["too_small"]
        else ""
    )
    if judgement["blessed"]:
        return f"blessed: every threshold passed{small}"
    return f"not blessed: {failed or 'a configured slice is missing'} outside the thresholds{small}"


def _bless(blessing: types.Artifact) -> None:
    """Turn TFX's NOT_BLESSED into BLESSED (file and property), as TFX's executor writes it."""
    not_blessed = os.path.join(blessing.uri, constants.NOT_BLESSED_FILE_NAME)
    if fileio.exists(not_blessed):
        fileio.remove(not_blessed)
    io_utils.write_string_file(os.path.join(blessing.uri, constants.BLESSED_FILE_NAME), "")
    blessing.set_int_custom_property(
        constants.ARTIFACT_PROPERTY_BLESSED_KEY, constants.BLESSED_VALUE
    )
