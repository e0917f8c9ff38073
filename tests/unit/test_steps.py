"""A user's own steps in the DSL (issue 30 #1, #2, #4, #5): the code in the cache key, wiring
errors naming both ends, gate steps in p.push, container steps run locally as subprocesses."""

from __future__ import annotations

import gzip
import json
import struct
import sys
from pathlib import Path

import pytest
from tfx import v1 as tfx
from tfx.types import standard_artifacts

from tests.paths import PENGUIN_CONFIG, REPO
from tfxkit.components import verdicts
from tfxkit.config.pipeline_config import load_config
from tfxkit.errors import PipelineDefinitionError
from tfxkit.pipeline.compiler import compile_tfx_ir
from tfxkit.pipeline.dsl import load_pipeline
from tfxkit.pipeline.local_container import LocalContainerExecutor
from tfxkit.pipeline.steps import bless

STEPS = """\
from tfx import v1 as tfx
import tfxkit
from step_helpers import LIMIT

Model = tfx.types.standard_artifacts.Model
ModelBlessing = tfx.types.standard_artifacts.ModelBlessing


@tfx.dsl.components.component
def Gate(
    model: tfx.dsl.components.InputArtifact[Model],
    blessing: tfx.dsl.components.OutputArtifact[ModelBlessing],
    limit: tfx.dsl.components.Parameter[int] = LIMIT,
) -> None:
    tfxkit.bless(blessing, True, "fine", model=model)


@tfx.dsl.components.component
def NoBlessing(model: tfx.dsl.components.InputArtifact[Model]) -> None:
    pass
"""
PIPELINE = """\
from tfxkit import PipelineBuilder
from my_steps import Gate, NoBlessing


def create_pipeline(config):
    p = PipelineBuilder(config)
    data = p.ingest()
    checked = p.validate(data)
    trained = p.train(p.transform(data, checked), checked)
    evaluated = p.evaluate(data, trained)
    gate = p.add({step}, "gate")
    p.push(trained, evaluated, {gates})
    return p
"""


def _code(tmp_path: Path, step: str = "Gate(model=trained.model)", gates: str = "gate") -> Path:
    (tmp_path / "my_steps.py").write_text(STEPS)
    (tmp_path / "step_helpers.py").write_text("LIMIT = 1\n")
    path = tmp_path / "pipeline.py"
    path.write_text(PIPELINE.format(step=step, gates=gates))
    return path


def _config(tmp_path: Path):
    return load_config(PENGUIN_CONFIG, [f"workspace={tmp_path / 'ws'}"])


def _node(ir, node_id: str):
    return next(n.pipeline_node for n in ir.nodes if n.pipeline_node.node_info.id == node_id)


def _fingerprint(pipeline: Path, tmp_path: Path) -> str:
    ir = compile_tfx_ir(load_pipeline(pipeline, _config(tmp_path)).build())
    return _node(ir, "gate").parameters.parameters["code_fingerprint"].field_value.string_value


def test_an_edit_to_a_step_or_what_it_imports_changes_its_cache_key(tmp_path: Path) -> None:
    """TFX keys a function step on its class path alone: without the fingerprint an edited step
    was reported cached with its old output."""
    pipeline = _code(tmp_path)
    first = _fingerprint(pipeline, tmp_path)
    assert len(first) == 16
    (tmp_path / "step_helpers.py").write_text("LIMIT = 2\n")  # one import away
    second = _fingerprint(pipeline, tmp_path)
    assert second != first
    (tmp_path / "my_steps.py").write_text(STEPS.replace('"fine"', '"fine!"'))
    assert _fingerprint(pipeline, tmp_path) not in (first, second)


def test_a_gate_step_gates_the_push(tmp_path: Path) -> None:
    ir = compile_tfx_ir(load_pipeline(_code(tmp_path), _config(tmp_path)).build())
    pusher = _node(ir, "pusher")
    predicates = [str(p) for p in pusher.inputs.conditionals.values()]
    assert any("_gate.blessing" in p and "blessed" in p for p in predicates), predicates


def test_a_gate_without_a_blessing_is_refused_naming_its_outputs(tmp_path: Path) -> None:
    pipeline = _code(tmp_path, step="NoBlessing(model=trained.model)")
    with pytest.raises(PipelineDefinitionError, match=r"push\(\) gate 'gate' needs exactly one"):
        load_pipeline(pipeline, _config(tmp_path))
    pipeline = _code(tmp_path, gates="checked.schema")
    with pytest.raises(PipelineDefinitionError, match="is a Schema, not a ModelBlessing"):
        load_pipeline(pipeline, _config(tmp_path))


def test_wiring_the_wrong_artifact_type_names_both_ends(tmp_path: Path) -> None:
    pipeline = _code(tmp_path, step="Gate(model=data.examples)")
    with pytest.raises(PipelineDefinitionError) as err:
        load_pipeline(pipeline, _config(tmp_path))
    message = str(err.value)
    assert "step Gate: input 'model' takes Model artifacts" in message
    assert "wired to 'example_gen' output 'examples', a Examples" in message
    pipeline = _code(tmp_path, step="Gate(model=trained)")
    with pytest.raises(PipelineDefinitionError, match=r"stage result Trained .*pass its \.model"):
        load_pipeline(pipeline, _config(tmp_path))


CONTAINER_PIPELINE = """\
from tfx import v1 as tfx
from tfxkit import PipelineBuilder

Examples = tfx.types.standard_artifacts.Examples
Step = tfx.dsl.experimental.create_container_component(
    name="Step", image={image!r}, inputs={{"examples": Examples}}, outputs={{}},
    command=["python", "-c", "print(1)", tfx.dsl.placeholders.input("examples")[0].uri],
)


def create_pipeline(config):
    p = PipelineBuilder(config)
    p.add(Step(examples=p.ingest().examples), "step")
    return p
"""


def test_a_container_step_in_another_image_is_refused_before_a_local_run(tmp_path: Path) -> None:
    pipeline = tmp_path / "container.py"
    pipeline.write_text(CONTAINER_PIPELINE.format(image="python:3.11"))
    with pytest.raises(PipelineDefinitionError) as err:
        load_pipeline(pipeline, _config(tmp_path))
    assert "container step 'step' runs in image 'python:3.11'" in str(err.value)
    assert "tfxkit.PIPELINE_IMAGE" in str(err.value)


def _tfrecord_gz(path: Path, records: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as handle:
        for _ in range(records):
            data = b"x" * 5
            handle.write(struct.pack("<Q", len(data)) + b"\0" * 4 + data + b"\0" * 4)


def _artifact(kind, uri: Path, artifact_id: int = 1):
    artifact = kind()
    artifact.uri = str(uri)
    artifact.id = artifact_id
    return artifact


def test_the_example_container_step_runs_as_a_subprocess_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a local run does with CountRows: its command, placeholders resolved, in this
    environment (the pipeline's folder importable, as load_pipeline makes it)."""
    monkeypatch.syspath_prepend(str(REPO / "pipelines"))
    monkeypatch.setenv("PYTHONPATH", str(REPO / "pipelines"))
    from penguin_steps.steps import CountRows

    from tfxkit.pipeline import steps

    examples = _artifact(standard_artifacts.Examples, tmp_path / "examples")
    _tfrecord_gz(tmp_path / "examples" / "Split-train" / "data.gz", 7)
    _tfrecord_gz(tmp_path / "examples" / "Split-eval" / "data.gz", 3)
    node = CountRows(examples=tfx.dsl.Channel(type=standard_artifacts.Examples)).with_id("c")
    steps.prepare(node, local=True)
    assert node.executor_spec.executor_class is LocalContainerExecutor
    assert len(node.exec_properties["code_fingerprint"]) == 16  # python -m penguin_steps....
    counts = _artifact(node.outputs["counts"].type, tmp_path / "counts")
    LocalContainerExecutor().Do(
        {"examples": [examples]}, {"counts": [counts]}, dict(node.exec_properties)
    )
    assert json.loads((tmp_path / "counts" / "counts.json").read_text()) == {"eval": 3, "train": 7}


def test_a_failing_container_command_names_its_exit_code_and_output(tmp_path: Path) -> None:
    from tfxkit.pipeline import steps

    Step = tfx.dsl.experimental.create_container_component(  # noqa: N806 (TFX's naming)
        name="Fails",
        image=steps.PIPELINE_IMAGE,
        inputs={},
        outputs={},
        command=[sys.executable, "-c", "import sys; print('no data here'); sys.exit(3)"],
    )
    node = Step().with_id("fails")
    steps.prepare(node, local=True)
    with pytest.raises(RuntimeError, match=r"exited with 3:\nno data here"):
        LocalContainerExecutor().Do({}, {}, dict(node.exec_properties))


def test_bless_records_the_decision_the_push_and_the_summary_read(tmp_path: Path) -> None:
    blessing = _artifact(standard_artifacts.ModelBlessing, tmp_path / "blessing")
    (tmp_path / "blessing").mkdir()
    model = _artifact(standard_artifacts.Model, tmp_path / "model", artifact_id=42)
    bless(blessing, False, "model 80 MB (at most 50)", model=model)
    assert blessing.get_int_custom_property("blessed") == 0
    assert blessing.get_int_custom_property("current_model_id") == 42
    assert (tmp_path / "blessing" / "NOT_BLESSED").exists()
    verdict = verdicts.read(blessing).named("size_gate")
    assert isinstance(verdict, verdicts.StepVerdict) and verdict.BLESSING
    assert verdict.lines() == ["size_gate: FAILED: model 80 MB (at most 50)"]
    assert verdicts.parse(verdict.model_dump(mode="json")).lines() == verdict.lines()
