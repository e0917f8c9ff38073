"""The run report in compiled Kubeflow/Vertex specs (issue 25): a task with KFP's system-typed
outputs, outside the push's conditions, run by tfxkit's entrypoint; never a local node."""

from __future__ import annotations

from pathlib import Path

import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from tests.paths import PENGUIN_CONFIG, PENGUIN_PIPELINE, REPO
from tfxkit.components.run_report.artifacts import ENTRYPOINT
from tfxkit.config.pipeline_config import load_config
from tfxkit.config.profiles import load_profile
from tfxkit.pipeline.dsl import load_pipeline
from tfxkit.pipeline.kfp_compiler import compile_pipeline, use_system_types
from tfxkit.pipeline.stages import node_ids

TITLES = {
    "html": "system.HTML",
    "markdown": "system.Markdown",
    "metrics": "system.Metrics",
    "classification_metrics": "system.ClassificationMetrics",
}


def test_compiled_spec_has_the_report_task_with_system_outputs(tmp_path: Path) -> None:
    config = load_config(PENGUIN_CONFIG, [])
    profile = load_profile(REPO / "configs" / "vertex.yaml", [])
    compiled = compile_pipeline(PENGUIN_PIPELINE, config, profile, output=tmp_path / "p.yaml")
    data = yaml.safe_load(compiled.path.read_text())
    json_format.ParseDict(data, pipeline_spec_pb2.PipelineSpec())  # a valid PipelineSpec
    task = data["root"]["dag"]["tasks"][node_ids.RUN_REPORT]
    assert "triggerPolicy" not in task  # reported whether or not the model was pushed
    assert {"evaluator", "trainer", "statistics_gen", "transform"} <= set(task["dependentTasks"])
    component = data["components"][task["componentRef"]["name"]]
    outputs = component["outputDefinitions"]["artifacts"]
    assert {k: v["artifactType"]["schemaTitle"] for k, v in outputs.items()} == TITLES
    executor = data["deploymentSpec"]["executors"][component["executorLabel"]]["container"]
    assert executor["command"] == ["python", "-m", ENTRYPOINT]
    others = [
        e["container"]["command"][-1]
        for label, e in data["deploymentSpec"]["executors"].items()
        if "container" in e and label != component["executorLabel"]
    ]
    assert ENTRYPOINT not in others  # every other task keeps TFX's entrypoint


def test_local_pipelines_have_no_report_node() -> None:
    builder = load_pipeline(PENGUIN_PIPELINE, load_config(PENGUIN_CONFIG, []))
    assert node_ids.RUN_REPORT not in builder.node_ids()
    assert node_ids.PUSHER in builder.node_ids()


def test_use_system_types_rewrites_only_system_titles() -> None:
    spec = {
        "components": {
            "a": {
                "executorLabel": "a_executor",
                "outputDefinitions": {
                    "artifacts": {
                        "page": {"artifactType": {"instanceSchema": "title: system.HTML\n"}},
                        "model": {"artifactType": {"instanceSchema": "title: tfx.Model\n"}},
                    }
                },
            },
            "b": {
                "executorLabel": "b_executor",
                "outputDefinitions": {
                    "artifacts": {"x": {"artifactType": {"instanceSchema": "title: tfx.Model"}}}
                },
            },
        },
        "deploymentSpec": {
            "executors": {
                "a_executor": {"container": {"command": ["python", "-m", "tfx.x"]}},
                "b_executor": {"container": {"command": ["python", "-m", "tfx.x"]}},
            }
        },
    }
    assert use_system_types(spec) == ["a"]
    outputs = spec["components"]["a"]["outputDefinitions"]["artifacts"]
    assert outputs["page"]["artifactType"] == {
        "schemaTitle": "system.HTML",
        "schemaVersion": "0.0.1",
    }
    assert outputs["model"]["artifactType"] == {"instanceSchema": "title: tfx.Model\n"}
    executors = spec["deploymentSpec"]["executors"]
    assert executors["a_executor"]["container"]["command"][-1] == ENTRYPOINT
    assert executors["b_executor"]["container"]["command"][-1] == "tfx.x"
