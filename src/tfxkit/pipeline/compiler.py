"""Pipeline → IR: the TFX intermediate representation every orchestrator runs.

``compile_tfx_ir`` returns TFX's own ``pipeline_pb2.Pipeline`` (what LocalDagRunner executes),
so ``tfxkit compile --format tfx-ir`` shows users exactly what will run. ``portable_ir_text``
replaces machine-specific paths with placeholders, for golden files and reviews.
"""

from __future__ import annotations

from pathlib import Path

from google.protobuf import text_format
from tfx.dsl.compiler import compiler as tfx_compiler
from tfx.dsl.compiler import constants
from tfx.orchestration import pipeline as tfx_pipeline
from tfx.orchestration.portable import runtime_parameter_utils
from tfx.proto.orchestration import pipeline_pb2

from tfxkit.fingerprint import mask_fingerprints


def compile_tfx_ir(pipeline: tfx_pipeline.Pipeline) -> pipeline_pb2.Pipeline:
    """Compile with TFX's own compiler (validates the DAG: cycles, ids, channel types)."""
    return tfx_compiler.Compiler().compile(pipeline)


def bind_run_id(ir: pipeline_pb2.Pipeline, run_id: str) -> None:
    """Give the compiled pipeline its concrete run id (a runtime parameter until now)."""
    runtime_parameter_utils.substitute_runtime_parameter(
        ir, {constants.PIPELINE_RUN_ID_PARAMETER_NAME: run_id}
    )


def ir_text(ir: pipeline_pb2.Pipeline) -> str:
    return text_format.MessageToString(ir)


def portable_ir_text(ir: pipeline_pb2.Pipeline, placeholders: dict[str, str]) -> str:
    """IR text with each given absolute path replaced by its placeholder (longest first) and
    code fingerprints masked, so a golden file changes only when the graph does."""
    text = mask_fingerprints(ir_text(ir))
    for path in sorted(placeholders, key=len, reverse=True):
        text = text.replace(str(Path(path)), placeholders[path])
    return text
