"""``transform: text`` (issue 23): tensorflow-text tokenization and TF Transform's vocabulary
in the Transform graph; a model built on it loads in a fresh process once its ops are
registered (``tfxkit.serving.custom_ops``) and answers raw strings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tfxkit.config.pipeline_config import validate_config

tf = pytest.importorskip("tensorflow")


def _tokens(values: list[str], **options) -> list[list[str]]:
    from tfxkit.transform.text import tokenize

    return [[t.decode() for t in row] for row in tokenize(tf.constant(values), **options).numpy()]


def test_tokens_are_case_folded_and_split_on_whitespace() -> None:
    assert _tokens(["Great  TASTE,\tgreat\nprice", "Ünïcode ＦＵＬＬ"]) == [
        ["great", "taste,", "great", "price"],
        ["ünïcode", "full"],  # NFKC case folding: full-width letters become ASCII
    ]
    assert _tokens(["Great Taste"], lowercase=False) == [["Great", "Taste"]]


def test_unicode_script_tokenizer_splits_punctuation_off() -> None:
    assert _tokens(["great!! not bad."], tokenizer="unicode_script") == [
        ["great", "!!", "not", "bad", "."]
    ]


def test_a_value_without_tokens_is_one_empty_token() -> None:
    from tfxkit.transform.text import EMPTY_TOKEN

    assert _tokens(["", "  \t ", "ok"]) == [[EMPTY_TOKEN], [EMPTY_TOKEN], ["ok"]]


def test_ids_are_shifted_and_padded_or_cut_to_max_tokens() -> None:
    from tfxkit.transform.text import pad_ids

    ids = tf.ragged.constant([[4, 0, 2], [1], [3, 3, 3, 3, 3]], dtype=tf.int64).to_sparse()
    np.testing.assert_array_equal(
        pad_ids(ids, 4).numpy(), [[5, 1, 3, 0], [2, 0, 0, 0], [4, 4, 4, 4]]
    )


def test_text_options_are_checked_and_only_non_defaults_reach_transform() -> None:
    from tfxkit.config.features import feature_spec_config

    def spec(**options):
        config = validate_config(
            {
                "name": "t",
                "data": {"path": "d"},
                "features": [{"name": "review", "type": "string", "transform": "text", **options}],
                "label": {"name": "y"},
                "evaluation": {"bless": "always"},
            }
        )
        return feature_spec_config(config)["features"][0]

    assert "tokenizer" not in spec(tokenizer="whitespace") and "lowercase" not in spec()
    assert spec(tokenizer="unicode_script", lowercase=False)["tokenizer"] == "unicode_script"
    assert spec(lowercase=False)["lowercase"] is False
    with pytest.raises(Exception, match="tokenizer"):
        spec(tokenizer="bert")


REVIEWS = [
    ("Great taste, great price", "great"),
    ("great GREAT great coffee", "great"),
    ("stale and bland coffee", "other"),
    ("bland", "other"),
    ("", "other"),  # missing: imputed, one token
    ("great value  ", "great"),
    ("zzz unseenword coffee great taste more words here", "great"),
]


def _analyze(tmp_path: Path, spec: dict) -> tuple[Path, list[dict]]:
    """TF Transform's analyze-and-transform of REVIEWS with tfxkit's preprocessing_fn."""
    import apache_beam as beam
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.tf_metadata import dataset_metadata, metadata_io, schema_utils

    from tfxkit.transform.preprocessing import preprocessing_fn

    raw_spec = {"review": tf.io.VarLenFeature(tf.string), "y": tf.io.VarLenFeature(tf.string)}
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(raw_spec))
    data = [{"review": [r] if r else [], "y": [y]} for r, y in REVIEWS]
    out = tmp_path / "transform"
    with beam.Pipeline() as pipeline, tft_beam.Context(temp_dir=str(tmp_path / "tmp")):
        raw = pipeline | beam.Create(data)
        (transformed, _), transform_fn = (raw, metadata) | tft_beam.AnalyzeAndTransformDataset(
            lambda inputs: preprocessing_fn(inputs, spec)
        )
        _ = transform_fn | tft_beam.WriteTransformFn(str(out))
        _ = (
            transformed
            | beam.Map(lambda row: json.dumps({k: np.asarray(v).tolist() for k, v in row.items()}))
            | beam.io.WriteToText(str(tmp_path / "transformed"), shard_name_template="")
        )
    metadata_io.write_metadata(metadata, str(out / "metadata"))  # the raw spec, as TFX does
    return out, [json.loads(line) for line in (tmp_path / "transformed").open()]


_LOAD_IN_A_FRESH_PROCESS = """
import json, sys
import tensorflow as tf
from tfxkit.serving.custom_ops import register_for
model_dir = sys.argv[1]
try:
    tf.saved_model.load(model_dir)
    before = "loaded"
except Exception as exc:
    before = type(exc).__name__ + ": " + str(exc)[:200]
missing = register_for(model_dir)
serve = tf.saved_model.load(model_dir).signatures["serving_default"]
out = serve(review=tf.constant(["great coffee", "", "Ünseen wörds!"]))
print(json.dumps({"before": before, "missing": missing,
                  "probabilities": out["probabilities"].numpy().tolist(),
                  "class_names": out["class_names"].numpy().astype(str).tolist()}))
"""


def test_vocabulary_oov_and_max_tokens_in_tf_transform_and_a_served_model(
    tmp_path: Path,
) -> None:
    """The vocabulary is TF Transform's (top_k most frequent tokens, OOV buckets after them),
    ids are cut at max_tokens; each text model trains on them, and the exported model loads in
    a process that never imported tensorflow-text once ``register_for`` has run."""
    import tensorflow_transform as tft

    from tfxkit.config.features import feature_spec_config, vocab_file
    from tfxkit.training.export import save_serving_model
    from tfxkit.training.model import build_model

    feature = {"name": "review", "type": "string", "transform": "text"}
    options = {"top_k": 3, "oov_buckets": 2, "max_tokens": 4}
    config = validate_config(
        {
            "name": "t",
            "data": {"path": "d"},
            "features": [{**feature, **options}],
            "label": {"name": "y", "task": "binary", "positive": "great"},
            "evaluation": {"bless": "always"},
        }
    )
    spec = feature_spec_config(config)
    out, rows = _analyze(tmp_path, spec)
    output = tft.TFTransformOutput(str(out))
    vocabulary = output.vocabulary_by_name(vocab_file("review"))
    # Counted over the first max_tokens tokens ("taste" is cut from the last review, and
    # "taste," with its comma is another token): great 7, coffee 3, bland 2.
    assert [v.decode() for v in vocabulary] == ["great", "coffee", "bland"]
    ids = {tuple(r["review_xf"]) for r in rows}
    # great=1 coffee=2 bland=3 (ids + 1); OOV tokens 4..5; padding 0; cut at 4 tokens.
    assert (1, 1, 1, 2) in ids  # "great GREAT great coffee"
    assert (3, 0, 0, 0) in ids  # "bland", padded
    assert all(len(row) == 4 for row in ids)
    assert all(0 <= i <= 3 + 2 for row in ids for i in row)
    # "zzz unseenword coffee great | taste more words here": OOV, OOV, coffee, great; cut.
    assert any(min(row[:2]) > 3 and row[2:] == (2, 1) for row in ids)

    for kind in ("text_pooling", "text_cnn", "text_transformer"):
        spec["model"] = {"type": kind, "hidden_units": [4], "embedding_dim": 4}
        spec["model"]["learning_rate"] = 0.01
        if kind != "text_pooling":
            spec["model"]["text"] = {"filters": 3, "kernel_size": 2, "heads": 1}
        model = build_model(spec, output)
        assert model.get_layer("review_embedding").input_dim == 3 + 2 + 1  # + padding
        model_dir = tmp_path / kind
        save_serving_model(model, output, spec, str(model_dir))

    result = subprocess.run(
        [sys.executable, "-c", _LOAD_IN_A_FRESH_PROCESS, str(tmp_path / "text_transformer")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert "not registered" in answer["before"]  # the ops come from tensorflow-text only
    assert "CaseFoldUTF8" in answer["missing"]
    assert answer["class_names"][0] == ["other", "great"]
    assert np.allclose(np.sum(answer["probabilities"], axis=1), 1.0, atol=1e-5)


def test_beam_workers_import_tensorflow_text_only_for_text_pipelines(tmp_path: Path) -> None:
    """multi_processing and Dataflow workers load the Transform graph and the model in
    processes of their own: Beam imports tensorflow-text there at start-up."""
    from tfxkit.pipeline.dsl import standard_pipeline

    def args(feature: dict) -> list[str]:
        config = validate_config(
            {
                "name": "t",
                "workspace": str(tmp_path),
                "data": {"path": str(tmp_path)},
                "features": [feature],
                "label": {"name": "y"},
                "evaluation": {"bless": "always"},
            }
        )
        return standard_pipeline(config).build(beam_pipeline_args=["--a"]).beam_pipeline_args

    text = {"name": "review", "type": "string", "transform": "text"}
    assert args(text) == ["--a", "--beam_plugin=tensorflow_text"]
    assert args({"name": "x", "type": "float", "transform": "zscore"}) == ["--a"]
