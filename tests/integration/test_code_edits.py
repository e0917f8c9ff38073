"""Edits reached through imports are seen (issue 31): a constant two imports away from a
``preprocessing_fn`` plug-in re-runs Transform and what is downstream (ingest stays cached); a
module two imports away from the pipeline file is seen by the unchanged-run key (the run goes
through TFX's cache, which finds every node unchanged); an edit to a module nothing imports
re-runs nothing. No PYTHONPATH: the pipeline's folder is importable by itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.pipeline_runs import executions, run_pipeline

pytestmark = pytest.mark.slow

PLUGIN = """\
from tfxkit.transform import preprocessing
import plugin_helpers


def preprocessing_fn(inputs, custom_config):
    outputs = preprocessing.preprocessing_fn(inputs, custom_config)
    return plugin_helpers.scaled(outputs)
"""
HELPERS = """\
from plugin_constants import SCALE


def scaled(outputs):
    outputs["body_mass_g_xf"] = outputs["body_mass_g_xf"] * SCALE
    return outputs
"""
PIPELINE = """\
import pipe_helpers


def create_pipeline(config):
    return pipe_helpers.build(config)
"""
PIPE_HELPERS = "from pipe_more import build\n"
PIPE_MORE = """\
from tfxkit import standard_pipeline


def build(config):
    return standard_pipeline(config)
"""
UPSTREAM = ("example_gen", "statistics_gen", "schema_gen", "example_validator", "anomaly_gate")


def _run(code: Path, name: str) -> tuple[dict, str, str]:
    summary = code.parent / f"{name}.json"
    result = run_pipeline(
        code.parent / "ws",
        "--set",
        "transform.preprocessing_fn=penguin_plugin.preprocessing_fn",
        pipeline=code / "pipeline.py",
        summary=summary,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return json.loads(summary.read_text()), result.stdout, result.stderr


def _states(code: Path, summary: dict) -> dict[str, str]:
    found = executions(code.parent / "ws", "penguin", summary["run_id"])
    return {node: e.state for node, e in found.items()}


def test_edits_through_imports_rerun_exactly_what_they_reach(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    files = {
        "pipeline.py": PIPELINE,
        "pipe_helpers.py": PIPE_HELPERS,
        "pipe_more.py": PIPE_MORE,
        "penguin_plugin.py": PLUGIN,
        "plugin_helpers.py": HELPERS,
        "plugin_constants.py": "SCALE = 1.0\n",
        "unrelated.py": "X = 1\n",
    }
    for name, text in files.items():
        (code / name).write_text(text)
    cold, _, _ = _run(code, "cold")
    assert cold["blessed"] is True

    (code / "unrelated.py").write_text("X = 2\n")  # imported by nothing
    unrelated, stdout, _ = _run(code, "unrelated")
    assert f"nothing changed since run {cold['run_id']}" in stdout

    (code / "plugin_constants.py").write_text("SCALE = 2.0\n")  # two imports from the plug-in
    edited, stdout, _ = _run(code, "plugin_edit")
    assert "nothing changed" not in stdout
    states = _states(code, edited)
    for node in UPSTREAM:
        assert states[node] == "CACHED", states
    for node in ("transform", "trainer", "evaluator"):
        assert states[node] == "COMPLETE", states

    (code / "pipe_more.py").write_text(PIPE_MORE + "# edited: two imports from the pipeline\n")
    piped, stdout, _ = _run(code, "pipeline_edit")
    assert "nothing changed" not in stdout  # the key saw it
    states = _states(code, piped)
    assert {n: s for n, s in states.items() if not n.endswith("_resolver")} == {
        n: "CACHED" for n in states if not n.endswith("_resolver")
    }, "no node's code changed: TFX's cache finds every one"
