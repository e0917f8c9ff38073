"""Feature naming shared by Transform, Trainer and Evaluator.

Why one module: the transformed name of a feature, the label vocabulary file and the signature
names are a contract between three TFX components that run in different processes (and, on
Kubeflow, different containers). Defining them once keeps the three in step.
"""

from __future__ import annotations

from typing import Any

# Defined beside the config (a bottom layer, so config can check key collisions early).
from tfxkit.config.evaluation import length_slices_problem
from tfxkit.config.sections import TEXT_FOLDER_KEYS, DataFormat, FeatureType, TransformKind
from tfxkit.config.sections import column_key as column_key
from tfxkit.config.training import TEXT_MODELS

TRANSFORMED_SUFFIX = "_xf"
LABEL_VOCAB_FILE = "label_vocab"
DEFAULT_BUCKETS = 10
DEFAULT_HASH_BUCKETS = 100
DEFAULT_MAX_TOKENS = 16
DEFAULT_TOKENIZER = "whitespace"  # transform: text (tfxkit.transform.text)

# SavedModel signatures exported by the trainer.
SERVING_SIGNATURE = "serving_default"  # raw feature values in, class probabilities out
EXAMPLES_SIGNATURE = "serving_examples"  # serialized tf.Example in (what TFMA feeds)
# TF Serving's Classify / Regress APIs: serialized tf.Example in; method name classify/regress.
CLASSIFY_SIGNATURE = "classification"
REGRESS_SIGNATURE = "regression"
TRANSFORM_SIGNATURE = "transform_features"  # serialized tf.Example in, transformed features out


LABEL_WEIGHT = "label_weight_xf"  # 1.0 where the label is present, 0.0 where it is missing
DERIVED_CLASSES = ("false", "true")


def transformed_name(name: str) -> str:
    return f"{name}{TRANSFORMED_SUFFIX}"


def vocab_file(name: str) -> str:
    return f"{name}_vocab"


MISSING_SUFFIX = "_missing"
STRING_MISSING_TOKEN = "__missing__"


def missing_indicator_name(name: str) -> str:
    return f"{name}{MISSING_SUFFIX}{TRANSFORMED_SUFFIX}"


def imputation(feature: Any) -> dict[str, Any]:
    """The resolved missing-value rule of a feature config: mean for numbers, a token for text."""
    missing = feature.missing
    numeric = feature.type != "string"
    impute = missing.impute or ("mean" if numeric else "constant")
    value = missing.value
    if impute == "constant" and value is None:
        value = 0 if numeric else STRING_MISSING_TOKEN
    return {"impute": impute, "value": value, "indicator": missing.indicator}


def declared_column_types(config: Any) -> dict[str, str]:
    """feature key -> the type the config declares (float, int, string), for the readers.

    Declared types win over what the values look like: a code column "01".."12" declared
    string stays a string (an int would lose the zero and then clash with the string
    imputation). The label counts only when its type is written out: its default (string)
    is not a declaration."""
    types = {column_key(f.name): str(getattr(f.type, "value", f.type)) for f in config.features}
    label = config.label
    if not label.derive and "type" in label.model_fields_set:
        types[column_key(label.name)] = str(getattr(label.type, "value", label.type))
    return types


def feature_spec_config(config: Any) -> dict[str, Any]:
    """The part of a PipelineConfig that Transform and Trainer need, as JSON-safe custom_config."""
    spec: dict[str, Any] = {
        "features": [
            {
                "name": f.name,
                "key": column_key(f.name),
                "type": f.type,
                "transform": f.transform,
                "missing": imputation(f),
                **transform_options(f),
            }
            for f in config.features
        ],
        "label": {
            "name": config.label.name,
            "key": column_key(config.label.name),
            "type": config.label.type,
            "task": config.label.resolved_task,
            "derive": config.label.derive,
            "positive": config.label.positive,
        },
    }
    for feature in spec["features"]:  # a length bucket to slice by (transform.text), issue 23
        if bounds := config.evaluation.text_length_slices.get(feature["name"]):
            feature["length_buckets"] = list(bounds)
    if config.data.format == "images":  # the image key, size and channels (transform.images)
        spec["images"] = config.data.images.model_input()
    if config.crosses:
        spec["crosses"] = [
            {
                "key": c.key,
                "features": [column_key(name) for name in c.features],
                "hash_buckets": c.hash_buckets,
            }
            for c in config.crosses
        ]
    return spec


def transform_options(feature: Any) -> dict[str, Any]:
    """Only the options the feature's transform uses (so other features' cache keys stay put)."""
    options: dict[str, Any] = {"clip": list(feature.clip)} if feature.clip else {}
    if feature.transform == "bucketize":
        options["buckets"] = feature.buckets or DEFAULT_BUCKETS
    if feature.transform in ("vocabulary", "text") and feature.top_k:
        options["top_k"] = feature.top_k
    if feature.transform in ("vocabulary", "text") and feature.oov_buckets != 1:
        options["oov_buckets"] = feature.oov_buckets
    if feature.transform == "text":
        options["max_tokens"] = feature.max_tokens or DEFAULT_MAX_TOKENS
        if feature.tokenizer not in (None, DEFAULT_TOKENIZER):  # defaults: no new cache key
            options["tokenizer"] = feature.tokenizer
        if feature.lowercase is False:
            options["lowercase"] = False
    if feature.transform == "hash":
        options["hash_buckets"] = feature.hash_buckets or DEFAULT_HASH_BUCKETS
    return options


def text_inputs_problem(config: Any) -> str | None:
    """What is wrong with a config's text inputs, or None: a text model needs a text feature;
    a folder of .txt files (``data.format: text_folder``) has one column, ``text``, and a label
    from the folder names."""
    texts = [f.name for f in config.features if f.transform == TransformKind.TEXT]
    if problem := length_slices_problem(config.evaluation, {n: column_key(n) for n in texts}):
        return problem
    if config.model.type in TEXT_MODELS and not texts:
        return (
            f"model.type: {config.model.type} encodes text, but no feature has transform: text; "
            "add one (e.g. {name: review, type: string, transform: text}) or use type: dnn"
        )
    if config.data.format != DataFormat.TEXT_FOLDER:
        return None
    text_key = TEXT_FOLDER_KEYS[0]
    if [f.name for f in config.features] != [text_key] or config.crosses:
        return (
            "data.format: text_folder: each file's text is the one feature; list features: "
            f"[{{name: {text_key}, type: string, transform: text}}] and no crosses"
        )
    label = config.label
    if label.derive or label.type != FeatureType.STRING:
        return "label: text files are labelled by their folder name (a string)"
    if column_key(label.name) in TEXT_FOLDER_KEYS:
        return f"label.name: '{label.name}' is a text folder feature; call it 'label'"
    return None
