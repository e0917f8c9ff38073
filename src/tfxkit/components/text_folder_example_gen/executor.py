"""TextFolderExampleGen executor: ``DIR/<label>/*.txt`` to tf.Examples, one per file.

TFX's ``BaseExampleGenExecutor`` does the rest (hash-bucket splits, output config, the Examples
artifact layout, gzipped TFRecords); this executor supplies the PTransform turning the files of
one input split into one tf.Example each:

* ``text``: the file's text (UTF-8; a byte-order mark dropped), as one string value: the
  ``transform: text`` feature tokenizes it in the Transform graph, as serving will.
* the label (``label`` unless ``label.name`` says otherwise): the class folder's name.
* ``text_path``: the file's path under ``input_base`` ('/'-separated). The component splits by
  it (TFX's ``partition_feature_name``), so a file's split is a function of its relative path
  alone: the same in every process and listing order, and unchanged when it is edited or other
  files come and go.

Every file is decoded here (``tfxkit.data.text_folders``): one that is not UTF-8 or holds no
text fails the run with a ``DataError`` naming it, as the local pre-run check does before any
component starts; this catches it where no pre-run check runs (remote data, Kubeflow).
"""

from __future__ import annotations

import os
from typing import Any

import apache_beam as beam
import tensorflow as tf
from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
from tfx.dsl.io import fileio
from tfx.types import standard_component_specs

from tfxkit.config.sections import TEXT_FOLDER_KEYS
from tfxkit.data.class_folders import label_of, mixed_order, relative_path, select_files
from tfxkit.data.text_folders import TEXT_KIND, decode_text
from tfxkit.errors import DataError

CODE_FINGERPRINT_KEY = "code_fingerprint"
LABEL_KEY_KEY = "label_key"  # the label's feature key (config.label.name's column_key)
TEXT_KEY, PATH_KEY = TEXT_FOLDER_KEYS


def text_files(input_base: str, split_pattern: str) -> list[str]:
    """The .txt files of one input split, sorted (``class_folders.select_files``' rules)."""
    pattern = os.path.join(input_base, split_pattern)
    return select_files(fileio.glob(pattern), input_base, TEXT_KIND, fileio.isdir, pattern)


def _bytes(value: str) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))


def to_example(data: bytes, path: str, input_base: str, label_key: str) -> tf.train.Example:
    """One file's bytes as a tf.Example (``decode_text`` raises for a bad file)."""
    features = {
        TEXT_KEY: _bytes(decode_text(data, path)),
        label_key: _bytes(label_of(path)),
        PATH_KEY: _bytes(relative_path(path, input_base)),
    }
    return tf.train.Example(features=tf.train.Features(feature=features))


def read_example(path: str, input_base: str, label_key: str) -> tf.train.Example:
    """Read one file (local or remote, through TFX's fileio) and make its tf.Example."""
    try:
        with fileio.open(path, "rb") as handle:
            data = handle.read()
    except (OSError, tf.errors.OpError) as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from None
    return to_example(data, path, input_base, label_key)


@beam.ptransform_fn
@beam.typehints.with_input_types(beam.Pipeline)
@beam.typehints.with_output_types(tf.train.Example)
def TextFolderToExample(
    pipeline: beam.Pipeline, exec_properties: dict[str, Any], split_pattern: str
) -> beam.PCollection:
    """The text files of one input split as tf.Examples (objects, not bytes: TFX's
    partitioner reads ``text_path`` from them)."""
    input_base = exec_properties[standard_component_specs.INPUT_BASE_KEY]
    files = sorted(  # classes mixed, as for images (class_folders.mixed_order says why)
        text_files(input_base, split_pattern), key=lambda f: mixed_order(f, input_base)
    )
    return (
        pipeline
        | "ListTextFiles" >> beam.Create(files)
        | "ToExample"
        >> beam.Map(
            read_example,
            input_base=input_base,
            label_key=exec_properties.get(LABEL_KEY_KEY) or "label",
        )
    )


class Executor(BaseExampleGenExecutor):
    """TFX's ExampleGen executor with a text folder reader."""

    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
        return TextFolderToExample
