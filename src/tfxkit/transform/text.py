"""``transform: text`` in the Transform graph: raw strings -> tokens -> vocabulary ids.

Why in the graph and with tensorflow-text: the SavedModel the Trainer exports carries the
Transform graph, so serving takes the raw sentence and splits, folds and looks it up exactly
as training did (no tokenizer to ship beside the model, no tfhub module to download).
tensorflow-text's ops are registered by importing it; this module does, and every place that
loads a model built with them does too (``tfxkit.serving.custom_ops``).

Steps, for each value (one string per row):

1. ``lowercase`` (default on): ``text.case_fold_utf8`` (NFKC case folding: "Ünï" -> "ünï",
   full-width letters -> ASCII), not ``tf.strings.lower``, which folds ASCII only.
2. ``tokenizer``: ``whitespace`` (``text.WhitespaceTokenizer``: split on Unicode whitespace,
   punctuation stays on its word) or ``unicode_script`` (``text.UnicodeScriptTokenizer``: also
   splits where the script changes, so "great!" is "great" and "!", and CJK runs are apart
   from Latin ones).
3. A value with no token (empty, or whitespace only) becomes the one token ``EMPTY_TOKEN``, so
   every row has at least one id: an average over no embedding would be 0/0 in the model.
4. The first ``max_tokens`` tokens are kept; ``tft.compute_and_apply_vocabulary`` (an analyzer:
   the ``top_k`` most frequent tokens of the training data, ``oov_buckets`` hash buckets for
   the rest) maps them to ids, shifted by one so that 0 pads every row to ``max_tokens``.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_text as text  # registers the ops the saved Transform graph uses
import tensorflow_transform as tft

from tfxkit.config import features as F
from tfxkit.config.evaluation import length_bucket_names

WHITESPACE, UNICODE_SCRIPT = "whitespace", "unicode_script"
TOKENIZERS = (WHITESPACE, UNICODE_SCRIPT)
EMPTY_TOKEN = "__empty__"
PAD_ID = 0  # ids are vocabulary ids + 1


def split(value: tf.Tensor, tokenizer: str = WHITESPACE, lowercase: bool = True) -> Any:
    """[batch] strings -> RaggedTensor [batch, (tokens)] of strings; none for an empty value."""
    if lowercase:
        value = text.case_fold_utf8(value)
    if tokenizer == WHITESPACE:
        return text.WhitespaceTokenizer().tokenize(value)
    if tokenizer == UNICODE_SCRIPT:
        return text.UnicodeScriptTokenizer().tokenize(value)
    raise ValueError(f"unknown tokenizer '{tokenizer}' (one of {', '.join(TOKENIZERS)})")


def tokenize(value: tf.Tensor, tokenizer: str = WHITESPACE, lowercase: bool = True) -> Any:
    """[batch] strings -> RaggedTensor [batch, (tokens)] of strings, at least one per row."""
    tokens = split(value, tokenizer, lowercase)
    empty = tf.equal(tokens.row_lengths(), 0)
    marker = tf.RaggedTensor.from_tensor(tf.where(empty, EMPTY_TOKEN, "")[:, tf.newaxis])
    joined = tf.concat([tokens, marker], axis=1)
    return tf.ragged.boolean_mask(joined, tf.not_equal(joined, ""))


def pad_ids(ids: Any, max_tokens: int) -> tf.Tensor:
    """Sparse [batch, n] ids -> dense [batch, max_tokens] int64 of ids + 1, 0 padding."""
    shifted = tf.sparse.SparseTensor(ids.indices, ids.values + 1, ids.dense_shape)
    dense = tf.sparse.to_dense(shifted, default_value=PAD_ID)
    padded = tf.pad(dense, [[0, 0], [0, max_tokens]])
    return tf.reshape(padded[:, :max_tokens], [-1, max_tokens])  # a static width for TFT


def text_ids(value: tf.Tensor, feature: dict[str, Any]) -> tf.Tensor:
    """One imputed text feature ([batch] strings) -> [batch, max_tokens] ids (0: padding)."""
    max_tokens = feature["max_tokens"]
    tokens = tokenize(
        value,
        tokenizer=feature.get("tokenizer", WHITESPACE),
        lowercase=feature.get("lowercase", True),
    )[:, :max_tokens]
    ids = tft.compute_and_apply_vocabulary(
        tokens.to_sparse(),
        top_k=feature.get("top_k"),
        num_oov_buckets=feature.get("oov_buckets", 1),
        vocab_filename=F.vocab_file(feature["key"]),
    )
    return pad_ids(ids, max_tokens)


def length_bucket(value: tf.Tensor, feature: dict[str, Any]) -> tf.Tensor:
    """[batch] strings -> [batch] names of their length buckets in tokens ('0-15', '16-63',
    '64+' for ``length_buckets: [16, 64]``), counted with the feature's tokenizer before
    ``max_tokens`` cuts them (an empty value: 0). Why a Transform output: the Evaluator slices
    on the transformed features too (the transform signature is its preprocessing function),
    so an evaluation slice by length needs no new column in the data; the model never reads it
    (its inputs are the configured features)."""
    tokens = split(
        value,
        tokenizer=feature.get("tokenizer", WHITESPACE),
        lowercase=feature.get("lowercase", True),
    )
    bounds = feature["length_buckets"]
    index = tf.raw_ops.Bucketize(input=tokens.row_lengths(), boundaries=[float(b) for b in bounds])
    return tf.gather(tf.constant(length_bucket_names(bounds)), index)
