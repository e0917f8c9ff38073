"""Ingest: raw files to tf.Examples split by hash buckets (split sizes from config).

CSV input goes through tfxkit's CsvExampleGen, which reads the files with the configured
dialect (``data.csv``); TFX's own CsvExampleGen knows only comma-separated UTF-8 with a header.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfx import v1 as tfx

from tfxkit.components.csv_example_gen.component import CsvExampleGen
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
    gen = CsvExampleGen(input_base=data.path, dialect=data.csv, output_config=output)
    return Ingested(examples=p.add(gen, node_ids.EXAMPLE_GEN).outputs["examples"])
