"""The penguin TFX IR is deterministic (its golden copy lives in the corpus, see below).

Machine-specific paths are replaced by placeholders so the file is stable across machines.
After an intended change, regenerate with
``TFXKIT_UPDATE_GOLDEN=1 pytest tests/unit/test_golden_corpus.py``
and review the diff like code.
"""

from __future__ import annotations

from pathlib import Path

from tests.paths import PENGUIN_CONFIG, PENGUIN_DATA, PENGUIN_PIPELINE
from tfxkit.config.pipeline_config import load_config
from tfxkit.metadata.store import connection_config
from tfxkit.pipeline.compiler import compile_tfx_ir, portable_ir_text
from tfxkit.pipeline.dsl import load_pipeline
from tfxkit.runners.local import beam_pipeline_args


def _penguin_ir_text(tmp_path: Path) -> str:
    workspace = tmp_path / "ws"
    cfg = load_config(PENGUIN_CONFIG, [f"workspace={workspace}", f"data.path={PENGUIN_DATA}"])
    builder = load_pipeline(PENGUIN_PIPELINE, cfg)
    ir = compile_tfx_ir(
        builder.build(
            metadata_connection_config=connection_config(cfg),
            beam_pipeline_args=beam_pipeline_args(cfg),
        )
    )
    return portable_ir_text(ir, {str(workspace): "{WORKSPACE}", str(PENGUIN_DATA): "{DATA}"})


def test_ir_is_deterministic(tmp_path: Path) -> None:
    assert _penguin_ir_text(tmp_path) == _penguin_ir_text(tmp_path)
