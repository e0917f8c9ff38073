"""Golden corpus: every pipeline under tests/golden/pipelines/ compiled to TFX IR and to a KFP
PipelineSpec, compared with its reviewed copy (see tests/golden/pipelines/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.goldens import assert_matches_golden
from tests.paths import CONFIGS, GOLDEN_DIR, PENGUIN_CONFIG, PENGUIN_PIPELINE
from tfxkit.config.pipeline_config import load_config
from tfxkit.config.profiles import load_profile
from tfxkit.fingerprint import mask_fingerprints
from tfxkit.metadata.store import connection_config
from tfxkit.pipeline.compiler import compile_tfx_ir, portable_ir_text
from tfxkit.pipeline.dsl import load_pipeline
from tfxkit.pipeline.kfp_compiler import compile_pipeline
from tfxkit.runners.local import beam_pipeline_args

CORPUS = GOLDEN_DIR / "pipelines"
ENTRIES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def _sources(entry: str) -> tuple[Path, Path]:
    if entry == "penguin":
        return PENGUIN_PIPELINE, PENGUIN_CONFIG
    return CORPUS / entry / "pipeline.py", CORPUS / entry / "config.yaml"


def _config(entry: str, workspace: Path, *extra: str):
    pipeline, config = _sources(entry)
    overrides = [f"workspace={workspace}", "data.path=/data/{name}", *extra]
    schema = CORPUS / entry / "schema.pbtxt"
    if schema.exists():
        overrides.append(f"schema.path={schema}")
    return pipeline, load_config(config, overrides)


@pytest.mark.parametrize("entry", ENTRIES)
def test_tfx_ir_matches_golden(entry: str, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    pipeline, cfg = _config(entry, workspace)
    builder = load_pipeline(pipeline, cfg)
    ir = compile_tfx_ir(
        builder.build(
            metadata_connection_config=connection_config(cfg),
            beam_pipeline_args=beam_pipeline_args(cfg),
        )
    )
    text = portable_ir_text(ir, {str(workspace): "{WORKSPACE}", str(CORPUS / entry): "{ENTRY}"})
    assert str(tmp_path) not in text, "an absolute path leaked into the IR"
    assert_matches_golden(text, CORPUS / entry / "tfx-ir.pbtxt", f"{entry} TFX IR")


@pytest.mark.parametrize("entry", ENTRIES)
def test_kfp_pipelinespec_matches_golden(entry: str, tmp_path: Path) -> None:
    pipeline, cfg = _config(entry, tmp_path / "ws")
    overrides = [f"mounted_volumes=[{CORPUS / entry}]"]
    if entry == "validate_only":  # no transform or trainer to give resources to
        overrides.append("resources={default: {cpu: 1, memory_gb: 4}}")
    own_profile = CORPUS / entry / "profile.yaml"  # an entry may bring its runner profile
    if own_profile.exists():
        overrides = []
    profile = load_profile(
        own_profile if own_profile.exists() else CONFIGS / "kubeflow.yaml", overrides
    )
    compiled = compile_pipeline(pipeline, cfg, profile, output=tmp_path / "spec.yaml")
    text = mask_fingerprints(compiled.path.read_text()).replace(str(CORPUS / entry), "{ENTRY}")
    assert_matches_golden(text, CORPUS / entry / "kfp-pipelinespec.yaml", f"{entry} KFP spec")
    if compiled.dockerfile is not None:  # the image staging the entry's steps (its folder)
        image = compiled.dockerfile.read_text().replace(str(CORPUS / entry), "{ENTRY}")
        image = image.replace(str(tmp_path), "{OUT}")
        assert_matches_golden(image, CORPUS / entry / "Dockerfile", f"{entry} staged image")
