"""Gate verdicts: stored with their artifacts, read back by kind, turned into the run summary.

The runner's side is exercised on a real ML Metadata store (SQLite) holding what the gates'
executors record, and a gate planted in a temporary folder proves that a new gate reaches the
summary, the printed report and the push's conditions with no edit in runners/ or cli/.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
from tfx.types import standard_artifacts

import tfxkit.components
from tests.paths import PENGUIN_CONFIG, PENGUIN_DATA
from tfxkit.components import verdicts
from tfxkit.components.anomaly_gate.verdict import AnomalyRow, AnomalyVerdict
from tfxkit.components.evaluator.verdict import ClassMetrics, EvaluationVerdict
from tfxkit.components.fairness_gate import gaps
from tfxkit.components.model_optimizer.verdict import Measured, OptimizationVerdict
from tfxkit.components.model_pusher.verdict import NOT_BLESSED, PushVerdict
from tfxkit.metadata.store import NODE_CONTEXT, PIPELINE_RUN_CONTEXT
from tfxkit.runners.outcome import fill_outcome
from tfxkit.runners.report import summary_lines
from tfxkit.runners.summary import RunSummary

PIPELINE, RUN = "p", "run-1"


def _connection(tmp_path: Path) -> pb.ConnectionConfig:
    conn = pb.ConnectionConfig()
    conn.sqlite.filename_uri = str(tmp_path / "metadata.sqlite")
    conn.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return conn


def _context(store, type_name: str, name: str) -> pb.Context:
    found = store.get_context_by_type_and_name(type_name, name)
    if found is None:
        type_id = store.put_context_type(pb.ContextType(name=type_name))
        [context_id] = store.put_contexts([pb.Context(type_id=type_id, name=name)])
        [found] = store.get_contexts_by_id([context_id])
    return found


def _record(conn: pb.ConnectionConfig, node_id: str, *outputs) -> None:
    """One completed execution of ``node_id`` in the run, with these (TFX) output artifacts."""
    store = metadata_store.MetadataStore(conn)
    contexts = [
        _context(store, PIPELINE_RUN_CONTEXT, RUN),
        _context(store, NODE_CONTEXT, f"{PIPELINE}.{node_id}"),
    ]
    events = []
    for artifact in outputs:
        proto = pb.Artifact()
        proto.CopyFrom(artifact.mlmd_artifact)
        proto.type_id = store.put_artifact_type(pb.ArtifactType(name=artifact.type_name))
        events.append((proto, pb.Event(type=pb.Event.OUTPUT)))
    execution = pb.Execution(
        type_id=store.put_execution_type(pb.ExecutionType(name="test")),
        last_known_state=pb.Execution.COMPLETE,
    )
    store.put_execution(execution, events, contexts)


def _artifact(kind, folder: Path):
    artifact = kind()
    artifact.uri = str(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return artifact


def _stored(verdict: verdicts.Verdict, folder: Path):
    """An output artifact as the gate's executor leaves it (``GateExecutor.Do``)."""
    artifact = _artifact(getattr(standard_artifacts, verdict.ARTIFACT_TYPE), folder)
    if verdict.BLESSING:
        verdicts.bless(artifact, verdict.passed, verdict.headline())
    verdict.store(artifact)
    return artifact


def _outcome(conn: pb.ConnectionConfig) -> RunSummary:
    summary = RunSummary(pipeline_name=PIPELINE, run_id=RUN, metadata_store="sqlite:test")
    fill_outcome(summary, metadata_store.MetadataStore(conn))
    return summary


def _round_trip(summary: RunSummary) -> RunSummary:
    """What --summary-json writes and an unchanged re-run reads back."""
    return RunSummary.from_dict(json.loads(json.dumps(summary.as_dict())))


def test_every_gate_of_the_package_is_registered() -> None:
    kinds = verdicts.registered()
    assert set(kinds) >= {"anomalies", "evaluation", "fairness", "optimization", "push"}
    assert kinds["push"].ARTIFACT_TYPE == "PushedModel" and not kinds["push"].BLESSING
    assert kinds["anomalies"].ARTIFACT_TYPE == "Schema"
    with pytest.raises(TypeError, match="needs a default 'kind'"):
        verdicts.register(verdicts.Verdict)


def test_a_verdict_of_an_unknown_kind_still_reads_as_a_verdict() -> None:
    data = {"kind": "newer_gate", "passed": False, "reasons": ["too slow"], "latency": 3.0}
    verdict = verdicts.parse(data)
    assert type(verdict) is verdicts.Verdict and verdict.lines() == ["newer_gate: FAILED: too slow"]
    assert isinstance(verdicts.parse(PushVerdict(passed=True).model_dump()), PushVerdict)


def test_a_schema_keeps_only_its_file(tmp_path: Path) -> None:
    """Transform reads the gated schema's only file: that verdict lives in a property."""
    row = AnomalyRow(split="eval", feature="f", anomaly="X", severity="WARNING", description="d")
    schema = _stored(AnomalyVerdict(warnings=[row]), tmp_path / "s")
    assert list((tmp_path / "s").iterdir()) == []
    assert verdicts.read(schema) == AnomalyVerdict(warnings=[row])
    assert verdicts.read(_artifact(standard_artifacts.Schema, tmp_path / "plain")) is None


def test_the_outcome_of_a_run_from_its_gates_verdicts(tmp_path: Path, monkeypatch) -> None:
    import tensorflow_transform as tft

    conn = _connection(tmp_path)
    # The Transform's label vocabulary names the per-class metrics' class ids.
    vocabulary = SimpleNamespace(vocabulary_by_name=lambda name: [b"Adelie"])
    monkeypatch.setattr(tft, "TFTransformOutput", lambda uri: vocabulary)
    _record(conn, "transform", _artifact(standard_artifacts.TransformGraph, tmp_path / "graph"))
    row = AnomalyRow(split="eval", feature="f", anomaly="X", severity="WARNING", description="d")
    _record(conn, "anomaly_gate", _stored(AnomalyVerdict(warnings=[row]), tmp_path / "schema"))
    evaluation = EvaluationVerdict(
        passed=True,
        metrics={"accuracy": 0.9},
        per_class={
            "0": ClassMetrics(examples=10, precision=1.0, recall=None),
            "1": ClassMetrics(examples=5, precision=None, recall=0.0),
        },
    )
    _record(conn, "evaluator", _stored(evaluation, tmp_path / "e"))
    overall = gaps.Counts(tp=100, fp=20, tn=180, fn=10)
    fairness = gaps.judge(
        overall,
        {"group": {"a": gaps.Counts(60, 5, 150, 5), "b": gaps.Counts(40, 15, 30, 5)}},
        {
            "sensitive_features": ["group"],
            "metrics": {"false_positive_rate": {"max_difference": 0.1}},
            "reference": {},
            "min_slice_size": 30,
            "decision_threshold": 0.5,
        },
    )
    blessing = _stored(fairness, tmp_path / "f")
    assert blessing.get_int_custom_property("blessed") == 0
    _record(conn, "fairness_gate", blessing)
    denied = PushVerdict(passed=False, reasons=[NOT_BLESSED])
    _record(conn, "pusher", _stored(denied, tmp_path / "push"))
    measured = Measured(
        name="pruned-0.5", size_bytes=10, gzip_bytes=5, params=100, nonzero_params=50,
        latency_ms={"p50_ms_b1": 1.0}, metric="accuracy", quality=0.9,
    )  # fmt: skip
    comparison = {
        "metric": "accuracy", "original_quality": 0.91, "optimized_quality": 0.9,
        "gzip_size_ratio": 0.5, "params_ratio": 1.0, "latency_ratio_b1": 0.9,
        "latency_ratio_b32": None, "accuracy_drop_points": 1.0,
    }  # fmt: skip
    pruned = OptimizationVerdict(
        passed=True, optimization="prune", original=measured, optimized=measured,
        comparison=comparison, sparsity=0.5, eval_rows=60, bounds={"max_accuracy_drop": 2.0},
    )  # fmt: skip
    _record(conn, "model_pruner", _stored(pruned, tmp_path / "o"))
    tfma = EvaluationVerdict(passed=False, metrics={"accuracy": 0.5})
    _record(conn, "pruned_evaluator", _stored(tfma, tmp_path / "t"))
    push = PushVerdict(passed=True, destination="/serving/p-pruned/1", version=1)
    _record(conn, "pruned_pusher", _stored(push, tmp_path / "pp"))

    summary = _outcome(conn)
    assert list(summary.verdicts) == [
        "anomaly_gate", "evaluator", "fairness_gate", "pusher", "model_pruner",
        "pruned_evaluator", "pruned_pusher",
    ]  # fmt: skip
    # The trained model's gates decide "blessed"; the optimized model's gates do not.
    assert summary.blessed is False
    # The flat fields of --summary-json, as earlier versions wrote them.
    assert summary.metrics == {"accuracy": 0.9} and summary.blessing_failures == []
    assert summary.per_class == {
        "Adelie": {"examples": 10.0, "precision": 1.0, "recall": None},
        "class 1": {"examples": 5.0, "precision": None, "recall": 0.0},  # not in the vocabulary
    }
    assert list(summary.verdicts["evaluator"]["per_class"]) == ["Adelie", "class 1"]
    assert summary.fairness["blessed"] is False
    assert summary.fairness["failures"] == fairness.reasons and summary.fairness["rows"]
    assert summary.anomalies == [row.model_dump()]
    assert summary.pushed_path is None
    [report] = summary.optimizations
    assert report["kind"] == "prune" and report["gate"] == {
        "max_accuracy_drop": 2.0, "passed": True, "reasons": [],
    }  # fmt: skip
    assert summary.optimized_evaluations == {"pruned_evaluator": False}
    assert summary.optimized_pushes == {"pruned_pusher": "/serving/p-pruned/1"}
    lines = summary_lines(summary)
    assert "blessed:   no" in lines and "pushed:    nothing pushed" in lines
    assert "metrics:   accuracy=0.9" in lines
    assert any(line.startswith("fairness:  FAILED: not fair enough") for line in lines)
    assert "anomalies: 1 reported as warnings (validation.severity)" in lines
    [optimized] = [line for line in lines if line.startswith("optimized:")]
    assert optimized.endswith("passed; TFMA vs original: not blessed -> /serving/p-pruned/1")
    # The summary JSON round-trips and prints the same (an unchanged re-run reads it back).
    assert summary_lines(_round_trip(summary)) == lines


def test_a_blessing_without_a_verdict_counts_by_its_property(tmp_path: Path) -> None:
    """TFX's own Evaluator in a custom pipeline: blessed 1 blesses; none (no threshold) not."""
    conn = _connection(tmp_path)
    blessed = _artifact(standard_artifacts.ModelBlessing, tmp_path / "a")
    blessed.set_int_custom_property("blessed", 1)
    _record(conn, "tfx_evaluator", blessed)
    assert _outcome(conn).blessed is True
    _record(conn, "another", _artifact(standard_artifacts.ModelBlessing, tmp_path / "b"))
    assert _outcome(conn).blessed is False


# A gate written the way a new one would be: its own component folder, nothing else in tfxkit.
PLANTED = {
    "__init__.py": '"""A throwaway gate: a model with more files than allowed is not pushed."""\n',
    "verdict.py": """
        from typing import ClassVar, Literal

        from tfxkit.components.verdicts import Verdict, register


        @register
        class FileCountVerdict(Verdict):
            BLESSING: ClassVar[bool] = True

            kind: Literal["file_count"] = "file_count"
            files: int
    """,
    "executor.py": """
        import os

        from tfx.dsl.components.base import base_executor

        from tfxkit.components.planted_gate.verdict import FileCountVerdict
        from tfxkit.components.verdicts import GateExecutor


        class Executor(GateExecutor, base_executor.BaseExecutor):
            def decide(self, inputs, outputs, properties):
                files = len(os.listdir(inputs["model"][0].uri))
                limit = properties["max_files"]
                too_many = [f"{files} files, more than {limit}"] if files > limit else []
                return FileCountVerdict(passed=not too_many, reasons=too_many, files=files)
    """,
    "component.py": """
        from tfx import types
        from tfx.dsl.components.base import base_component, executor_spec
        from tfx.types import standard_artifacts
        from tfx.types.component_spec import ChannelParameter, ExecutionParameter

        from tfxkit.components.planted_gate import executor


        class PlantedGateSpec(types.ComponentSpec):
            PARAMETERS = {"max_files": ExecutionParameter(type=int)}
            INPUTS = {"model": ChannelParameter(type=standard_artifacts.Model)}
            OUTPUTS = {"blessing": ChannelParameter(type=standard_artifacts.ModelBlessing)}


        class PlantedGate(base_component.BaseComponent):
            SPEC_CLASS = PlantedGateSpec
            EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

            def __init__(self, model, max_files):
                blessing = types.Channel(type=standard_artifacts.ModelBlessing)
                spec = PlantedGateSpec(model=model, max_files=max_files, blessing=blessing)
                super().__init__(spec=spec)
    """,
}
PLANTED_NODE_ID = "planted_gate"  # what pipeline/stages/node_ids.py would hold


@pytest.fixture
def planted(tmp_path: Path, monkeypatch):
    """``tfxkit.components.planted_gate``, from a folder outside the source tree."""
    folder = tmp_path / "components" / "planted_gate"
    folder.mkdir(parents=True)
    for name, text in PLANTED.items():
        (folder / name).write_text(textwrap.dedent(text))
    monkeypatch.setattr(
        tfxkit.components, "__path__", [*tfxkit.components.__path__, str(folder.parent)]
    )
    monkeypatch.setattr(verdicts, "_REGISTRY", dict(verdicts._REGISTRY))
    yield folder
    for name in [m for m in sys.modules if m.startswith("tfxkit.components.planted_gate")]:
        del sys.modules[name]


def test_a_planted_gate_needs_no_edit_in_runners_or_cli(planted: Path, tmp_path: Path) -> None:
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.pipeline.compiler import compile_tfx_ir
    from tfxkit.pipeline.dsl import PipelineBuilder

    assert "file_count" in verdicts.registered()  # found by its folder
    from tfxkit.components.planted_gate.component import PlantedGate
    from tfxkit.components.planted_gate.executor import Executor

    # The stage (what pipeline/stages/<stage>.py would add): its blessing is one more gate.
    overrides = [f"workspace={tmp_path / 'ws'}", f"data.path={PENGUIN_DATA}"]
    config = load_config(PENGUIN_CONFIG, overrides)
    p = PipelineBuilder(config)
    data = p.ingest()
    checked = p.validate(data)
    trained = p.train(p.transform(data, checked), checked)
    evaluated = p.evaluate(data, trained)
    gate = p.add(PlantedGate(model=trained.model, max_files=1), PLANTED_NODE_ID)
    p.push(trained, evaluated, SimpleNamespace(blessing=gate.outputs["blessing"]))
    ir = compile_tfx_ir(p.build())
    [pusher] = [n.pipeline_node for n in ir.nodes if n.pipeline_node.node_info.id == "pusher"]
    # Pushed only when every gate blesses: the Evaluator, the planted gate, the infra check.
    assert len(pusher.inputs.conditionals) == 3

    # Its executor, as a run calls it; then the runner's outcome, report and summary JSON.
    model = _artifact(standard_artifacts.Model, tmp_path / "model")
    (tmp_path / "model" / "a").write_text("")
    (tmp_path / "model" / "b").write_text("")
    blessing = _artifact(standard_artifacts.ModelBlessing, tmp_path / "blessing")
    Executor().Do({"model": [model]}, {"blessing": [blessing]}, {"max_files": 1})
    assert blessing.get_int_custom_property("blessed") == 0  # what the push's condition tests
    assert (tmp_path / "blessing" / "NOT_BLESSED").exists()
    conn = _connection(tmp_path)
    _record(conn, "evaluator", _stored(EvaluationVerdict(passed=True), tmp_path / "e"))
    _record(conn, PLANTED_NODE_ID, blessing)
    summary = _round_trip(_outcome(conn))
    assert summary.blessed is False  # the evaluator blessed; the planted gate did not
    assert summary.verdicts[PLANTED_NODE_ID] == {
        "kind": "file_count", "passed": False, "judged": True,
        "reasons": ["2 files, more than 1"], "files": 2,
    }  # fmt: skip
    assert "file_count: FAILED: 2 files, more than 1" in summary_lines(summary)


def test_a_gate_passed_reads_either_property_as_int_or_double() -> None:
    from ml_metadata.proto import metadata_store_pb2

    from tfxkit.components.verdicts import gate_passed

    def artifact(**values: float) -> metadata_store_pb2.Artifact:
        proto = metadata_store_pb2.Artifact()
        for name, value in values.items():
            if isinstance(value, float):  # what a KFP ExecutorInput's metadata number becomes
                proto.custom_properties[name].double_value = value
            else:
                proto.custom_properties[name].int_value = value
        return proto

    assert gate_passed(artifact(blessed=1)) and gate_passed(artifact(blessed=1.0))
    assert gate_passed(artifact(passed=1)) and gate_passed(artifact(passed=1.0))
    assert not gate_passed(artifact(blessed=0)) and not gate_passed(artifact(passed=0.0))
    assert not gate_passed(artifact())  # a blessing that says nothing never passes


def test_a_gate_passed_reads_a_blessing_that_came_through_a_kfp_executor_input() -> None:
    from google.protobuf import json_format
    from kfp.pipeline_spec import pipeline_spec_pb2
    from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_entrypoint_utils as entry

    from tfxkit.components.verdicts import gate_passed

    def parsed(blessed: float) -> object:
        # As a Kubeflow/Vertex task receives an upstream infra check's output: metadata numbers.
        executor_input = json_format.ParseDict(
            {
                "inputs": {
                    "artifacts": {
                        "infra_blessing": {
                            "artifacts": [
                                {
                                    "name": "run/infra_check/infra_blessing",
                                    "type": {"instanceSchema": "title: tfx.InfraBlessing\n"},
                                    "uri": "/tmp/infra_blessing",
                                    "metadata": {"blessed": blessed},
                                }
                            ]
                        }
                    }
                }
            },
            pipeline_spec_pb2.ExecutorInput(),
        )
        return entry.parse_raw_artifact_dict(executor_input.inputs.artifacts)["infra_blessing"][0]

    assert gate_passed(parsed(1.0)) and not gate_passed(parsed(0.0))
