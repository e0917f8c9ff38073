"""Explainer executor: evaluation examples -> Transform -> the trained Keras model -> integrated
gradients (or SHAP's gradient/kernel explainer: ``shap_methods``) per raw column, overall and
per slice (``attributions``), stored as its verdict.

The examples are the raw eval split (ExampleGen's), transformed here with the run's Transform
graph, so the slice columns (fairness's sensitive features need not be model features) are
read from the same records that are attributed.

Attribution drift: with a baseline (the evaluate stage's resolver output: the previous blessed
model), this run's importance is compared with the explanation recorded for that model. An
executor has no ML Metadata handle, so that explanation is found where the Explainer wrote it:
among its own earlier outputs (the siblings of this output's folder), by the explained model's
URI stored in each verdict.
"""

from __future__ import annotations

import glob
import logging
import os
from typing import Any

import numpy as np
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils
from tfx.utils import path_utils

from tfxkit.components.explainer import attributions as A
from tfxkit.components.explainer import shap_methods
from tfxkit.components.explainer.verdict import AttributionDrift, Change, ExplanationVerdict
from tfxkit.components.verdicts import Artifacts, GateExecutor, load_settings

EXAMPLES_KEY = "examples"
TRANSFORM_GRAPH_KEY = "transform_graph"
MODEL_KEY = "model"
BASELINE_MODEL_KEY = "baseline_model"
EXPLANATION_KEY = "explanation"
SPLIT = "eval"


def read_examples(examples_uri: str, count: int, seed: int) -> list[bytes]:
    """Up to ``count`` serialized eval examples, sampled by ``seed`` (the same seed, the same
    examples)."""
    import tensorflow as tf

    files = sorted(glob.glob(os.path.join(examples_uri, f"Split-{SPLIT}", "*")))
    if not files:
        raise RuntimeError(f"{examples_uri}: no Split-{SPLIT} examples to explain")
    records = [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    order = np.random.default_rng(seed).permutation(len(records))[:count]
    return [records[i] for i in sorted(order)]


def _slice_values(serialized: list[bytes], column: str) -> list[str | None]:
    """Each example's value of ``column`` as text (None where absent)."""
    import tensorflow as tf

    values: list[str | None] = []
    for record in serialized:
        feature = tf.train.Example.FromString(record).features.feature.get(column)
        kind = feature.WhichOneof("kind") if feature is not None else None
        found = list(getattr(feature, kind).value) if kind else []
        first = found[0] if found else None
        values.append(first.decode() if isinstance(first, bytes) else _text(first))
    return values


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return f"{value:g}" if isinstance(value, float) else str(value)


def explain(
    model_dir: str, transform_uri: str, serialized: list[bytes], settings: dict[str, Any]
) -> ExplanationVerdict:
    """Attribute ``serialized`` examples with the model saved at ``model_dir``."""
    import tensorflow as tf
    import tensorflow_transform as tft
    import tf_keras as keras

    model = keras.models.load_model(model_dir)
    transform = tft.TFTransformOutput(transform_uri)
    raw = tf.io.parse_example(tf.constant(serialized), transform.raw_feature_spec())
    transformed = transform.transform_raw_features(raw)
    inputs = {}
    for name, tensor in zip(model.input_names, model.inputs, strict=True):
        value = transformed[name]
        inputs[name] = (
            tf.reshape(value, [-1, *tensor.shape[1:]]) if len(value.shape) == 1 else value
        )
    classes = np.argmax(np.asarray(model(inputs, training=False)), axis=-1)
    method = settings["method"]
    if method in shap_methods.METHODS:
        chosen = classes if settings["task"] == "multiclass" else None
        per_input, gap = shap_methods.METHODS[method](model, inputs, chosen, settings["seed"])
    else:
        target = A.model_target(settings["task"], classes)
        per_input, gap = A.integrated_gradients(model, inputs, target, settings["steps"])
    raw_of = {k: list(v) for k, v in settings["raw_of"].items()}
    by_column = A.raw_attributions(per_input, raw_of)
    wanted = settings.get("features") or list(by_column)
    by_column = {k: v for k, v in by_column.items() if k in wanted}
    per_slice, sizes = {}, {}
    for column in settings.get("slices", []):
        values = np.array(_slice_values(serialized, column), dtype=object)
        for value in sorted({v for v in values if v is not None}):
            rows = values == value
            per_slice[f"{column}={value}"] = A.importance(by_column, rows)
            sizes[f"{column}={value}"] = int(rows.sum())
    return ExplanationVerdict(
        passed=True,
        method=settings["method"],
        examples=len(serialized),
        importance=A.importance(by_column),
        per_slice=per_slice,
        slice_examples=sizes,
        completeness_gap=float(np.mean(gap)),
    )


def baseline_explanation(output_uri: str, baseline_uri: str) -> ExplanationVerdict | None:
    """The newest explanation among this output's siblings whose model is ``baseline_uri``."""
    import tensorflow as tf

    parent = os.path.dirname(output_uri.rstrip("/"))
    own = os.path.basename(output_uri.rstrip("/"))
    listed = tf.io.gfile.listdir(parent) if tf.io.gfile.isdir(parent) else []
    names = [n.rstrip("/") for n in listed]
    newest = sorted((n for n in names if n != own), key=lambda n: (len(n), n), reverse=True)
    wanted = baseline_uri.rstrip("/")
    for name in newest:
        path = os.path.join(parent, name, "verdict.json")
        if not tf.io.gfile.exists(path):
            continue
        try:
            with tf.io.gfile.GFile(path) as f:
                found = ExplanationVerdict.model_validate_json(f.read())
        except ValueError:
            continue
        if found.passed and found.model_uri.rstrip("/") == wanted:
            return found
    return None


def drift(
    verdict: ExplanationVerdict, baseline: ExplanationVerdict | None, baseline_uri: str
) -> AttributionDrift:
    """This run's importance against the baseline's: Spearman rank correlation over the common
    columns and the largest changes in share."""
    if baseline is None:
        return AttributionDrift(
            baseline_model_uri=baseline_uri,
            note="the previous blessed model has no explanation recorded",
        )
    common = set(verdict.importance) & set(baseline.importance)
    return AttributionDrift(
        baseline_model_uri=baseline_uri,
        rank_correlation=A.rank_correlation(baseline.importance, verdict.importance),
        common=len(common),
        changes=[
            Change(feature=n, before=b, after=a, share_change=d)
            for n, b, a, d in A.largest_changes(baseline.importance, verdict.importance)
        ],
    )


class Executor(GateExecutor, base_executor.BaseExecutor):
    """Explains the trained model on the eval split; records the verdict (never blocks)."""

    VERDICT_OUTPUT = EXPLANATION_KEY

    def decide(
        self, inputs: Artifacts, outputs: Artifacts, properties: dict[str, Any]
    ) -> ExplanationVerdict:
        settings = load_settings(properties)
        examples = artifact_utils.get_single_uri(inputs[EXAMPLES_KEY])
        transform_uri = artifact_utils.get_single_uri(inputs[TRANSFORM_GRAPH_KEY])
        model = artifact_utils.get_single_instance(inputs[MODEL_KEY])
        try:
            serialized = read_examples(examples, settings["examples"], settings["seed"])
            verdict = explain(
                path_utils.serving_model_path(model.uri), transform_uri, serialized, settings
            )
        except Exception as exc:  # noqa: BLE001 - an explanation is a view of the model, not a
            # gate: the run goes on, and its summary and model card say why there is none.
            logging.exception("could not explain the model")
            return ExplanationVerdict(
                passed=False,
                judged=False,
                reasons=[f"could not explain the model: {type(exc).__name__}: {exc}"[:500]],
                method=settings["method"],
                examples=0,
                importance={},
            )
        output = artifact_utils.get_single_instance(outputs[EXPLANATION_KEY])
        verdict.model_uri = model.uri
        baselines = inputs.get(BASELINE_MODEL_KEY) or []
        if baselines:
            base_uri = baselines[0].uri
            verdict.drift = drift(verdict, baseline_explanation(output.uri, base_uri), base_uri)
            if verdict.drift.rank_correlation is not None:
                output.set_float_custom_property(
                    "drift_rank_correlation", verdict.drift.rank_correlation
                )
        output.set_int_custom_property("model_id", model.id)
        for rank, name in enumerate(verdict.ranked()[:10], 1):  # queryable without the JSON
            output.set_float_custom_property(
                f"importance_{rank:02d}_{name}", verdict.importance[name]
            )
        return verdict
