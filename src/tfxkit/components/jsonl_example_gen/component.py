"""JsonlExampleGen component: TFX's file-based ExampleGen with tfxkit's JSON lines executor.

Why: JSON lines is how logs, scraped reviews and exported documents usually arrive (one object
per line, text fields with quotes and newlines that CSV mangles); TFX has no reader for it. How:
as tfxkit's ``CsvExampleGen``, a subclass of ``FileBasedExampleGen`` (TFX's driver, spans,
split config and artifact layout apply unchanged; the input is fingerprinted by content) with
extra exec properties: the executor's ``code_fingerprint``, the config's declared column types
and, for ``data.columns: used``, the columns to keep (see ``executor``).
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
from tfxkit.components.jsonl_example_gen import executor
from tfxkit.fingerprint import code_fingerprint

CODE_FINGERPRINT_KEY = executor.CODE_FINGERPRINT_KEY
COLUMN_TYPES_KEY = executor.COLUMN_TYPES_KEY
KEEP_COLUMNS_KEY = executor.KEEP_COLUMNS_KEY


class JsonlExampleGenSpec(FileBasedExampleGenSpec):
    PARAMETERS = {
        **FileBasedExampleGenSpec.PARAMETERS,
        CODE_FINGERPRINT_KEY: ExecutionParameter(type=str),
        # JSON {feature key: float|int|string}: the config's declared types win over inference.
        COLUMN_TYPES_KEY: ExecutionParameter(type=str),
        # JSON list of feature keys to keep (data.columns: used); absent: every column.
        KEEP_COLUMNS_KEY: ExecutionParameter(type=str, optional=True),
    }


class JsonlExampleGen(FileBasedExampleGen):
    """Reads every JSON lines file under ``input_base`` into split tf.Examples."""

    SPEC_CLASS = JsonlExampleGenSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
    DRIVER_CLASS = ContentFingerprintDriver  # unchanged data stays cached after a `touch`

    def __init__(
        self,
        input_base: str,
        input_config: example_gen_pb2.Input | None = None,
        output_config: example_gen_pb2.Output | None = None,
        range_config: range_config_pb2.RangeConfig | None = None,
        column_types: dict[str, str] | None = None,
        keep_columns: list[str] | None = None,
    ) -> None:
        spec = file_based_spec(
            JsonlExampleGenSpec,
            input_base,
            input_config,
            output_config,
            range_config,
            code_fingerprint=code_fingerprint(executor.__name__),
            column_types=json.dumps(column_types or {}, sort_keys=True),
            **({KEEP_COLUMNS_KEY: json.dumps(sorted(keep_columns))} if keep_columns else {}),
        )
        base_beam_component.BaseBeamComponent.__init__(self, spec=spec)
