"""tf.train.Example's message classes without importing TensorFlow.

Why: ExampleGen's Beam workers only parse and re-serialize Examples, yet importing TensorFlow
for ``tf.train.Example`` costs each worker about 0.45 GiB of RSS; with two workers next to the
driver that was most of issue 27's 3 GiB budget. These classes come from the same message
definitions (``tensorflow/core/example/{feature,example}.proto``, rebuilt here in a private
descriptor pool so they never clash with TensorFlow's when both are loaded), so they parse
and serialize the same bytes; ``tests/unit/test_example_shards.py`` checks that against
TensorFlow's classes. Only the messages tf.Example needs are defined.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto


def _field(
    name: str, number: int, kind: int, label: int = _F.LABEL_OPTIONAL, type_name: str = ""
) -> _F:
    field = _F(name=name, number=number, type=kind, label=label)
    if type_name:
        field.type_name = type_name
    return field


def _file() -> descriptor_pb2.FileDescriptorProto:
    """feature.proto and example.proto (proto3, package ``tensorflow``) as one file."""
    proto = descriptor_pb2.FileDescriptorProto(
        name="tfxkit/tf_example_copy.proto", package="tensorflow", syntax="proto3"
    )
    repeated = _F.LABEL_REPEATED
    proto.message_type.add(name="BytesList").field.append(
        _field("value", 1, _F.TYPE_BYTES, repeated)
    )
    for name, kind in (("FloatList", _F.TYPE_FLOAT), ("Int64List", _F.TYPE_INT64)):
        field = _field("value", 1, kind, repeated)
        field.options.packed = True
        proto.message_type.add(name=name).field.append(field)
    feature = proto.message_type.add(name="Feature")
    feature.oneof_decl.add(name="kind")
    for number, (name, type_name) in enumerate(
        (("bytes_list", "BytesList"), ("float_list", "FloatList"), ("int64_list", "Int64List")),
        start=1,
    ):
        field = _field(name, number, _F.TYPE_MESSAGE, type_name=f".tensorflow.{type_name}")
        field.oneof_index = 0
        feature.field.append(field)
    features = proto.message_type.add(name="Features")
    entry = features.nested_type.add(name="FeatureEntry")
    entry.options.map_entry = True
    entry.field.append(_field("key", 1, _F.TYPE_STRING))
    entry.field.append(_field("value", 2, _F.TYPE_MESSAGE, type_name=".tensorflow.Feature"))
    features.field.append(
        _field("feature", 1, _F.TYPE_MESSAGE, repeated, ".tensorflow.Features.FeatureEntry")
    )
    proto.message_type.add(name="Example").field.append(
        _field("features", 1, _F.TYPE_MESSAGE, type_name=".tensorflow.Features")
    )
    return proto


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_file())
_CLASSES = message_factory.GetMessages([_file()], pool=_POOL)
Example = _CLASSES["tensorflow.Example"]
Features = _CLASSES["tensorflow.Features"]
Feature = _CLASSES["tensorflow.Feature"]
BytesList = _CLASSES["tensorflow.BytesList"]
FloatList = _CLASSES["tensorflow.FloatList"]
Int64List = _CLASSES["tensorflow.Int64List"]


def canonical(serialized: bytes) -> bytes:
    """An Example's bytes with its feature map sorted by name (deterministic serialization):
    the same row gives the same bytes in every process."""
    return Example.FromString(serialized).SerializeToString(deterministic=True)
