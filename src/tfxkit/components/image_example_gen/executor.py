"""ImageExampleGen executor: a folder of images, one sub-folder per class, to tf.Examples.

TFX's ``BaseExampleGenExecutor`` does the rest (hash-bucket splits, output config, the Examples
artifact layout, gzipped TFRecords); this executor supplies the PTransform turning the files of
one input split (``DIR/<label>/<file>``) into one tf.Example each:

* ``image``: the file's bytes as they are (PNG or JPEG), never decoded pixels: 10-50 times
  smaller than floats, and decoding, resizing and scaling belong in the Transform graph, so
  serving does exactly what training did.
* the label (``label`` unless ``label.name`` says otherwise): the class folder's name.
* ``image_path``: the file's path under ``input_base`` ('/'-separated). The component splits
  by this feature (TFX's ``partition_feature_name``): an image's split is
  ``sha256(its image_path feature) % buckets``, a function of its relative path alone, the same
  in every process, for every ``PYTHONHASHSEED`` and listing order, and unchanged when other
  images are added, removed or edited (an edited image stays in its split).
* ``image_height``, ``image_width``, ``image_channels``: the decoded shape, so the statistics
  show the sizes per split and the anomaly gate's drift check sees a batch of another size.

Every image is decoded here (Pillow, ``tfxkit.data.images``, then TensorFlow): an unreadable or
truncated file, a file that is not a PNG or JPEG, or one not of ``data.images``' size or
channels fails the run with a ``DataError`` naming it. The local pre-run check finds the same
problems before any component starts; this catches them where no pre-run check runs (remote
data, Kubeflow).

TFRecord files of tf.Examples (``tfxkit.data.records``) give the same features: the record's
``image`` bytes, checked as a file's are, its label (bytes, or an integer written as its
digits: labels are strings for images), ``image_path`` as ``<file>#<record index>`` (what the
split hashes) and the decoded shape; the record's other features are not kept. Records are
written in their files' order: write them with the classes mixed.
"""

from __future__ import annotations

import os
from typing import Any

import apache_beam as beam
import tensorflow as tf
from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
from tfx.dsl.io import fileio
from tfx.types import standard_component_specs

from tfxkit.config.sections import IMAGE_KEYS
from tfxkit.data.class_folders import mixed_order, select_files
from tfxkit.data.images import IMAGE_KIND, ImageSpec, inspect_image, label_of, relative_path
from tfxkit.data.records import is_gzipped, is_record_file
from tfxkit.errors import DataError, one_line

CODE_FINGERPRINT_KEY = "code_fingerprint"
LABEL_KEY_KEY = "label_key"  # the label's feature key (config.label.name's column_key)
IMAGE_SPEC_KEY = "image_spec"  # JSON of data.images: {"size": [h, w] | null, "channels": n}
IMAGE_KEY, PATH_KEY, HEIGHT_KEY, WIDTH_KEY, CHANNELS_KEY = IMAGE_KEYS


def image_files(input_base: str, split_pattern: str) -> list[str]:
    """The image files of one input split, sorted; hidden files and folders skipped. A folder
    where an image belongs, a file not named as an image, or fewer than two classes is a
    ``DataError`` naming it (``tfxkit.data.class_folders``)."""
    pattern = os.path.join(input_base, split_pattern)
    return select_files(fileio.glob(pattern), input_base, IMAGE_KIND, fileio.isdir, pattern)


def _bytes(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int(value: int) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))


def to_example(
    data: bytes,
    path: str,
    input_base: str,
    label_key: str,
    spec: ImageSpec,
    *,
    label: str | None = None,
    image_path: str | None = None,
) -> tf.train.Example:
    """One image's bytes as a tf.Example, once ``inspect_image`` has held it to ``spec`` and
    TensorFlow has decoded it (what Transform will do with it: Pillow forgives a few damaged
    files that ``tf.io.decode_image`` refuses). ``path`` names the image in errors; the label
    and path feature default to the file's class folder and relative path."""
    info = inspect_image(data, path, spec)
    try:
        tf.io.decode_image(data, expand_animations=False)
    except tf.errors.OpError as exc:
        raise DataError(
            f"{path}: unreadable image (TensorFlow cannot decode it: {one_line(exc)}); fix or "
            "remove the file"
        ) from None
    features = {
        IMAGE_KEY: _bytes(data),
        label_key: _bytes((label_of(path) if label is None else label).encode()),
        PATH_KEY: _bytes((image_path or relative_path(path, input_base)).encode()),
        HEIGHT_KEY: _int(info.height),
        WIDTH_KEY: _int(info.width),
        CHANNELS_KEY: _int(info.channels),
    }
    return tf.train.Example(features=tf.train.Features(feature=features))


def _record_label(record: tf.train.Example, label_key: str, where: str) -> str:
    feature = record.features.feature.get(label_key)
    values = None
    if feature is not None:
        kind = feature.WhichOneof("kind")
        values = list(getattr(feature, kind).value) if kind else []
    if not values or len(values) != 1 or isinstance(values[0], float):
        raise DataError(
            f"{where}: no single string or integer label '{label_key}' (found "
            f"{'nothing' if not values else values[:3]}); every record needs its class as "
            f"'{label_key}' (label.name)"
        )
    value = values[0]
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def record_examples(
    path: str, input_base: str, label_key: str, spec: ImageSpec
) -> list[tf.train.Example]:
    """The tf.Examples of one TFRecord file of encoded images (see the module docstring); a
    record that is not a tf.Example, has no single ``image`` bytes value, no label, or an
    unreadable image is a ``DataError`` naming the file and the record's index."""
    compression = "GZIP" if is_gzipped(path) else ""
    relative = relative_path(path, input_base)
    examples = []
    try:
        for index, raw in enumerate(tf.data.TFRecordDataset(path, compression_type=compression)):
            where = f"{path}: record {index}"
            try:
                record = tf.train.Example.FromString(raw.numpy())
            except Exception:  # noqa: BLE001 - protobuf's DecodeError, whatever its module
                raise DataError(f"{where}: not a tf.Example") from None
            image = record.features.feature.get(IMAGE_KEY)
            if image is None or len(image.bytes_list.value) != 1:
                raise DataError(
                    f"{where}: no single encoded image '{IMAGE_KEY}' (bytes of a PNG or JPEG); "
                    f"it holds {sorted(record.features.feature)}"
                )
            label = _record_label(record, label_key, where)
            examples.append(
                to_example(
                    image.bytes_list.value[0],
                    where,
                    input_base,
                    label_key,
                    spec,
                    label=label,
                    image_path=f"{relative}#{index}",
                )  # fmt: skip
            )
    except tf.errors.OpError as exc:
        raise DataError(f"{path}: cannot be read as a TFRecord file ({one_line(exc)})") from None
    return examples


def read_example(path: str, input_base: str, label_key: str, spec: ImageSpec) -> tf.train.Example:
    """Read one file (local or remote, through TFX's fileio) and make its tf.Example."""
    try:
        with fileio.open(path, "rb") as handle:
            data = handle.read()
    except (OSError, tf.errors.OpError) as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from None
    return to_example(data, path, input_base, label_key, spec)


@beam.ptransform_fn
@beam.typehints.with_input_types(beam.Pipeline)
@beam.typehints.with_output_types(tf.train.Example)
def ImageToExample(
    pipeline: beam.Pipeline, exec_properties: dict[str, Any], split_pattern: str
) -> beam.PCollection:
    """The image files of one input split as tf.Examples (objects, not bytes: TFX's
    partitioner reads ``image_path`` from them)."""
    input_base = exec_properties[standard_component_specs.INPUT_BASE_KEY]
    settings = {
        "input_base": input_base,
        "label_key": exec_properties.get(LABEL_KEY_KEY) or "label",
        "spec": ImageSpec.from_json(exec_properties.get(IMAGE_SPEC_KEY)),
    }
    records = record_files(input_base, split_pattern)
    if records:
        # Every record checked here first, outside Beam: an error raised inside a Beam
        # transform reaches the user wrapped in Beam's traceback, and records (unlike files
        # in a folder tree) have no pre-run check of their images (tfxkit.data.records).
        for path in records:
            record_examples(path, **settings)
        return (
            pipeline
            | "ListRecordFiles" >> beam.Create(records)
            | "ToExamples" >> beam.FlatMap(record_examples, **settings)
        )
    files = sorted(image_files(input_base, split_pattern), key=lambda f: mixed_order(f, input_base))
    return (
        pipeline
        | "ListImages" >> beam.Create(files)
        | "ToExample" >> beam.Map(read_example, **settings)
    )


def record_files(input_base: str, split_pattern: str) -> list[str]:
    """The TFRecord files an input split's pattern matches, sorted; none when it matches
    image files (a folder tree). Both kinds at once is a ``DataError``."""
    listing = sorted(fileio.glob(os.path.join(input_base, split_pattern)))
    visible = [
        p
        for p in listing
        if not any(s.startswith(".") for s in relative_path(p, input_base).split("/"))
    ]
    records = [p for p in visible if is_record_file(p)]
    if records and len(records) != len(visible):
        other = next(p for p in visible if not is_record_file(p))
        raise DataError(
            f"{other}: not a TFRecord file (.tfrecord, .tfrecords, .gz), beside the TFRecord "
            f"files of {input_base}; keep one layout, or set data.pattern"
        )
    return records


class Executor(BaseExampleGenExecutor):
    """TFX's ExampleGen executor with an image folder reader."""

    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
        return ImageToExample
