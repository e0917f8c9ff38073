"""Derived labels: the safe expression language, compared with pandas' own computation."""

from __future__ import annotations

import math
import random

import pandas as pd
import pytest

from tfxkit.config import label_expr
from tfxkit.errors import ConfigError

EXPR = "arr_delay > 15 and not (carrier == 'UA' or dep_delay * 2 <= -10)"


def _frame() -> pd.DataFrame:
    rng = random.Random(3)
    rows = []
    for _ in range(300):
        rows.append(
            {
                "arr_delay": None if rng.random() < 0.1 else rng.randint(-30, 90),
                "dep_delay": float(rng.randint(-20, 60)),
                "carrier": rng.choice(["UA", "AA", "DL"]),
            }
        )
    return pd.DataFrame(rows)


def test_python_evaluation_matches_pandas() -> None:
    frame = _frame()
    expected = (frame.arr_delay > 15) & ~((frame.carrier == "UA") | (frame.dep_delay * 2 <= -10))
    expression = label_expr.parse(EXPR)
    assert expression.columns == ["arr_delay", "carrier", "dep_delay"]
    got = []
    for row in frame.to_dict("records"):
        row = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        got.append(bool(label_expr.evaluate(expression, label_expr.python_ops(row))))
    assert got == expected.tolist()


def test_tensorflow_evaluation_matches_pandas() -> None:
    import tensorflow as tf

    from tfxkit.transform.preprocessing import _tf_ops

    frame = _frame()
    present = frame.arr_delay.notna()
    inputs = {
        "arr_delay": tf.sparse.SparseTensor(
            indices=[[i, 0] for i in range(len(frame)) if present[i]],
            values=tf.constant(frame.arr_delay[present].astype("int64").tolist(), tf.int64),
            dense_shape=[len(frame), 1],
        ),
        "dep_delay": tf.constant(frame.dep_delay.tolist(), tf.float32),
        "carrier": tf.constant(frame.carrier.tolist()),
    }
    expected = (frame.arr_delay > 15) & ~((frame.carrier == "UA") | (frame.dep_delay * 2 <= -10))
    got = label_expr.evaluate(label_expr.parse(EXPR), _tf_ops(inputs, EXPR))
    assert got.numpy().tolist() == expected.tolist()


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('x')", "a.b > 1", "x[0] > 1", "lambda: 1", "f(x)", "x > None", "x >"],
)
def test_anything_but_the_allowed_constructs_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="label.derive"):
        label_expr.parse(text)


@pytest.mark.parametrize("text", ["bill_length_mm * 2", "fare", "-tip", "a + b"])
def test_a_value_is_not_a_derived_label(text: str) -> None:
    """Issue 22: a non-boolean derive trained a "binary" model with accuracy 0."""
    with pytest.raises(ConfigError, match="is a value, not a yes/no condition"):
        label_expr.parse(text)


@pytest.mark.parametrize("text", ["a > 1", "a > 1 and not b == 'x'", "not (a < b or c != 2)"])
def test_conditions_are_derived_labels(text: str) -> None:
    assert label_expr.parse(text).text == text


@pytest.mark.parametrize("name", ["unit-price", "1st visit", "a.b", "größe", "class"])
def test_a_column_that_is_not_a_plain_name_is_written_in_backticks(name: str) -> None:
    """A CSV column such as ``unit-price`` is ``unit - price`` to Python: backticks name it
    (issue 22 #8), in the columns read and in the evaluation, as pandas' ``query`` does."""
    expression = label_expr.parse(f"`{name}` > 3 and `{name}` < 10 or other == 'x'")
    assert expression.columns == sorted([name, "other"])
    for value, other, expected in [
        (5, "y", True),
        (11, "y", False),
        (11, "x", True),
        (None, "y", False),
    ]:
        row = {name: value, "other": other}
        assert bool(label_expr.evaluate(expression, label_expr.python_ops(row))) is expected


def test_a_refused_construct_names_the_backticked_column() -> None:
    with pytest.raises(ConfigError, match="`unit-price`"):
        label_expr.parse("`unit-price`.real > 3")
