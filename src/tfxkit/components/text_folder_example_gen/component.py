"""TextFolderExampleGen component: TFX's file-based ExampleGen with tfxkit's text folder
executor.

Why: a folder of .txt files, one sub-folder per class, is how text classification corpora are
shipped and what users sort their documents into; TFX reads CSV, Avro, Parquet and TFRecords,
not that. How: as tfxkit's ``ImageExampleGen`` (the same layout), a subclass of
``FileBasedExampleGen`` (TFX's driver, spans, split config and artifact layout apply unchanged,
and the input is fingerprinted by content: ``content_fingerprint``) with two extra exec
properties, the executor's ``code_fingerprint`` and the label's feature key. Two defaults
differ from TFX's: the input pattern is ``*/*`` (every file of every class folder) and a hash
split is by ``text_path`` (``partition_feature_name``; see ``executor``).
"""

from __future__ import annotations

from tfx.components.example_gen import utils
from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.proto import example_gen_pb2, range_config_pb2
from tfx.types.component_spec import ExecutionParameter
from tfx.types.standard_component_specs import FileBasedExampleGenSpec

from tfxkit.components.content_fingerprint import ContentFingerprintDriver
from tfxkit.components.csv_example_gen.component import file_based_spec, split_by_feature
from tfxkit.components.text_folder_example_gen import executor
from tfxkit.data.text_folders import DEFAULT_PATTERN
from tfxkit.fingerprint import code_fingerprint

CODE_FINGERPRINT_KEY = executor.CODE_FINGERPRINT_KEY
LABEL_KEY_KEY = executor.LABEL_KEY_KEY


class TextFolderExampleGenSpec(FileBasedExampleGenSpec):
    PARAMETERS = {
        **FileBasedExampleGenSpec.PARAMETERS,
        CODE_FINGERPRINT_KEY: ExecutionParameter(type=str),
        LABEL_KEY_KEY: ExecutionParameter(type=str),
    }


def split_by_path(output_config: example_gen_pb2.Output) -> example_gen_pb2.Output:
    """``output_config`` split by ``text_path``: the relative path decides a file's split."""
    return split_by_feature(output_config, executor.PATH_KEY)


class TextFolderExampleGen(FileBasedExampleGen):
    """Reads every .txt file under ``input_base/<label>/`` into split tf.Examples."""

    SPEC_CLASS = TextFolderExampleGenSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
    DRIVER_CLASS = ContentFingerprintDriver  # unchanged files stay cached after a `touch`

    def __init__(
        self,
        input_base: str,
        input_config: example_gen_pb2.Input | None = None,
        output_config: example_gen_pb2.Output | None = None,
        range_config: range_config_pb2.RangeConfig | None = None,
        label_key: str = "label",
    ) -> None:
        input_config = input_config or example_gen_pb2.Input(
            splits=[example_gen_pb2.Input.Split(name="single_split", pattern=DEFAULT_PATTERN)]
        )
        output_config = output_config or utils.make_default_output_config(input_config)
        spec = file_based_spec(
            TextFolderExampleGenSpec,
            input_base,
            input_config,
            split_by_path(output_config),
            range_config,
            code_fingerprint=code_fingerprint(executor.__name__),
            label_key=label_key,
        )
        base_beam_component.BaseBeamComponent.__init__(self, spec=spec)
