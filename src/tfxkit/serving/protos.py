"""TF Serving's BatchingParameters and MonitoringConfig messages, built at import time.

tensorflow-serving-api ships ``ModelServerConfig`` (``tensorflow_serving.config``) but not
these two, which live in the server's sources (``servables/tensorflow/
session_bundle_config.proto`` and ``config/monitoring_config.proto``). They are declared here
with the same package, names, field numbers and types, so a text file that parses here
parses in ``tensorflow_model_server`` and a misspelt field is caught before a container
refuses to start.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, wrappers_pb2

_F = descriptor_pb2.FieldDescriptorProto


def _field(name: str, number: int, kind: int, type_name: str = "", repeated: bool = False):
    label = _F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL
    field = _F(name=name, number=number, type=kind, label=label)
    if type_name:
        field.type_name = type_name
    return field


def _build() -> tuple[type, type]:
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(wrappers_pb2.DESCRIPTOR.serialized_pb)
    file = descriptor_pb2.FileDescriptorProto(
        name="tfxkit/tf_serving_config_subset.proto",
        package="tensorflow.serving",
        syntax="proto3",
        dependency=["google/protobuf/wrappers.proto"],
    )
    int64 = ".google.protobuf.Int64Value"
    batching = file.message_type.add(name="BatchingParameters")
    batching.field.extend(
        [
            _field("max_batch_size", 1, _F.TYPE_MESSAGE, int64),
            _field("batch_timeout_micros", 2, _F.TYPE_MESSAGE, int64),
            _field("max_enqueued_batches", 3, _F.TYPE_MESSAGE, int64),
            _field("num_batch_threads", 4, _F.TYPE_MESSAGE, int64),
            _field("thread_pool_name", 5, _F.TYPE_MESSAGE, ".google.protobuf.StringValue"),
            _field("allowed_batch_sizes", 6, _F.TYPE_INT64, repeated=True),
            _field("pad_variable_length_inputs", 7, _F.TYPE_BOOL),
        ]
    )
    prometheus = file.message_type.add(name="PrometheusConfig")
    prometheus.field.extend([_field("enable", 1, _F.TYPE_BOOL), _field("path", 2, _F.TYPE_STRING)])
    monitoring = file.message_type.add(name="MonitoringConfig")
    monitoring.field.append(
        _field("prometheus_config", 1, _F.TYPE_MESSAGE, ".tensorflow.serving.PrometheusConfig")
    )
    pool.Add(file)
    classes = message_factory.GetMessageClassesForFiles([file.name], pool)
    return (
        classes["tensorflow.serving.BatchingParameters"],
        classes["tensorflow.serving.MonitoringConfig"],
    )


BatchingParameters, MonitoringConfig = _build()
