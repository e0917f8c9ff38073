"""Ops a SavedModel needs beyond TensorFlow's own: registered before the model is loaded.

Why: a text model's Transform graph tokenizes with tensorflow-text (``tfxkit.transform.text``),
whose ops (``CaseFoldUTF8``, ``TFText>WhitespaceTokenizeWithOffsetsV2``, ...) exist in a
process only once ``tensorflow_text`` is imported. Loading such a model without it fails with
"Op type not registered". Every loader of a trained model (``tfxkit serve``, batch scoring, the
Evaluator, the infra check, the optimizers) calls ``register_for`` first.

Cheaply: the op names of the model's graph and functions are read from ``saved_model.pb`` (a
few milliseconds) and tensorflow-text is imported only when one of them is not registered, so
a table model's server never loads it.
"""

from __future__ import annotations

import os
from typing import Any

SAVED_MODEL_FILE = "saved_model.pb"
PACKAGE = "tensorflow-text"


def op_names(proto: Any) -> set[str]:
    """Every op type of a ``SavedModel`` proto: its graphs' nodes and their functions' (a node
    calling a function of the library by name is not an op)."""
    names: set[str] = set()
    for meta_graph in proto.meta_graphs:
        graph = meta_graph.graph_def
        names.update(node.op for node in graph.node)
        for function in graph.library.function:
            names.update(node.op for node in function.node_def)
        names -= {function.signature.name for function in graph.library.function}
    return names


def unregistered(names: set[str]) -> list[str]:
    """The op types this process has no definition of, sorted."""
    from tensorflow.python.framework import op_def_registry

    return sorted(name for name in names if op_def_registry.get(name) is None)


def read_proto(model_dir: str) -> Any:
    """The ``SavedModel`` proto of ``model_dir`` (local or remote, through tf.io.gfile)."""
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    with tf.io.gfile.GFile(os.path.join(model_dir, SAVED_MODEL_FILE), "rb") as handle:
        proto.ParseFromString(handle.read())
    return proto


def register_for(model_dir: str, proto: Any = None) -> list[str]:
    """Import tensorflow-text when the model at ``model_dir`` uses an op TensorFlow alone does
    not register; returns the ops that were missing (empty: nothing to do). A missing
    ``saved_model.pb`` is left to the loader to report."""
    try:
        proto = proto if proto is not None else read_proto(model_dir)
    except (OSError, ValueError):
        return []
    missing = unregistered(op_names(proto))
    if not missing:
        return []
    try:
        import tensorflow_text  # noqa: F401  registers its ops in this process
    except ImportError as exc:
        raise RuntimeError(
            f"the model at {model_dir} uses ops TensorFlow does not have "
            f"({', '.join(missing[:5])}); they come from {PACKAGE}, which is not installed "
            f"here ({exc}): install tfxkit's dependencies (pip install {PACKAGE})"
        ) from None
    return missing
