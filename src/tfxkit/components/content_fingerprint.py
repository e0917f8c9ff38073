"""ExampleGen's input fingerprint by content, so unchanged data is cached whatever its mtime.

Why: TFX's file-based driver fingerprints the input by file count, bytes and modification
times (``io_utils.generate_fingerprint``), and the fingerprint is an exec property, so part of
ExampleGen's cache key. ``touch`` on an unchanged CSV (a fresh checkout, a copy, a sync tool)
re-ran ExampleGen, which made new Examples, so every node downstream re-ran and the pusher
wrote the same model again as a new version (issue 31). This driver keeps TFX's span and
version resolution and replaces only the fingerprint: every matched file's path (relative to
the input base) and a sha256 of its bytes, streamed. Reading the input once more costs about
a second per 500 MB here; ExampleGen reads it all anyway.

Local runs use it (``DRIVER_CLASS`` of tfxkit's ExampleGens); on Kubeflow V2 and Vertex,
TFX's own file-based driver runs inside the pipeline's container, as before.
"""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Iterable

from tfx.components.example_gen import driver, input_processor
from tfx.components.example_gen.import_example_gen.component import (
    ImportExampleGen as TfxImportExampleGen,
)
from tfx.dsl.components.base import executor_spec
from tfx.dsl.io import fileio
from tfx.proto import example_gen_pb2, range_config_pb2

from tfxkit.components.sharded_example_gen import ImportExecutor

_CHUNK = 1 << 20


def content_fingerprint(split_name: str, input_base: str, pattern: str) -> str:
    """``split:<name>,num_files:N,total_bytes:B,sha256:<hex>`` over the files ``pattern``
    matches, in sorted order, each named by its path relative to ``input_base``."""
    files = sorted(fileio.glob(os.path.join(input_base, pattern)))
    digest = hashlib.sha256()
    total = 0
    for path in files:
        digest.update(os.path.relpath(path, input_base).encode() + b"\0")
        with fileio.open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                total += len(chunk)
        digest.update(b"\0")
    return (
        f"split:{split_name},num_files:{len(files)},total_bytes:{total},sha256:{digest.hexdigest()}"
    )


class ContentInputProcessor(input_processor.FileBasedInputProcessor):
    """TFX's span/version resolution; the fingerprint by content instead of mtimes."""

    def resolve_span_and_version(self) -> tuple[int, int | None]:
        span, version = super().resolve_span_and_version()
        self._fingerprint = "\n".join(
            content_fingerprint(
                split.name,
                self._input_base_uri,
                self.get_pattern_for_span_version(split.pattern, span, version),
            )
            for split in (copy.deepcopy(s) for s in self._splits)
        )
        return span, version


class ContentFingerprintDriver(driver.FileBasedDriver):
    """``FileBasedDriver`` with ``ContentInputProcessor``."""

    def get_input_processor(
        self,
        splits: Iterable[example_gen_pb2.Input.Split],
        range_config: range_config_pb2.RangeConfig | None = None,
        input_base_uri: str | None = None,
    ) -> input_processor.InputProcessor:
        assert input_base_uri
        return ContentInputProcessor(input_base_uri, splits, range_config)


class ImportExampleGen(TfxImportExampleGen):
    """TFX's ImportExampleGen (TFRecord files of tf.Example) with the content fingerprint, and
    the bounded-memory split writer (``sharded_example_gen``; issue 27)."""

    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(ImportExecutor)
    DRIVER_CLASS = ContentFingerprintDriver
