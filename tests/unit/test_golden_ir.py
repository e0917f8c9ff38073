"""Golden-file test of the penguin pipeline's TFX IR (what LocalDagRunner executes).

Machine-specific paths are replaced by placeholders so the file is stable across machines.
After an intended change, regenerate with
``TFXKIT_UPDATE_GOLDEN=1 pytest tests/unit/test_golden_ir.py``
and review the diff like code.
"""

from __future__ import annotations

from pathlib import Path

from tests.goldens import assert_matches_golden
from tests.paths import PENGUIN_CONFIG, PENGUIN_DATA, PENGUIN_PIPELINE
from tfxkit.compiler import compile_tfx_ir, portable_ir_text
from tfxkit.config import load_config
from tfxkit.dsl import load_pipeline
from tfxkit.metadata import connection_config
from tfxkit.runners.beam import beam_pipeline_args

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "penguin.tfx-ir.pbtxt"


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


def test_penguin_ir_matches_golden(tmp_path: Path) -> None:
    actual = _penguin_ir_text(tmp_path)
    assert str(tmp_path) not in actual, "an absolute path leaked into the IR"
    assert_matches_golden(actual, GOLDEN, "penguin IR")


def test_ir_is_deterministic(tmp_path: Path) -> None:
    assert _penguin_ir_text(tmp_path) == _penguin_ir_text(tmp_path)
