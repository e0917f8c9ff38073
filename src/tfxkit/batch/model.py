"""The pushed SavedModel as a batch scorer: ``serving_default`` called once per batch, its
answer turned into output columns.

Why ``serving_default`` and not TFX's BulkInferrer: BulkInferrer feeds serialized tf.Examples to
a classify/regress/predict signature through TFX-BSL's RunInference, which TFX 1.16's own penguin
test marks failing for Keras models ("Exported Keras model with TF 1.16 is not working with bulk
inference"); and it would score through a different signature than REST clients use. Here the
batch is fed exactly as a REST ``:predict`` request is (the same signature, the same float64 /
string inputs, NaN and "" for missing), so batch and online answers are the same numbers.

Output columns follow the REST answer (``training.export.named_outputs``): ``classes`` (the
predicted class), one ``probability_<class>`` per class in ``class_names`` order, or
``predictions`` for regression; then ``model_version``. Pass-through columns come first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from tfxkit.batch.reading import NUMBER, TEXT, Batch
from tfxkit.errors import ServingError

SIGNATURE = "serving_default"
VERSION_COLUMN = "model_version"
PROBABILITY_PREFIX = "probability_"


@dataclass(frozen=True)
class ModelInfo:
    """What the driver needs to know of a model before any row is read."""

    inputs: dict[str, str]  # signature input (the data's column name) -> float | string
    task: str  # classification | regression
    class_names: tuple[str, ...]  # classification: the order of the probabilities

    def score_columns(self) -> list[str]:
        if self.task == "regression":
            return ["predictions"]
        return ["classes", *(PROBABILITY_PREFIX + name for name in self.class_names)]


class Scorer:
    """A loaded version's ``serving_default``; load once per process (a Beam DoFn's setup):
    ``shared`` hands the driver's instance to an in-process DirectRunner's DoFn."""

    _loaded: dict[str, Scorer] = {}

    @classmethod
    def shared(cls, model_dir: str) -> Scorer:
        if model_dir not in cls._loaded:
            cls._loaded[model_dir] = cls(model_dir)
        return cls._loaded[model_dir]

    @classmethod
    def release(cls, model_dir: str) -> None:
        cls._loaded.pop(model_dir, None)

    def __init__(self, model_dir: str) -> None:
        import tensorflow as tf

        from tfxkit.serving import inference
        from tfxkit.serving.custom_ops import register_for
        from tfxkit.serving.models import LoadedVersion, _read_signature_defs

        self.model_dir = model_dir
        loaded = LoadedVersion(0, model_dir, state="AVAILABLE")
        try:
            loaded.signature_defs = _read_signature_defs(model_dir)
            register_for(model_dir)  # tensorflow-text's ops, for a text model
            loaded.saved_model = tf.saved_model.load(model_dir)
        except Exception as exc:  # noqa: BLE001 - a version that does not load is named
            raise ServingError(f"the model at {model_dir} does not load: {exc}") from None
        if SIGNATURE not in loaded.saved_model.signatures:
            raise ServingError(f"the model at {model_dir} has no '{SIGNATURE}' signature")
        self.signature = inference.signature(loaded, SIGNATURE)
        self.inputs = {
            name: TEXT if spec.dtype == tf.string else NUMBER
            for name, spec in self.signature.inputs.items()
        }
        self._dtypes = {name: spec.dtype for name, spec in self.signature.inputs.items()}

    def __call__(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One call of the signature on a batch (arrays keyed by signature input)."""
        import tensorflow as tf

        tensors = {
            self.signature.arguments[name]: tf.constant(inputs[name], dtype)
            for name, dtype in self._dtypes.items()
        }
        return {k: v.numpy() for k, v in self.signature.function(**tensors).items()}

    def info(self) -> ModelInfo:
        """Inputs, task and class names, from one call on a row of missing values."""
        row = {n: np.array([math.nan if k == NUMBER else ""], dtype=_numpy(k))
               for n, k in self.inputs.items()}  # fmt: skip
        outputs = self(row)
        if "predictions" in outputs:
            return ModelInfo(dict(self.inputs), "regression", ())
        if "class_names" not in outputs or "probabilities" not in outputs:
            raise ServingError(
                f"the model at {self.model_dir} answers {', '.join(sorted(outputs))}: it has no "
                "class_names output (exported before tfxkit named each class's probability); "
                "train and push it again to score batches with it"
            )
        names = tuple(n.decode("utf-8", "replace") for n in outputs["class_names"][0])
        return ModelInfo(dict(self.inputs), "classification", names)


def _numpy(kind: str) -> Any:
    return object if kind == TEXT else np.float64


def output_schema(info: ModelInfo, passed: dict[str, pa.DataType]) -> pa.Schema:
    """The output's columns: pass-through (their input types), the scores, the version."""
    fields = [pa.field(name, kind) for name, kind in passed.items()]
    if info.task == "regression":
        fields.append(pa.field("predictions", pa.float32()))
    else:
        fields.append(pa.field("classes", pa.string()))
        fields += [pa.field(c, pa.float32()) for c in info.score_columns()[1:]]
    fields.append(pa.field(VERSION_COLUMN, pa.int64()))
    return pa.schema(fields)


def output_table(
    batch: Batch, outputs: dict[str, np.ndarray], info: ModelInfo, schema: pa.Schema, version: int
) -> pa.Table:
    """One batch's output rows, in input order, typed by ``schema``."""
    rows = len(batch.lines)
    columns: list[pa.Array] = []
    for name in schema.names[: len(schema) - len(info.score_columns()) - 1]:
        columns.append(pa.array(batch.passed[name], type=schema.field(name).type))
    if info.task == "regression":
        columns.append(pa.array(np.reshape(outputs["predictions"], [-1]).astype(np.float32)))
    else:
        classes = pa.array(outputs["classes"].tolist(), type=pa.binary()).cast(pa.string())
        columns.append(classes)
        probabilities = np.asarray(outputs["probabilities"], dtype=np.float32).reshape(rows, -1)
        columns += [pa.array(probabilities[:, j]) for j in range(len(info.class_names))]
    columns.append(pa.array(np.full(rows, version, dtype=np.int64)))
    return pa.Table.from_arrays(columns, schema=schema)
