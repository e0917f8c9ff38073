"""A model exported twice has one identity; a changed weight or baked-in constant another; the
pusher pushes an identical re-export as nothing (issue 31: byte-identical weights and assets
were pushed as version 2 because TF's generated function names differ between exports)."""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from tfxkit.components.model_pusher.executor import content_digest, push_model
from tfxkit.components.model_pusher.identity import identity_digest


def _export(path: Path, weight: float = 2.0, offset: float = 1.0) -> str:
    class Model(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(weight)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def serve(self, x):
            return {"y": x * self.w + tf.constant(offset)}

    model = Model()
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return str(path)


def test_a_reexport_is_the_same_model_a_changed_weight_or_constant_is_not(tmp_path: Path) -> None:
    first, again = _export(tmp_path / "a"), _export(tmp_path / "b")
    assert content_digest(first) != content_digest(again), "TF names functions anew"
    assert identity_digest(first) == identity_digest(again)
    assert identity_digest(_export(tmp_path / "w", weight=3.0)) != identity_digest(first)
    assert identity_digest(_export(tmp_path / "c", offset=1.5)) != identity_digest(first)


def test_the_pusher_pushes_a_reexport_as_nothing(tmp_path: Path) -> None:
    base = tmp_path / "serving"
    first = push_model(_export(tmp_path / "a"), str(base))
    again = push_model(_export(tmp_path / "b"), str(base))
    assert (first.version, first.already_pushed) == (1, False)
    assert (again.version, again.already_pushed) == (1, True)
    assert sorted(p.name for p in base.iterdir() if p.name.isdigit()) == ["1"]
    changed = push_model(_export(tmp_path / "w", weight=3.0), str(base))
    assert (changed.version, changed.already_pushed) == (2, False)
