"""TFX's ExampleGen executor with ``example_shards``' bounded-memory writer in place of
``WriteSplit`` (a ``Reshuffle`` holding each split whole in the DirectRunner; issue 27).

Everything else is TFX's: the input and output configs, the hash-bucket split assignment (the
same function, ``example_shards.partition``, so every row stays in its split; a split by one
feature is TFX's own code), the artifact's split names, payload and file format. Kept apart
from ``example_shards`` so Beam workers, which unpickle the writer's functions, need not
import TFX (and with it TensorFlow) for them.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import apache_beam as beam
from tfx import types
from tfx.components.example_gen import utils, write_split
from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
from tfx.components.example_gen.import_example_gen import executor as import_executor
from tfx.components.util import examples_utils
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import proto_utils

from tfxkit.components.example_shards import WriteShuffledShards, partition, remove_temp

TEMP_FOLDER = ".shard-runs"  # under the Examples artifact, removed once every split is written


class ShardedExampleGenExecutor(BaseExampleGenExecutor):
    """``BaseExampleGenExecutor.Do`` writing each split with ``WriteShuffledShards``."""

    def GenerateExamplesByBeam(  # noqa: N802 (TFX's name)
        self, pipeline: beam.Pipeline, exec_properties: dict[str, Any]
    ) -> dict[str, beam.PCollection]:
        """TFX's, with its hash split done by ``example_shards.partition`` (the same function,
        without TensorFlow in the workers); a split by one feature stays TFX's."""
        input_config, output_config = _configs(exec_properties)
        split_config = output_config.split_config
        if not split_config.splits or split_config.HasField("partition_feature_name"):
            return super().GenerateExamplesByBeam(pipeline, exec_properties)
        assert len(input_config.splits) == 1, "output splits need exactly one input split"
        exec_properties["_beam_pipeline_args"] = self._beam_pipeline_args or []
        buckets = list(itertools.accumulate(split.hash_buckets for split in split_config.splits))
        names = utils.generate_output_split_names(input_config, output_config)
        to_records = self.GetInputSourceToExamplePTransform()
        splits = (
            pipeline
            | "InputToRecord" >> to_records(exec_properties, input_config.splits[0].pattern)
            | "SplitData" >> beam.Partition(partition, len(buckets), buckets)
        )
        return dict(zip(names, splits, strict=True))

    def Do(  # noqa: N802 (TFX's name)
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        payload = exec_properties.get(standard_component_specs.OUTPUT_DATA_FORMAT_KEY)
        if payload == example_gen_pb2.PayloadFormat.FORMAT_PARQUET:  # TFX writes Parquet
            super().Do(input_dict, output_dict, exec_properties)
            return
        self._log_startup(input_dict, output_dict, exec_properties)
        input_config, output_config = _configs(exec_properties)
        outputs = output_dict[standard_component_specs.EXAMPLES_KEY]
        examples = artifact_utils.get_single_instance(outputs)
        examples.split_names = artifact_utils.encode_split_names(
            utils.generate_output_split_names(input_config, output_config)
        )
        temp = os.path.join(examples.uri, TEMP_FOLDER)
        with self._make_beam_pipeline() as pipeline:
            splits = self.GenerateExamplesByBeam(pipeline, exec_properties)
            for name, split in splits.items():
                _ = split | f"WriteSplit[{name}]" >> WriteShuffledShards(
                    artifact_utils.get_split_uri(outputs, name), os.path.join(temp, name)
                )
        remove_temp(temp)
        if payload:
            for artifact in outputs:
                examples_utils.set_payload_format(artifact, payload)
        file_format = exec_properties.get(standard_component_specs.OUTPUT_FILE_FORMAT_KEY)
        if file_format:
            for artifact in outputs:
                examples_utils.set_file_format(
                    artifact, write_split.to_file_format_str(file_format)
                )


class ImportExecutor(ShardedExampleGenExecutor, import_executor.Executor):
    """TFX's ImportExampleGen (TFRecords of tf.Example, read as they are) writing its splits
    with ``WriteShuffledShards``."""


def _configs(
    exec_properties: dict[str, Any],
) -> tuple[example_gen_pb2.Input, example_gen_pb2.Output]:
    """ExampleGen's input and output configs, parsed from their JSON execution properties."""
    input_config = example_gen_pb2.Input()
    proto_utils.json_to_proto(
        exec_properties[standard_component_specs.INPUT_CONFIG_KEY], input_config
    )
    output_config = example_gen_pb2.Output()
    proto_utils.json_to_proto(
        exec_properties[standard_component_specs.OUTPUT_CONFIG_KEY], output_config
    )
    return input_config, output_config
