"""Ingest: raw files to tf.Examples split by hash buckets (split sizes from config).

CSV input goes through tfxkit's CsvExampleGen, which reads the files with the configured
dialect (``data.csv``); TFX's own CsvExampleGen knows only comma-separated UTF-8 with a header.
TFRecord files of tf.Example go through TFX's ImportExampleGen (all three fingerprint the input
by content: ``components.content_fingerprint``), Parquet through tfxkit's
ParquetExampleGen (Arrow record batches; TFX's Parquet executor turns every 0 into "missing"),
a folder of images (one sub-folder per class) through tfxkit's ImageExampleGen, which splits by
each image's relative path, JSON lines through tfxkit's JsonlExampleGen, and a folder of .txt
files (one sub-folder per class) through tfxkit's TextFolderExampleGen, split by relative path.
``data.split_column`` hashes one column instead of the whole row (TFX's
``partition_feature_name``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from tfx import v1 as tfx

from tfxkit.components.content_fingerprint import ImportExampleGen
from tfxkit.components.csv_example_gen.component import CsvExampleGen
from tfxkit.components.image_example_gen.component import ImageExampleGen
from tfxkit.components.jsonl_example_gen.component import JsonlExampleGen
from tfxkit.components.parquet_example_gen.component import ParquetExampleGen
from tfxkit.components.text_folder_example_gen.component import TextFolderExampleGen
from tfxkit.config.features import column_key, declared_column_types
from tfxkit.data.checks import needed_columns
from tfxkit.data.images import ImageSpec
from tfxkit.pipeline.stages import node_ids
from tfxkit.pipeline.stages._base import StageContext


@dataclass(frozen=True)
class Ingested:
    examples: tfx.dsl.Channel


def input_base(path: str) -> str:
    """The data folder as ExampleGen's ``input_base``: local paths absolute and normalized, so
    ``data``, ``./data`` and ``/abs/data`` are one input to TFX's cache (a relative spelling of
    the same folder re-ran every node and pushed an identical model as a new version)."""
    if "://" in path:
        return path
    return os.path.normpath(os.path.abspath(path))


def ingest(p: StageContext) -> Ingested:
    data = p.config.data
    base = input_base(data.path)
    split_config = tfx.proto.SplitConfig(
        splits=[
            tfx.proto.SplitConfig.Split(name=name, hash_buckets=buckets)
            for name, buckets in data.splits.items()
        ]
    )
    if data.split_column:  # set only when used: the output config is part of the cache key
        split_config.partition_feature_name = column_key(data.split_column)
    output = tfx.proto.Output(split_config=split_config)
    inputs = {}
    if data.pattern:  # {SPAN}/{VERSION}: TFX's driver picks the latest and records the span
        inputs["input_config"] = tfx.proto.Input(
            splits=[tfx.proto.Input.Split(name="single_split", pattern=data.pattern)]
        )
    used = needed_columns(p.config) if data.columns == "used" else []
    if data.format == "tfrecord":
        gen = ImportExampleGen(input_base=base, output_config=output, **inputs)
    elif data.format == "parquet":
        gen = ParquetExampleGen(input_base=base, output_config=output, keep_columns=used, **inputs)
    elif data.format == "images":
        gen = ImageExampleGen(
            input_base=base,
            output_config=output,
            label_key=column_key(p.config.label.name),
            image_spec=ImageSpec.of(data),
            **inputs,
        )
    elif data.format == "jsonl":
        gen = JsonlExampleGen(
            input_base=base,
            output_config=output,
            column_types=declared_column_types(p.config),
            keep_columns=[column_key(c) for c in used],
            **inputs,
        )
    elif data.format == "text_folder":
        gen = TextFolderExampleGen(
            input_base=base,
            output_config=output,
            label_key=column_key(p.config.label.name),
            **inputs,
        )
    else:
        gen = CsvExampleGen(
            input_base=base,
            dialect=data.csv,
            output_config=output,
            column_types=declared_column_types(p.config),
            keep_columns=[column_key(c) for c in used],
            **inputs,
        )
    return Ingested(examples=p.add(gen, node_ids.EXAMPLE_GEN).outputs["examples"])
