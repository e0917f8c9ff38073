"""Ingest: raw files to tf.Examples split by hash buckets (split sizes from config)."""

from __future__ import annotations

from dataclasses import dataclass

from tfx import v1 as tfx

from tfxkit.stages import node_ids
from tfxkit.stages._base import StageContext


@dataclass(frozen=True)
class Ingested:
    examples: tfx.dsl.Channel


def ingest(p: StageContext) -> Ingested:
    data = p.config.data
    output = tfx.proto.Output(
        split_config=tfx.proto.SplitConfig(
            splits=[
                tfx.proto.SplitConfig.Split(name=name, hash_buckets=buckets)
                for name, buckets in data.splits.items()
            ]
        )
    )
    gen = tfx.components.CsvExampleGen(input_base=data.path, output_config=output)
    return Ingested(examples=p.add(gen, node_ids.EXAMPLE_GEN).outputs["examples"])
