"""ParquetExampleGen component: TFX's file-based ExampleGen with tfxkit's Arrow Parquet executor.

A subclass of ``FileBasedExampleGen`` (so TFX's driver, spans, split config and artifact layout
apply unchanged, as for ``CsvExampleGen``) whose spec adds the executor's ``code_fingerprint``
as an exec property: an edit to the executor re-runs ingest and everything downstream. See
``executor`` for why TFX's own Parquet executor is not used.
"""

from __future__ import annotations

import json

from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.proto import example_gen_pb2, range_config_pb2
from tfx.types.component_spec import ExecutionParameter
from tfx.types.standard_component_specs import FileBasedExampleGenSpec

from tfxkit.components.content_fingerprint import ContentFingerprintDriver
from tfxkit.components.csv_example_gen.component import file_based_spec
from tfxkit.components.parquet_example_gen import executor
from tfxkit.fingerprint import code_fingerprint

CODE_FINGERPRINT_KEY = executor.CODE_FINGERPRINT_KEY


class ParquetExampleGenSpec(FileBasedExampleGenSpec):
    PARAMETERS = {
        **FileBasedExampleGenSpec.PARAMETERS,
        CODE_FINGERPRINT_KEY: ExecutionParameter(type=str),
        # JSON list of columns to read (data.columns: used); absent: every column.
        executor.KEEP_COLUMNS_KEY: ExecutionParameter(type=str, optional=True),
    }


class ParquetExampleGen(FileBasedExampleGen):
    """Reads every Parquet file under ``input_base`` into split tf.Examples."""

    SPEC_CLASS = ParquetExampleGenSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
    DRIVER_CLASS = ContentFingerprintDriver  # unchanged data stays cached after a `touch`

    def __init__(
        self,
        input_base: str,
        input_config: example_gen_pb2.Input | None = None,
        output_config: example_gen_pb2.Output | None = None,
        range_config: range_config_pb2.RangeConfig | None = None,
        keep_columns: list[str] | None = None,
    ) -> None:
        kept = {executor.KEEP_COLUMNS_KEY: json.dumps(sorted(keep_columns))} if keep_columns else {}
        spec = file_based_spec(
            ParquetExampleGenSpec,
            input_base,
            input_config,
            output_config,
            range_config,
            code_fingerprint=code_fingerprint(executor.__name__),
            **kept,
        )
        base_beam_component.BaseBeamComponent.__init__(self, spec=spec)
