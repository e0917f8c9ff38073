"""Evaluation slices by a text feature's length in tokens (``evaluation.text_length_slices``,
issue 23): the config, the Transform output the Evaluator slices on, and the EvalConfig."""

from __future__ import annotations

import pytest

from tfxkit.config.evaluation import length_bucket_names, length_slice_key
from tfxkit.config.features import feature_spec_config
from tfxkit.config.pipeline_config import validate_config
from tfxkit.errors import ConfigError


def _config(**evaluation: object) -> dict:
    return {
        "name": "reviews",
        "data": {"path": "data"},
        "features": [
            {
                "name": "review",
                "type": "string",
                "transform": "text",
                "tokenizer": "unicode_script",
            },
            {"name": "product", "type": "string", "transform": "vocabulary"},
        ],
        "label": {"name": "score", "task": "binary", "positive": "great"},
        "evaluation": {"thresholds": {"AUC": {"lower_bound": 0.6}}, **evaluation},
    }


def test_bucket_names_cover_every_length_once() -> None:
    assert length_bucket_names([16, 64]) == ["0-15", "16-63", "64+"]
    assert length_bucket_names([1, 2, 10]) == ["0", "1", "2-9", "10+"]


def test_the_text_feature_carries_its_buckets_to_the_transform() -> None:
    config = validate_config(_config(text_length_slices={"review": [16, 64]}), "test")
    features = {f["name"]: f for f in feature_spec_config(config)["features"]}
    assert features["review"]["length_buckets"] == [16, 64]
    assert "length_buckets" not in features["product"]  # its cache key stays put


@pytest.mark.parametrize(
    ("slices", "message"),
    [
        ({"product": [10]}, "'product' is not a feature with transform: text"),
        ({"reviw": [10]}, "(text features: review)"),
        ({"review": [64, 16]}, "ascending order"),
        ({"review": [16, 16]}, "each once"),
        ({"review": []}, "ascending order"),
    ],
)
def test_a_bad_length_slice_is_refused_before_the_run(slices: dict, message: str) -> None:
    with pytest.raises(ConfigError, match="text_length_slices") as error:
        validate_config(_config(text_length_slices=slices), "test")
    assert message in str(error.value)


def test_the_transform_counts_tokens_before_max_tokens_cuts_them() -> None:
    import tensorflow as tf

    from tfxkit.transform.text import length_bucket

    values = tf.constant(["", "Great!", "one two three four", " ".join(["w"] * 40)])
    feature = {"tokenizer": "unicode_script", "max_tokens": 8, "length_buckets": [2, 5]}
    # '' has no token; 'Great!' is 'great', '!'; four words; 40 words (max_tokens is 8).
    assert length_bucket(values, feature).numpy().tolist() == [b"0-1", b"2-4", b"2-4", b"5+"]
    whitespace = {"max_tokens": 8, "length_buckets": [2]}  # 'Great!' is one token
    assert length_bucket(values[:2], whitespace).numpy().tolist() == [b"0-1", b"0-1"]


def test_the_eval_config_slices_by_the_bucket() -> None:
    from tfxkit.pipeline.eval_config import build_eval_config

    config = validate_config(_config(text_length_slices={"review": [16]}), "test")
    keys = [list(spec.feature_keys) for spec in build_eval_config(config).slicing_specs]
    assert keys == [[], [length_slice_key("review")]]
    assert length_slice_key("review") == "review_length_bucket"
