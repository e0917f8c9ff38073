"""ImageExampleGen component: TFX's file-based ExampleGen with tfxkit's image folder executor.

Why not TFX's ImportExampleGen: it reads tf.Example records someone already wrote; a folder of
PNG or JPEG files, one sub-folder per class, is what users have (every image tool writes and
reads that layout). TFX ships no reader for it, and its examples decode images to floats
before ingest (MNIST's ``utils``), which makes Examples 10-50 times larger and puts decoding
outside the serving graph.

How: like tfxkit's ``CsvExampleGen`` and ``ParquetExampleGen``, a subclass of
``FileBasedExampleGen`` (TFX's driver, spans, split config and artifact layout apply unchanged,
and the input is fingerprinted by content: ``content_fingerprint``), with three extra exec
properties: the executor's ``code_fingerprint``, the label's feature key and the image spec
(``data.images``). Two defaults differ from TFX's: the input pattern is ``*/*`` (every file
of every class folder) and a hash split is by ``image_path`` (``partition_feature_name``), so
an image's split depends on its relative path alone (see ``executor``).
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
from tfxkit.components.image_example_gen import executor
from tfxkit.data.images import DEFAULT_PATTERN, ImageSpec
from tfxkit.data.records import RECORD_PATTERN, record_files
from tfxkit.fingerprint import code_fingerprint

CODE_FINGERPRINT_KEY = executor.CODE_FINGERPRINT_KEY
LABEL_KEY_KEY = executor.LABEL_KEY_KEY
IMAGE_SPEC_KEY = executor.IMAGE_SPEC_KEY


class ImageExampleGenSpec(FileBasedExampleGenSpec):
    PARAMETERS = {
        **FileBasedExampleGenSpec.PARAMETERS,
        CODE_FINGERPRINT_KEY: ExecutionParameter(type=str),
        LABEL_KEY_KEY: ExecutionParameter(type=str),
        IMAGE_SPEC_KEY: ExecutionParameter(type=str),
    }


def split_by_path(output_config: example_gen_pb2.Output) -> example_gen_pb2.Output:
    """``output_config`` split by ``image_path``: the relative path decides an image's split."""
    return split_by_feature(output_config, executor.PATH_KEY)


class ImageExampleGen(FileBasedExampleGen):
    """Reads every image under ``input_base/<label>/`` (or the TFRecord files of encoded
    images in ``input_base``) into split tf.Examples."""

    SPEC_CLASS = ImageExampleGenSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
    DRIVER_CLASS = ContentFingerprintDriver  # unchanged images stay cached after a `touch`

    def __init__(
        self,
        input_base: str,
        input_config: example_gen_pb2.Input | None = None,
        output_config: example_gen_pb2.Output | None = None,
        range_config: range_config_pb2.RangeConfig | None = None,
        label_key: str = "label",
        image_spec: ImageSpec | None = None,
    ) -> None:
        # A local folder of TFRecord files is read as records (tfxkit.data.records); a remote
        # one needs data.pattern ('*.tfrecord*'): the default is the folder tree's.
        pattern = RECORD_PATTERN if record_files(input_base) else DEFAULT_PATTERN
        input_config = input_config or example_gen_pb2.Input(
            splits=[example_gen_pb2.Input.Split(name="single_split", pattern=pattern)]
        )
        output_config = output_config or utils.make_default_output_config(input_config)
        spec = file_based_spec(
            ImageExampleGenSpec,
            input_base,
            input_config,
            split_by_path(output_config),
            range_config,
            code_fingerprint=code_fingerprint(executor.__name__),
            label_key=label_key,
            image_spec=(image_spec or ImageSpec()).to_json(),
        )
        base_beam_component.BaseBeamComponent.__init__(self, spec=spec)
