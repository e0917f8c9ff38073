"""run_ir on small hand-written PipelineSpecs: DAG order, conditions, resolvers, caching, errors.

The "executor" is a tiny Python script (no TF): it logs the ExecutorInput it was given and
writes an executor_output.json the way TFX's Kubeflow V2 entrypoint does, so the launcher's
contract with real executors is exercised in milliseconds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tfxkit.runners.spec_launcher import (
    CelError,
    RunIrError,
    evaluate_condition,
    local_root,
    parse_filter,
    run_compiled,
    task_order,
)

FAKE_EXECUTOR = r"""
import json, os, sys
args = sys.argv[1:]
ei = json.loads(args[args.index("--input") + 1])
role = args[args.index("--role") + 1]
with open(os.environ["RUN_IR_LOG"], "a") as log:
    call = {"role": role, "argv": args, "input": ei, "exe": sys.executable,
            "extra": os.environ.get("EXTRA_FLAG")}
    log.write(json.dumps(call) + "\n")
if role == "fail":
    print("stdout noise")
    print("Traceback (most recent call last):\nValueError: boom, the executor broke",
          file=sys.stderr)
    sys.exit(3)
params = ei["inputs"].get("parameterValues", {})
if role == "driver":
    out = {"parameterValues": {"span": 7, "input_fingerprint": "fp-1"},
           "artifacts": {k: {"artifacts": [{"metadata": {"span": 7.0}}]}
                         for k in ei["outputs"]["artifacts"]}}
else:
    out = {"artifacts": {}, "parameterValues": {}}
    for key, listed in ei["outputs"]["artifacts"].items():
        art = dict(listed["artifacts"][0])
        art.pop("type")
        with open(os.path.join(art["uri"], "data.txt"), "w") as f:
            f.write(role)
        meta = dict(art["metadata"], producer=role)
        if "blessed" in params:
            meta["blessed"] = float(params["blessed"])
        model = ei["inputs"].get("artifacts", {}).get("model", {}).get("artifacts", [])
        if model:
            meta["current_model_id"] = model[0]["name"]
        art["metadata"] = meta
        out["artifacts"][key] = {"artifacts": [art]}
os.makedirs(os.path.dirname(ei["outputs"]["outputFile"]), exist_ok=True)
with open(ei["outputs"]["outputFile"], "w") as f:
    json.dump(out, f)
"""

SCHEMA = {
    "examples": "title: tfx.Examples\ntype: object\n",
    "model": "title: tfx.Model\ntype: object\n",
    "blessing": "title: tfx.ModelBlessing\ntype: object\n",
}


def _type(kind: str) -> dict[str, Any]:
    return {"artifactType": {"instanceSchema": SCHEMA[kind]}}


def _from(producer: str, key: str) -> dict[str, Any]:
    return {"taskOutputArtifact": {"producerTask": producer, "outputArtifactKey": key}}


class SpecBuilder:
    """Builds a PipelineJob dict the way KubeflowV2DagRunner lays one out."""

    def __init__(self, script: Path, root: str) -> None:
        self.script = script
        self.job: dict[str, Any] = {
            "displayName": "mini",
            "pipelineSpec": {
                "pipelineInfo": {"name": "mini"},
                "root": {"dag": {"tasks": {}}},
                "components": {},
                "deploymentSpec": {"executors": {}},
                "schemaVersion": "2.0.0",
            },
            "runtimeConfig": {"gcsOutputDirectory": root},
        }

    def container(
        self,
        name: str,
        *,
        role: str | None = None,
        inputs: dict[str, tuple[str, str, str]] | None = None,  # key -> (kind, task, output)
        outputs: dict[str, str] | None = None,  # key -> kind
        params: dict[str, dict[str, Any]] | None = None,
        extra_args: list[str] | None = None,
        **task: Any,
    ) -> SpecBuilder:
        container: dict[str, Any] = {
            "image": "unused:1",
            "command": ["python", str(self.script)],
            "args": ["--input", "{{$}}", "--role", role or name, *(extra_args or [])],
        }
        if task.pop("driver", False):
            container["lifecycle"] = {
                "preCacheCheck": {
                    "command": ["python", str(self.script)],
                    "args": ["--input", "{{$}}", "--role", "driver"],
                }
            }
        return self._add(name, {"container": container}, inputs, outputs, params, task)

    def resolver(
        self,
        name: str,
        queries: dict[str, tuple[str, str]],  # output key -> (kind, filter)
        inputs: dict[str, tuple[str, str, str]] | None = None,
    ) -> SpecBuilder:
        executor = {
            "resolver": {
                "outputArtifactQueries": {k: {"filter": f} for k, (_, f) in queries.items()}
            }
        }
        outputs = {k: kind for k, (kind, _) in queries.items()}
        return self._add(name, executor, inputs, outputs, None, {})

    def _add(self, name, executor, inputs, outputs, params, task) -> SpecBuilder:
        spec = self.job["pipelineSpec"]
        component: dict[str, Any] = {"executorLabel": f"{name}_executor"}
        task_spec: dict[str, Any] = {"taskInfo": {"name": name}, "componentRef": {"name": name}}
        if inputs:
            component["inputDefinitions"] = {
                "artifacts": {k: _type(kind) for k, (kind, _, _) in inputs.items()}
            }
            task_spec["inputs"] = {"artifacts": {k: _from(t, o) for k, (_, t, o) in inputs.items()}}
        if params:
            component.setdefault("inputDefinitions", {})["parameters"] = {
                k: {"type": "INT" if "intValue" in str(v) else "STRING"} for k, v in params.items()
            }
            task_spec.setdefault("inputs", {})["parameters"] = {
                k: {"runtimeValue": v} for k, v in params.items()
            }
        if outputs:
            component["outputDefinitions"] = {
                "artifacts": {k: _type(kind) for k, kind in outputs.items()}
            }
        task_spec.update(task)
        spec["components"][name] = component
        spec["root"]["dag"]["tasks"][name] = task_spec
        spec["deploymentSpec"]["executors"][f"{name}_executor"] = executor
        return self

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(self.job, indent=1))
        return path


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "fake_executor.py"
    path.write_text(FAKE_EXECUTOR)
    return path


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "calls.jsonl"
    monkeypatch.setenv("RUN_IR_LOG", str(path))
    return path


def _calls(log: Path) -> list[dict[str, Any]]:
    if not log.is_file():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


BLESSING_QUERY = (
    'schema_title="tfx.ModelBlessing" AND state=LIVE AND metadata.blessed.number_value=1'
)
MODEL_QUERY = (
    'schema_title="tfx.Model" AND state=LIVE AND '
    "name=\"{{$.inputs.artifacts['input'].metadata['current_model_id']}}\""
)
BLESSED = "(inputs.artifacts['blessing'].artifacts[0].metadata['blessed'] == 1.0)"


def mini_pipeline(script: Path, root: str, blessed: int = 1, condition: str = BLESSED):
    """gen -> train -> (latest blessed resolvers) -> evaluate -> push if blessed."""
    return (
        SpecBuilder(script, root)
        .container(
            "gen",
            outputs={"examples": "examples"},
            params={"p": {"constantValue": {"stringValue": "x"}}},
            driver=True,
            cachingOptions={"enableCache": True},
        )
        .container(
            "train",
            inputs={"examples": ("examples", "gen", "examples")},
            outputs={"model": "model"},
            params={"steps": {"constant": 20}},
            extra_args=["--steps={{$.inputs.parameters['steps']}}"],
            cachingOptions={"enableCache": True},
        )
        .resolver("blessing_resolver", {"model_blessing": ("blessing", BLESSING_QUERY)})
        .resolver(
            "model_resolver",
            {"model": ("model", MODEL_QUERY)},
            inputs={"input": ("blessing", "blessing_resolver", "model_blessing")},
        )
        .container(
            "evaluator",
            inputs={
                "model": ("model", "train", "model"),
                "baseline_model": ("model", "model_resolver", "model"),
            },
            outputs={"blessing": "blessing"},
            params={"blessed": {"constantValue": {"intValue": str(blessed)}}},
            dependentTasks=["model_resolver", "train"],
        )
        .container(
            "pusher",
            inputs={
                "model": ("model", "train", "model"),
                "blessing": ("blessing", "evaluator", "blessing"),
            },
            outputs={"pushed": "model"},
            triggerPolicy={"condition": condition},
        )
    )


# ------------------------------------------------------------------------------ DAG order
def test_task_order_follows_dependencies_and_producers() -> None:
    tasks = {
        "d": {"dependentTasks": ["c"]},
        "c": {"inputs": {"artifacts": {"x": _from("a", "out")}}},
        "b": {},
        "a": {
            "inputs": {
                "parameters": {
                    "p": {"taskOutputParameter": {"producerTask": "b", "outputParameterKey": "v"}}
                }
            }
        },
    }
    assert task_order(tasks) == ["b", "a", "c", "d"]


def test_task_order_rejects_cycles_and_unknown_tasks() -> None:
    with pytest.raises(RunIrError, match="cycle among tasks a, b"):
        task_order({"a": {"dependentTasks": ["b"]}, "b": {"dependentTasks": ["a"]}})
    with pytest.raises(RunIrError, match="'a' depends on unknown task"):
        task_order({"a": {"dependentTasks": ["ghost"]}})


def test_run_executes_tasks_in_dag_order(script: Path, log: Path, tmp_path: Path) -> None:
    spec = mini_pipeline(script, str(tmp_path / "root")).write(tmp_path / "p.json")
    lines: list[str] = []
    summary = run_compiled(spec, progress=lines.append)
    roles = [c["role"] for c in _calls(log)]
    assert roles == ["driver", "gen", "train", "evaluator", "pusher"]
    # Dependencies first; ties broken by name so every run has the same order.
    assert [t.task for t in summary.tasks] == [
        "blessing_resolver",
        "gen",
        "model_resolver",
        "train",
        "evaluator",
        "pusher",
    ]
    assert summary.status("pusher") == "finished"
    assert any(line.endswith("pusher: started") for line in lines)
    assert any("pusher: finished in" in line for line in lines)


# ------------------------------------------------------------------ inputs handed to tasks
def test_executor_input_carries_parameters_artifacts_and_driver_output(
    script: Path, log: Path, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    spec = mini_pipeline(script, str(root)).write(tmp_path / "p.json")
    summary = run_compiled(spec, progress=lambda _: None)
    calls = {c["role"]: c for c in _calls(log)}
    gen = calls["gen"]["input"]
    # Parameters in the legacy form (read by TFX without spec 2.1) and as struct values.
    assert gen["inputs"]["parameters"]["p"] == {"stringValue": "x"}
    assert gen["inputs"]["parameterValues"]["p"] == "x"
    # The preCacheCheck driver's span/fingerprint reached the executor, as KFP folds them in.
    assert gen["inputs"]["parameters"]["span"] == {"intValue": "7"}
    assert gen["inputs"]["parameters"]["input_fingerprint"] == {"stringValue": "fp-1"}
    assert gen["outputs"]["artifacts"]["examples"]["artifacts"][0]["metadata"] == {"span": 7.0}
    assert gen["outputs"]["outputFile"].startswith(str(root))
    # `constant` (spec 2.1 style) parameters and {{$.inputs.parameters[...]}} placeholders.
    train = calls["train"]
    assert train["input"]["inputs"]["parameters"]["steps"] == {"intValue": "20"}
    assert "--steps=20" in train["argv"]
    # Downstream gets the upstream's URI, name, type and the metadata its executor reported.
    [examples] = train["input"]["inputs"]["artifacts"]["examples"]["artifacts"]
    assert examples["uri"] == summary.outputs["gen"]["examples"][0]
    assert examples["metadata"]["producer"] == "gen"
    assert examples["metadata"]["span"] == 7.0
    assert examples["type"]["instanceSchema"].startswith("title: tfx.Examples")
    assert Path(examples["uri"], "data.txt").read_text() == "gen"


# ----------------------------------------------------------------------------- conditions
@pytest.mark.parametrize(
    ("blessed", "expected"),
    [(1.0, True), (0.0, False)],
)
def test_condition_on_artifact_metadata(blessed: float, expected: bool) -> None:
    inputs = {"artifacts": {"blessing": {"artifacts": [{"metadata": {"blessed": blessed}}]}}}
    assert evaluate_condition(BLESSED, inputs) is expected


def test_condition_operators() -> None:
    inputs = {
        "artifacts": {
            "a": {"artifacts": [{"uri": "uri", "metadata": {"property": "value1", "n": 3}}]}
        },
        "parameter_values": {"flag": True},
    }
    cond = (
        "!((inputs.artifacts['a'].artifacts[0].uri == 'uri')) && "
        "(inputs.artifacts['a'].artifacts[0].metadata['property'] == 'value1')"
    )
    assert evaluate_condition(cond, inputs) is False
    assert evaluate_condition(cond.replace("!", "", 1), inputs) is True
    assert evaluate_condition("inputs.artifacts['a'].artifacts[0].metadata['n'] > 2", inputs)
    assert evaluate_condition("inputs.artifacts['a'].artifacts[0].metadata['n'] == 3.0", inputs)
    assert evaluate_condition("false || inputs.parameter_values['flag']", inputs)
    with pytest.raises(CelError, match="no such key 'missing'"):
        evaluate_condition("inputs.artifacts['missing'].artifacts[0].uri == 'x'", inputs)
    with pytest.raises(CelError):
        evaluate_condition("inputs.artifacts['a'] ==", inputs)


def test_unblessed_model_skips_the_pusher(script: Path, log: Path, tmp_path: Path) -> None:
    spec = mini_pipeline(script, str(tmp_path / "root"), blessed=0).write(tmp_path / "p.json")
    lines: list[str] = []
    summary = run_compiled(spec, progress=lines.append)
    assert summary.status("evaluator") == "finished"
    assert summary.status("pusher") == "skipped"
    assert "pusher" not in summary.outputs
    assert "pusher" not in [c["role"] for c in _calls(log)]
    assert any("pusher: skipped (condition false" in line for line in lines)


def test_condition_on_undeclared_implicit_input_is_resolved_with_a_warning(
    script: Path, log: Path, tmp_path: Path
) -> None:
    """TFX names the Cond channel `_<task>.<output>` even when it is declared under another key."""
    condition = BLESSED.replace("'blessing'", "'_evaluator.blessing'")
    spec = mini_pipeline(script, str(tmp_path / "root"), condition=condition)
    summary = run_compiled(spec.write(tmp_path / "p.json"), progress=lambda _: None)
    assert summary.status("pusher") == "finished"
    [warning] = summary.warnings
    assert "'_evaluator.blessing'" in warning and "does not declare" in warning


def test_condition_on_unknown_input_is_an_error(script: Path, log: Path, tmp_path: Path) -> None:
    condition = BLESSED.replace("'blessing'", "'_nowhere.blessing'")
    spec = mini_pipeline(script, str(tmp_path / "root"), condition=condition)
    with pytest.raises(RunIrError, match=r"'pusher'.*_nowhere\.blessing"):
        run_compiled(spec.write(tmp_path / "p.json"), progress=lambda _: None)


# ----------------------------------------------------------------------- resolvers + cache
def test_second_run_resolves_the_first_runs_blessed_model(
    script: Path, log: Path, tmp_path: Path
) -> None:
    spec = mini_pipeline(script, str(tmp_path / "root")).write(tmp_path / "p.json")
    first = run_compiled(spec, progress=lambda _: None)
    assert first.status("blessing_resolver") == "resolved"
    assert first.outputs["blessing_resolver"] == {"model_blessing": []}
    assert first.outputs["model_resolver"] == {"model": []}

    second = run_compiled(spec, progress=lambda _: None)
    assert second.run_id != first.run_id
    assert (
        second.outputs["blessing_resolver"]["model_blessing"]
        == first.outputs["evaluator"]["blessing"]
    )
    assert second.outputs["model_resolver"]["model"] == first.outputs["train"]["model"]
    evaluator = [c for c in _calls(log) if c["role"] == "evaluator"][-1]["input"]
    [baseline] = evaluator["inputs"]["artifacts"]["baseline_model"]["artifacts"]
    assert baseline["uri"] == first.outputs["train"]["model"][0]
    # Cached tasks reuse the first run's outputs; the others ran again.
    assert second.status("gen") == "cached"
    assert second.status("train") == "cached"
    assert second.outputs["train"] == first.outputs["train"]
    assert second.status("evaluator") == "finished"
    roles = [c["role"] for c in _calls(log)]
    assert roles.count("train") == 1 and roles.count("driver") == 2

    third = run_compiled(spec, progress=lambda _: None, enable_cache=False)
    assert third.status("train") == "finished"
    assert third.outputs["train"] != first.outputs["train"]


def test_resolver_filter_parsing() -> None:
    assert parse_filter(BLESSING_QUERY) == [
        ("schema_title", "=", "tfx.ModelBlessing"),
        ("state", "=", "LIVE"),
        ("metadata.blessed.number_value", "=", 1.0),
    ]
    with pytest.raises(RunIrError, match="only AND"):
        parse_filter('schema_title="a" OR schema_title="b"')
    with pytest.raises(RunIrError, match="field 'create_time'"):
        parse_filter("create_time=3")


def test_importer_registers_the_uri_and_feeds_it_downstream(
    script: Path, log: Path, tmp_path: Path
) -> None:
    data = tmp_path / "curated_schema"
    data.mkdir()
    builder = SpecBuilder(script, str(tmp_path / "root")).container(
        "consumer", inputs={"schema": ("examples", "importer", "result")}, outputs={"o": "model"}
    )
    spec = builder.job["pipelineSpec"]
    spec["root"]["dag"]["tasks"]["importer"] = {
        "taskInfo": {"name": "importer"},
        "componentRef": {"name": "importer"},
    }
    spec["components"]["importer"] = {
        "executorLabel": "importer_executor",
        "outputDefinitions": {"artifacts": {"result": _type("examples")}},
    }
    spec["deploymentSpec"]["executors"]["importer_executor"] = {
        "importer": {
            "artifactUri": {"constantValue": {"stringValue": str(data)}},
            "typeSchema": {"instanceSchema": SCHEMA["examples"]},
            "metadata": {"span": 3.0},
        }
    }
    first = run_compiled(builder.write(tmp_path / "p.json"), progress=lambda _: None)
    assert first.outputs["importer"] == {"result": [str(data)]}
    [call] = _calls(log)
    [given] = call["input"]["inputs"]["artifacts"]["schema"]["artifacts"]
    assert given["uri"] == str(data) and given["metadata"] == {"span": 3.0}
    # Without reimport, a second run reuses the same imported artifact.
    second = run_compiled(tmp_path / "p.json", progress=lambda _: None)
    assert second.artifacts["importer"] == first.artifacts["importer"]


# --------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("root", ["gs://bucket/root", "s3://bucket/root"])
def test_remote_pipeline_root_is_refused(
    root: str, script: Path, log: Path, tmp_path: Path
) -> None:
    spec = mini_pipeline(script, root).write(tmp_path / "p.json")
    with pytest.raises(RunIrError, match=f"pipeline root {root} is not a local path"):
        run_compiled(spec, progress=lambda _: None)
    # An explicit remote root is refused as well, even if the file's root is local.
    local_spec = mini_pipeline(script, str(tmp_path / "r")).write(tmp_path / "l.json")
    with pytest.raises(RunIrError, match="not a local path"):
        run_compiled(local_spec, root, progress=lambda _: None)
    assert _calls(log) == []


def test_local_root_accepts_file_urls_and_relative_paths(tmp_path: Path) -> None:
    assert local_root(f"file://{tmp_path}", "gs://x") == tmp_path
    assert local_root(None, str(tmp_path / "a" / ".." / "b")) == tmp_path / "b"
    with pytest.raises(RunIrError, match="no pipeline root"):
        local_root(None, None)


def test_failed_task_stops_the_run_naming_task_and_stderr(
    script: Path, log: Path, tmp_path: Path
) -> None:
    builder = mini_pipeline(script, str(tmp_path / "root"))
    args = builder.job["pipelineSpec"]["deploymentSpec"]["executors"]["train_executor"]
    args["container"]["args"][3] = "fail"
    lines: list[str] = []
    with pytest.raises(RunIrError) as caught:
        run_compiled(builder.write(tmp_path / "p.json"), progress=lines.append)
    message = str(caught.value)
    assert message.startswith("task 'train' failed: executor exited with code 3")
    assert "ValueError: boom, the executor broke" in message
    assert "stdout noise" not in message
    summary = caught.value.summary
    assert summary is not None and summary.status("train") == "failed"
    assert summary.status("evaluator") is None  # nothing ran after the failure
    assert "fail" in [c["role"] for c in _calls(log)]
    assert "evaluator" not in [c["role"] for c in _calls(log)]
    assert any("train: FAILED after" in line for line in lines)


def test_unsupported_executor_kind_is_named_before_anything_runs(
    script: Path, log: Path, tmp_path: Path
) -> None:
    builder = mini_pipeline(script, str(tmp_path / "root"))
    executors = builder.job["pipelineSpec"]["deploymentSpec"]["executors"]
    executors["pusher_executor"] = {"customJob": {"jobSpec": {}}}
    with pytest.raises(RunIrError, match="task 'pusher': executor kind customJob"):
        run_compiled(builder.write(tmp_path / "p.json"), progress=lambda _: None)
    assert _calls(log) == []


def test_unknown_placeholder_is_reported(script: Path, log: Path, tmp_path: Path) -> None:
    builder = mini_pipeline(script, str(tmp_path / "root"))
    container = builder.job["pipelineSpec"]["deploymentSpec"]["executors"]["train_executor"]
    container["container"]["args"].append("{{$.workspace_path}}")
    with pytest.raises(RunIrError, match=r"placeholder \{\{\$\.workspace_path\}\}"):
        run_compiled(builder.write(tmp_path / "p.json"), progress=lambda _: None)


def test_python_command_uses_this_interpreter_and_env(
    script: Path, log: Path, tmp_path: Path
) -> None:
    spec = mini_pipeline(script, str(tmp_path / "root")).write(tmp_path / "p.json")
    summary = run_compiled(spec, progress=lambda _: None, env={"EXTRA_FLAG": "1"})
    calls = _calls(log)
    assert {c["exe"] for c in calls} == {sys.executable}
    assert {c["extra"] for c in calls} == {"1"}
    # What each task was given is kept next to its outputs, for debugging.
    gen_dir = Path(summary.outputs["gen"]["examples"][0]).parent
    saved = json.loads((gen_dir / "executor_input.json").read_text())
    assert saved["outputs"]["outputFile"] == str(gen_dir / "executor_output.json")


# ------------------------------------------------------------------------------------ CLI
def test_cli_run_ir_prints_progress_and_summary(script: Path, log: Path, tmp_path, capsys) -> None:
    from tfxkit import cli

    spec = mini_pipeline(script, str(tmp_path / "root")).write(tmp_path / "p.json")
    assert cli.main(["run-spec", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "pusher: finished in" in out
    assert "tasks:         4 finished, 2 resolved" in out
    assert f"pipeline root: {tmp_path / 'root'}" in out


def test_cli_run_ir_refuses_a_cloud_root(script: Path, log: Path, tmp_path, capsys) -> None:
    from tfxkit import cli

    spec = mini_pipeline(script, "gs://bucket/root").write(tmp_path / "p.json")
    assert cli.main(["run-ir", str(spec)]) == 1  # run-spec's old name, kept as a hidden alias
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "gs://bucket/root" in err
    assert not log.exists() or _calls(log) == [], "nothing may run"
