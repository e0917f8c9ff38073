"""Text encoders: a ``transform: text`` feature's ids -> one vector the hidden layers take.

Why here and not in ``build_model``: the model body (hidden layers, the task's head, tabular
features beside the text) is the same for every model; only how a sequence of token ids
becomes a vector differs by ``model.type``:

* ``text_pooling`` (and ``dnn``/``wide_and_deep``, as before): learned embeddings averaged over
  the tokens (padding masked): a bag of words that learns which words matter. Fast, and the
  baseline the others must beat.
* ``text_cnn``: embeddings, one 1D convolution (``model.text.filters`` windows of
  ``kernel_size`` tokens), then the strongest response of each filter over the text: sees short
  phrases ("not good") that a bag of words cannot.
* ``text_transformer``: embeddings plus learned position embeddings, ``blocks`` encoder blocks
  (Keras ``MultiHeadAttention``, padding masked, a feed-forward layer, residuals and layer
  normalization), then the average over the tokens: word order and context, still small
  enough to train on a CPU.

Inputs are ``[batch, max_tokens]`` ids from ``tfxkit.transform.text`` (vocabulary id + 1, 0 =
padding; every row has at least one token). Importing this module imports tensorflow-text, so
the Trainer can load the Transform graph it exports with the model.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_text  # noqa: F401  registers the tokenizer ops of the Transform graph
import tf_keras as keras

TEXT_POOLING, TEXT_CNN, TEXT_TRANSFORMER = "text_pooling", "text_cnn", "text_transformer"
TEXT_MODELS = (TEXT_POOLING, TEXT_CNN, TEXT_TRANSFORMER)
TABULAR_EMBEDDING_DIM = 8  # a text feature in a dnn / wide_and_deep model, as before
TEXT_EMBEDDING_DIM = 32  # the text models' default
DEFAULTS = {"filters": 64, "kernel_size": 5, "heads": 2, "blocks": 1, "ff_dim": None}


@keras.saving.register_keras_serializable(package="tfxkit")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned vector per position (0..length-1) to a sequence; keeps its mask."""

    def __init__(self, length: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.length = length
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        self.positions = self.add_weight(
            name="positions",
            shape=(self.length, int(input_shape[-1])),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
        )
        super().build(input_shape)

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        return inputs + self.positions[: tf.shape(inputs)[1]]

    def compute_mask(self, inputs: tf.Tensor, mask: Any = None) -> Any:
        return mask

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "length": self.length}


def settings(model_cfg: dict[str, Any]) -> dict[str, Any]:
    """``model.text`` with its defaults filled in."""
    return {**DEFAULTS, **{k: v for k, v in (model_cfg.get("text") or {}).items() if v}}


def embedding_dim(model_cfg: dict[str, Any]) -> int:
    default = TEXT_EMBEDDING_DIM if model_cfg.get("type") in TEXT_MODELS else TABULAR_EMBEDDING_DIM
    return model_cfg.get("embedding_dim") or default


def encode_text(ids: Any, vocabulary: int, model_cfg: dict[str, Any], name: str) -> Any:
    """[batch, max_tokens] ids (0..vocabulary-1, 0 = padding) -> [batch, width] by
    ``model.type`` (``dnn`` and ``wide_and_deep``: ``text_pooling``)."""
    kind, dim, options = model_cfg.get("type"), embedding_dim(model_cfg), settings(model_cfg)
    if kind == TEXT_CNN:  # Conv1D takes no mask: padding has a learned vector of its own
        x = keras.layers.Embedding(vocabulary, dim, name=f"{name}_embedding")(ids)
        x = keras.layers.Conv1D(
            options["filters"],
            options["kernel_size"],
            padding="same",
            activation="relu",
            name=f"{name}_conv",
        )(x)
        return keras.layers.GlobalMaxPooling1D(name=f"{name}_max")(x)
    x = keras.layers.Embedding(vocabulary, dim, mask_zero=True, name=f"{name}_embedding")(ids)
    if kind == TEXT_TRANSFORMER:
        x = PositionEmbedding(int(ids.shape[1]), name=f"{name}_positions")(x)
        for block in range(options["blocks"]):
            x = _encoder_block(x, dim, options, f"{name}_block{block}")
    return keras.layers.GlobalAveragePooling1D(name=f"{name}_mean")(x)


def _encoder_block(x: Any, dim: int, options: dict[str, Any], name: str) -> Any:
    """Self-attention and a feed-forward layer, each with a residual and layer norm."""
    heads = options["heads"]
    attended = keras.layers.MultiHeadAttention(
        num_heads=heads, key_dim=max(1, dim // heads), name=f"{name}_attention"
    )(x, x)
    x = keras.layers.LayerNormalization(name=f"{name}_norm1")(
        keras.layers.Add(name=f"{name}_residual1")([x, attended])
    )
    hidden = keras.layers.Dense(
        options["ff_dim"] or 2 * dim, activation="relu", name=f"{name}_ff1"
    )(x)
    hidden = keras.layers.Dense(dim, name=f"{name}_ff2")(hidden)
    return keras.layers.LayerNormalization(name=f"{name}_norm2")(
        keras.layers.Add(name=f"{name}_residual2")([x, hidden])
    )
