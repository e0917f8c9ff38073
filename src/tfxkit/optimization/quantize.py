"""Post-training quantization to TFLite, a TFLite predictor, and quantization-aware training.

Inputs and outputs stay float32 in every mode, int8 included: tfxkit's models take transformed
float features (z-scores, bucket one-hots) and return probabilities or predictions, and callers
(evaluation, serving adapters, ``measure``) feed and read them unchanged. Full-integer int8 then
quantizes every op inside the graph and adds one quantize op at the input and one dequantize op
at the output, which costs next to nothing; int8 I/O would force every caller to apply the
per-tensor scale and zero point itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import tensorflow as tf
import tf_keras as keras
from tensorflow.lite.python.convert_phase import ConverterError

from tfxkit.errors import ConfigError
from tfxkit.training.autograph import skip_tf_keras_conversion

skip_tf_keras_conversion()

Mode = Literal["float32", "dynamic", "float16", "int8"]
MODES: tuple[str, ...] = ("float32", "dynamic", "float16", "int8")
# One batch of model inputs: positional (model input order) or keyed by input name.
Inputs = Mapping[str, np.ndarray] | Sequence[np.ndarray] | np.ndarray
RepresentativeExamples = Callable[[], Iterator[Inputs]]


def to_tflite(
    keras_model_or_saved_model_dir: keras.Model | str,
    mode: Mode,
    representative_examples: RepresentativeExamples | None = None,
    *,
    signature_key: str = "serving_default",
    int8_float_fallback: bool = False,
    select_tf_ops: bool = False,
) -> bytes:
    """Convert a Keras model or a SavedModel signature to a TFLite flatbuffer.

    ``mode``: ``float32`` (no quantization, the baseline), ``dynamic`` (int8 weights, float
    activations; TFLite leaves tensors under 1024 elements float), ``float16`` (float16 weights,
    half the size, float compute on CPU) or ``int8`` (weights and activations int8, calibrated on
    ``representative_examples``: 100-500 rows of transformed training features, one row or small
    batch per yield, positional or keyed by input name).

    Convert the model on transformed features, not a tfxkit export's ``serving_examples``: that
    signature parses tf.Example strings and runs the Transform graph, ops TFLite builtins lack.
    ``select_tf_ops`` lets such ops (and ``CategoryEncoding``'s DenseBincount, which tfxkit's
    one-hot categorical inputs use) run as TensorFlow kernels, which the runtime must link
    (``tf.lite.Interpreter`` in the tensorflow wheel does); not with int8.
    ``int8_float_fallback`` keeps ops without an int8 kernel in float instead of failing.
    """
    if mode not in MODES:
        raise ConfigError(f"quantization mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "int8" and representative_examples is None:
        raise ConfigError(
            "int8 quantization needs representative_examples: a callable yielding batches of "
            "transformed training features, to calibrate the activation ranges"
        )
    if mode == "int8" and select_tf_ops:
        raise ConfigError(
            "int8 quantization cannot keep TensorFlow ops (select_tf_ops): TF 2.16's calibrator "
            "crashes the process on them; use dynamic or float16 for such models"
        )
    if mode == "int8":
        # The int8 calibrator segfaults (no exception) on ops without a TFLite builtin, such as
        # CategoryEncoding's DenseBincount; a plain conversion reports them as an error first.
        _convert(_converter(keras_model_or_saved_model_dir, signature_key), "int8")
    converter = _converter(keras_model_or_saved_model_dir, signature_key)
    if select_tf_ops:
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS,
            tf.lite.OpsSet.SELECT_TF_OPS,
        ]
    if mode != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if mode == "int8":
        converter.representative_dataset = _float32_batches(representative_examples)
        ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if int8_float_fallback:
            ops.append(tf.lite.OpsSet.TFLITE_BUILTINS)
        converter.target_spec.supported_ops = ops
        # inference_input_type / inference_output_type stay tf.float32: see the module docstring.
    return _convert(converter, mode)


def _converter(model_or_dir: keras.Model | str, signature_key: str) -> tf.lite.TFLiteConverter:
    if isinstance(model_or_dir, keras.Model):
        return tf.lite.TFLiteConverter.from_keras_model(model_or_dir)
    return tf.lite.TFLiteConverter.from_saved_model(
        str(model_or_dir), signature_keys=[signature_key]
    )


def _convert(converter: tf.lite.TFLiteConverter, mode: str) -> bytes:
    """Run the converter; ops TFLite lacks become a ConfigError naming them and the way out."""
    try:
        return bytes(converter.convert())
    except ConverterError as exc:
        ops = sorted(
            set(re.findall(r"'(tf\.\w+)' op is neither a custom op nor a flex op", str(exc)))
        )
        if not ops:
            raise
        way_out = (
            "int8 needs every op as a TFLite builtin: use dynamic or float16 with "
            "select_tf_ops=True, or move those ops (e.g. one-hot encoding) out of the model"
            if mode == "int8"
            else "pass select_tf_ops=True to keep them as TensorFlow ops"
        )
        raise ConfigError(f"TFLite has no builtin for {', '.join(ops)}; {way_out}") from exc


def _float32_batches(examples: RepresentativeExamples) -> Callable[[], Iterator[Any]]:
    """The calibration generator the converter wants: float inputs as float32, shape kept."""

    def as_float32(value: Any) -> Any:
        array = np.asarray(value)
        return array.astype(np.float32) if array.dtype.kind == "f" else array

    def batches() -> Iterator[Any]:
        for batch in examples():
            if isinstance(batch, Mapping):
                yield {name: as_float32(value) for name, value in batch.items()}
            elif isinstance(batch, np.ndarray):
                yield [as_float32(batch)]
            else:
                yield [as_float32(value) for value in batch]

    return batches


class TFLitePredictor:
    """A loaded TFLite model, called like a Keras model: batch of inputs -> output array.

    Loads the interpreter once (so latency measurements time inference, not loading) and runs
    the model's signature, which resizes the batch dimension to each call's rows. Inputs match
    by name (the Keras input names) or, given positionally, by the model's input order.
    """

    def __init__(self, tflite_bytes: bytes, *, num_threads: int | None = None) -> None:
        self.interpreter = tf.lite.Interpreter(model_content=tflite_bytes, num_threads=num_threads)
        signatures = self.interpreter.get_signature_list()
        if not signatures:
            raise ConfigError("the TFLite model has no signature; convert it with to_tflite")
        self.signature_key = next(iter(signatures))
        self.runner = self.interpreter.get_signature_runner(self.signature_key)
        details = self.runner.get_input_details()
        by_index = {detail["index"]: name for name, detail in details.items()}
        # Positional order is the model's input order, which the tensor indices keep.
        self.input_names = [by_index[d["index"]] for d in self.interpreter.get_input_details()]
        self.input_dtypes = {name: detail["dtype"] for name, detail in details.items()}
        self.output_names = sorted(
            self.runner.get_output_details(),
            key=lambda name: self.runner.get_output_details()[name]["index"],
        )

    def __call__(self, inputs: Inputs) -> np.ndarray:
        """The first output (tfxkit models have one: probabilities or predictions)."""
        return self.predict_all(inputs)[self.output_names[0]]

    def predict_all(self, inputs: Inputs) -> dict[str, np.ndarray]:
        """Every output, keyed by its signature name."""
        feed = self._by_name(inputs)
        feed = {n: np.asarray(v).astype(self.input_dtypes[n], copy=False) for n, v in feed.items()}
        return {name: np.asarray(value) for name, value in self.runner(**feed).items()}

    def _by_name(self, inputs: Inputs) -> dict[str, np.ndarray]:
        if isinstance(inputs, Mapping):
            missing = sorted(set(self.input_names) - set(inputs))
            if missing:
                raise ConfigError(
                    f"TFLite model inputs {missing} not given (it takes {self.input_names})"
                )
            return {name: inputs[name] for name in self.input_names}
        values = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
        if len(values) != len(self.input_names):
            raise ConfigError(
                f"TFLite model takes {len(self.input_names)} inputs {self.input_names}, "
                f"got {len(values)}"
            )
        return dict(zip(self.input_names, values, strict=True))


def tflite_predict(tflite_bytes: bytes, inputs: Inputs) -> np.ndarray:
    """One-off prediction on a batch; for repeated calls keep a ``TFLitePredictor``."""
    return TFLitePredictor(tflite_bytes)(inputs)


def quantization_aware(
    model: keras.Model,
    *,
    dense_only: bool = False,
    custom_objects: Mapping[str, Any] | None = None,
) -> keras.Model:
    """Wrap a functional/Sequential model for quantization-aware training (tfmot).

    Fine-tune the result with ``compile``/``fit`` (it needs recompiling), then convert it with
    ``to_tflite``: the fake-quant ops carry the int8 ranges learnt in training. Layers tfmot
    has no quantize config for raise with ``dense_only=False``; ``dense_only=True`` annotates
    only the Dense layers (tfxkit's models also hold input encodings and concatenations, which
    carry no weights to quantize), with ``custom_objects`` naming any custom layer.
    """
    import tensorflow_model_optimization as tfmot

    quantization = tfmot.quantization.keras
    if not dense_only:
        return quantization.quantize_model(model)

    def annotate(layer: keras.layers.Layer) -> keras.layers.Layer:
        copy = layer.__class__.from_config(layer.get_config())
        if isinstance(layer, keras.layers.Dense):
            return quantization.quantize_annotate_layer(copy)
        return copy

    with keras.utils.custom_object_scope(dict(custom_objects or {})):
        annotated = keras.models.clone_model(model, clone_function=annotate)
        annotated.set_weights(model.get_weights())
        with quantization.quantize_scope(dict(custom_objects or {})):
            return quantization.quantize_apply(annotated)
