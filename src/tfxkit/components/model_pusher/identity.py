"""A SavedModel's identity: equal for two exports of the same model, whatever TF named things.

Why not the bytes: a re-run trainer that learns bit-identical weights (a touched input, a
comment edited in the trainer) exports a ``saved_model.pb`` whose generated function names
(``__inference_serve_18520`` vs ``..._5394``), resource ids and the ``fingerprint.pb`` of it
differ, so a byte digest called it a new model and the pusher wrote version 2 as a canary
(issue 31). The identity covers what decides the model's answers and nothing TF generates:

- every file except ``saved_model.pb`` and ``fingerprint.pb`` by path and bytes (the
  variables, i.e. the weights; the assets, i.e. vocabularies; Keras' metadata);
- each signature by key, method name and its inputs' and outputs' names, dtypes and shapes;
- every node of the graph and of its functions as (op, number of inputs, the tensor of a
  ``Const``): the constants Transform's analyzers bake into the serving graph (means,
  variances, bucket boundaries) and the architecture's op counts.

Two models with the same identity answer every request the same; a changed weight, asset,
signature or baked-in constant changes it. TF Serving's warm-up file
(``assets.extra/tf_serving_warmup_requests``, written by the pusher) is left out: it holds
requests, not the model, and the version it was pushed into stays the model's version.
"""

from __future__ import annotations

import hashlib
import os

from google.protobuf.message import DecodeError
from tfx.dsl.io import fileio

from tfxkit.components.infra_check.warmup import WARMUP_PATH


def is_warmup(relative: str) -> bool:
    """``relative`` (to a SavedModel directory) is TF Serving's warm-up file."""
    return relative.replace(os.sep, "/") == WARMUP_PATH


def _files(model_dir: str) -> list[str]:
    found = []
    for root, _, names in fileio.walk(model_dir):
        root = root.decode() if isinstance(root, bytes) else root
        for name in names:
            found.append(os.path.join(root, name.decode() if isinstance(name, bytes) else name))
    return sorted(found)


def _graph_parts(saved_model_bytes: bytes) -> list[bytes]:
    """Signatures and (op, inputs, constant) of every node, sorted: names left out."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved_model = saved_model_pb2.SavedModel.FromString(saved_model_bytes)
    parts: list[bytes] = []
    for meta_graph in saved_model.meta_graphs:
        for key, signature in sorted(meta_graph.signature_def.items()):
            parts.append(f"signature {key} {signature.method_name}".encode())
            for side, tensors in (("in", signature.inputs), ("out", signature.outputs)):
                for name, info in sorted(tensors.items()):
                    shape = info.tensor_shape.SerializeToString(deterministic=True)
                    parts.append(f"{side} {name} {info.dtype} ".encode() + shape)
        nodes = list(meta_graph.graph_def.node)
        for function in meta_graph.graph_def.library.function:
            nodes.extend(function.node_def)
        for node in nodes:
            constant = b""
            if node.op == "Const" and "value" in node.attr:
                constant = node.attr["value"].tensor.SerializeToString(deterministic=True)
            parts.append(f"node {node.op} {len(node.input)} ".encode() + constant)
    return sorted(parts)


def identity_digest(model_dir: str) -> str:
    """sha256 of the model's identity (module docstring)."""
    digest = hashlib.sha256()
    for path in _files(model_dir):
        relative = os.path.relpath(path, model_dir)
        with fileio.open(path, "rb") as handle:
            data = handle.read()
        if relative == "fingerprint.pb" or is_warmup(relative):
            continue  # a hash of saved_model.pb's bytes: generated names included
        if relative == "saved_model.pb":
            try:
                parts = _graph_parts(data)
            except DecodeError:  # not a SavedModel proto: its bytes are its identity
                parts = [data]
            for part in parts:
                digest.update(part + b"\0")
            continue
        digest.update(relative.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()
