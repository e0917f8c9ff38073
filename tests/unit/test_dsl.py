"""DSL: the penguin definition builds the standard graph with explicit ids and a push gate."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.paths import GOLDEN_DIR, PENGUIN_CONFIG, PENGUIN_PIPELINE
from tfxkit.config.pipeline_config import load_config
from tfxkit.pipeline.compiler import compile_tfx_ir
from tfxkit.pipeline.dsl import PipelineBuilder, PipelineDefinitionError, load_pipeline
from tfxkit.runners.local import beam_pipeline_args

STANDARD_NODES = [
    "example_gen",
    "statistics_gen",
    "schema_gen",
    "example_validator",
    "latest_approved_schema_resolver",
    "anomaly_gate",
    "leakage_gate",
    "transform",
    "trainer",
    "latest_blessed_model_resolver",
    "evaluator",
    "infra_check",
    "pusher",
]


@pytest.fixture
def builder(penguin_overrides: list[str]) -> PipelineBuilder:
    return load_pipeline(PENGUIN_PIPELINE, load_config(PENGUIN_CONFIG, penguin_overrides))


def test_penguin_has_the_standard_nodes_in_order(builder: PipelineBuilder) -> None:
    assert builder.node_ids() == STANDARD_NODES


def test_compiled_ir_orders_nodes_and_gates_the_pusher(builder: PipelineBuilder) -> None:
    ir = compile_tfx_ir(builder.build())
    ids = [n.pipeline_node.node_info.id for n in ir.nodes]
    assert sorted(ids) == sorted(STANDARD_NODES)
    # Topological order: the baseline resolver runs after the trainer it excludes.
    assert (
        ids.index("trainer")
        < ids.index("latest_blessed_model_resolver")
        < ids.index("evaluator")
        < ids.index("infra_check")
        < ids.index("pusher")
    )
    # Transform cannot start before the anomaly and leakage gates pass: it takes their schema.
    assert (
        ids.index("example_validator")
        < ids.index("anomaly_gate")
        < ids.index("leakage_gate")
        < ids.index("transform")
    )
    transform = next(
        n.pipeline_node for n in ir.nodes if n.pipeline_node.node_info.id == "transform"
    )
    assert "leakage_gate" in transform.upstream_nodes
    pusher = next(n.pipeline_node for n in ir.nodes if n.pipeline_node.node_info.id == "pusher")
    # One Cond(blessed == 1) per gate: the Evaluator's and the infra check's.
    predicates = [str(p) for p in pusher.inputs.conditionals.values()]
    assert len(predicates) == 2 and all("blessed" in p for p in predicates)
    assert any("_infra_check.infra_blessing" in p for p in predicates)
    assert "infra_blessing" in pusher.inputs.inputs  # its warm-up requests, a regular input


def test_the_leakage_gate_is_configured_from_the_label_unless_off(
    penguin_overrides: list[str],
) -> None:
    """Issue 22 #6: every run scores the features against the label (default warn)."""

    def nodes(*overrides: str) -> dict:
        config = load_config(PENGUIN_CONFIG, [*penguin_overrides, *overrides])
        return {c.id: c for c in load_pipeline(PENGUIN_PIPELINE, config).components}

    settings = json.loads(nodes()["leakage_gate"].exec_properties["settings"])
    assert (settings["action"], settings["task"], settings["label"]) == (
        "warn",
        "multiclass",
        "species",
    )
    assert settings["sample_rows"] == 50_000 and "island" in settings["features"]
    derived = nodes("label={name: big, derive: 'body_mass_g > 4000'}", "validation.leakage=fail")
    settings = json.loads(derived["leakage_gate"].exec_properties["settings"])
    assert settings["label_columns"] == {"body_mass_g": "body_mass_g"}
    assert (settings["action"], settings["task"], settings["label"]) == ("fail", "binary", "")
    off = nodes("validation.leakage=off")
    assert "leakage_gate" not in off
    assert off["transform"].inputs["schema"].producer_component_id == "anomaly_gate"
    assert nodes()["transform"].inputs["schema"].producer_component_id == "leakage_gate"


def test_transform_and_trainer_code_come_from_the_package(builder: PipelineBuilder) -> None:
    ir = compile_tfx_ir(builder.build())
    text = str(ir)
    assert "tfxkit.transform.preprocessing.preprocessing_fn" in text
    assert "tfxkit.training.keras_trainer.run_fn" in text
    assert "module_file" not in text


def test_config_reaches_components(penguin_overrides: list[str]) -> None:
    cfg = load_config(
        PENGUIN_CONFIG,
        [*penguin_overrides, "training.train_steps=7", "data.splits={train: 3, eval: 1, test: 1}"],
    )
    builder = load_pipeline(PENGUIN_PIPELINE, cfg)
    trainer = next(c for c in builder.components if c.id == "trainer")
    assert json.loads(trainer.exec_properties["train_args"]) == {"num_steps": 7}
    assert json.loads(trainer.exec_properties["custom_config"])["training"]["train_steps"] == 7
    gen = next(c for c in builder.components if c.id == "example_gen")
    assert '"name": "test"' in gen.exec_properties["output_config"]


def test_curated_schema_replaces_schema_gen(penguin_overrides: list[str], tmp_path: Path) -> None:
    schema = tmp_path / "schema.pbtxt"
    schema.write_text('feature { name: "island" type: BYTES }\n')
    cfg = load_config(PENGUIN_CONFIG, [*penguin_overrides, f"schema.path={schema}"])
    ids = load_pipeline(PENGUIN_PIPELINE, cfg).node_ids()
    assert "schema_importer" in ids and "schema_gen" not in ids


def test_duplicate_ids_are_rejected(builder: PipelineBuilder) -> None:
    from tfx import v1 as tfx

    with pytest.raises(PipelineDefinitionError, match="share the id 'transform'"):
        builder.add(
            tfx.components.StatisticsGen(examples=builder.components[0].outputs["examples"]),
            "transform",
        )


def test_bad_pipeline_files(tmp_path: Path) -> None:
    cfg = load_config(PENGUIN_CONFIG)
    with pytest.raises(PipelineDefinitionError, match="does not exist"):
        load_pipeline(tmp_path / "missing.py", cfg)
    no_factory = tmp_path / "nofactory.py"
    no_factory.write_text("x = 1\n")
    with pytest.raises(PipelineDefinitionError, match="must define create_pipeline"):
        load_pipeline(no_factory, cfg)
    broken = tmp_path / "broken.py"
    broken.write_text("import not_a_module_xyz\n")
    with pytest.raises(PipelineDefinitionError, match="failed to import: ModuleNotFoundError"):
        load_pipeline(broken, cfg)
    wrong = tmp_path / "wrong.py"
    wrong.write_text("def create_pipeline(config):\n    return 42\n")
    with pytest.raises(PipelineDefinitionError, match="returned int, not a PipelineBuilder"):
        load_pipeline(wrong, cfg)


def test_beam_args_from_typed_config() -> None:
    cfg = load_config(
        PENGUIN_CONFIG,
        [
            "runner.beam.mode=multi_processing",
            "runner.beam.workers=0",
            "runner.beam.extra_args=['--experiments=use_runner_v2']",
        ],
    )
    args = beam_pipeline_args(cfg)
    assert args[0] == "--direct_running_mode=multi_processing"
    assert int(args[1].split("=")[1]) >= 1
    assert args[2] == "--experiments=use_runner_v2"


def test_push_is_gated_by_every_gate(penguin_overrides: list[str], tmp_path: Path) -> None:
    path = GOLDEN_DIR / "pipelines" / "two_gates" / "pipeline.py"  # from the golden corpus
    builder = load_pipeline(path, load_config(PENGUIN_CONFIG, penguin_overrides))
    ir = compile_tfx_ir(builder.build())
    pusher = next(n.pipeline_node for n in ir.nodes if n.pipeline_node.node_info.id == "pusher")
    conditions = [str(c) for c in pusher.inputs.conditionals.values()]
    assert len(conditions) == 3, "one Cond(blessed == 1) per gate"
    assert any("_evaluator.blessing" in c for c in conditions)
    assert any("_second_evaluator.blessing" in c for c in conditions)
    assert any("_infra_check.infra_blessing" in c for c in conditions)  # added by push() itself


def test_the_infra_check_is_switched_by_the_config_and_needs_the_evaluation(
    penguin_overrides: list[str],
) -> None:
    """Issue 28 #6: on by default before every push; off: no check, no warm-up input."""
    config = load_config(PENGUIN_CONFIG, [*penguin_overrides, "push.infra_check=false"])
    builder = load_pipeline(PENGUIN_PIPELINE, config)
    assert "infra_check" not in builder.node_ids()
    assert set(next(c for c in builder.components if c.id == "pusher").inputs) == {
        "model",
        "model_blessing",
    }
    on = load_pipeline(PENGUIN_PIPELINE, load_config(PENGUIN_CONFIG, penguin_overrides))
    check = next(c for c in on.components if c.id == "infra_check")
    assert json.loads(check.exec_properties["settings"]) == {
        "examples": 32,
        "timeout_s": 120,
        "split": "eval",
        "model_name": "penguin",
    }
    assert check.inputs["evaluation"].producer_component_id == "evaluator"
    # A push gated on something else only: the check has nothing to send, and says what to do.
    trainer = next(c for c in on.components if c.id == "trainer")
    blessing = next(c for c in on.components if c.id == "evaluator").outputs["blessing"]
    from tfxkit.pipeline.stages.train import Trained

    custom = PipelineBuilder(on.config)
    trained = Trained(model=trainer.outputs["model"], model_run=trainer.outputs["model_run"])
    with pytest.raises(PipelineDefinitionError, match="push.infra_check needs the evaluate"):
        custom.push(trained, blessing)


def test_push_without_a_gate_is_refused(builder: PipelineBuilder) -> None:
    from tfxkit.pipeline.stages.train import Trained

    trainer = next(c for c in builder.components if c.id == "trainer")
    trained = Trained(model=trainer.outputs["model"], model_run=trainer.outputs["model_run"])
    with pytest.raises(PipelineDefinitionError, match="at least one gate"):
        builder.push(trained)


def test_targets_decide_resolver_and_gate_inputs(penguin_overrides: list[str]) -> None:
    cfg = load_config(PENGUIN_CONFIG, penguin_overrides)
    local = load_pipeline(PENGUIN_PIPELINE, cfg, target="local")
    remote = load_pipeline(PENGUIN_PIPELINE, cfg, target="kubeflow_v2")

    def pusher_inputs(builder: PipelineBuilder) -> set[str]:
        return set(next(c for c in builder.components if c.id == "pusher").inputs)

    assert pusher_inputs(local) == {"model", "model_blessing", "infra_blessing"}
    assert pusher_inputs(remote) == {"model", "infra_blessing"}  # never also in a Cond

    def strategy(builder: PipelineBuilder, node_id: str) -> str:
        node = next(c for c in builder.components if c.id == node_id)
        return str(node.exec_properties["resolver_class"])

    model, schema = "latest_blessed_model_resolver", "latest_approved_schema_resolver"
    assert "PreviousBlessedModelStrategy" in strategy(local, model)
    assert "LatestBlessedModelStrategy" in strategy(remote, model)
    assert "PreviousApprovedSchemaStrategy" in strategy(local, schema)
    assert schema not in remote.node_ids()  # remote: the schema of record is schema.path


def test_public_api_is_exported() -> None:
    import tfxkit

    for name in ("PipelineBuilder", "PipelineConfig", "load_config", "TfxkitError"):
        assert name in tfxkit.__all__ and getattr(tfxkit, name) is not None


def test_baseline_is_the_newest_model_every_gate_blessed() -> None:
    from tfx.types import standard_artifacts

    from tfxkit.pipeline.resolvers import PreviousBlessedModelStrategy

    def model(model_id: int):
        artifact = standard_artifacts.Model()
        artifact.id = model_id
        return artifact

    def blessing(model_id: int, blessed: int):
        artifact = standard_artifacts.ModelBlessing()
        artifact.set_int_custom_property("current_model_id", model_id)
        artifact.set_int_custom_property("blessed", blessed)
        return artifact

    models = [model(1), model(2), model(3)]
    blessings = [
        blessing(1, 1),
        blessing(1, 1),  # evaluator and fairness gate both said yes
        blessing(2, 1),
        blessing(2, 0),  # evaluator yes, fairness gate no: never pushed, not a baseline
    ]
    resolved = PreviousBlessedModelStrategy().resolve_artifacts(
        None, {"model": models, "model_blessing": blessings, "candidate": [models[2]]}
    )
    assert [m.id for m in resolved["model"]] == [1]
    resolved = PreviousBlessedModelStrategy().resolve_artifacts(
        None, {"model": models, "model_blessing": blessings, "candidate": [models[0]]}
    )
    assert resolved["model"] == []  # the only fully blessed model is the candidate itself


def test_a_pipeline_file_imports_modules_beside_it(tmp_path: Path, monkeypatch) -> None:
    """Issue 31: ``import pipe_helpers`` failed with ModuleNotFoundError unless PYTHONPATH was
    set. The helper imports a second module, as a real project's would."""
    import sys

    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    (tmp_path / "pipe_helpers.py").write_text("from pipe_steps import build\n")
    (tmp_path / "pipe_steps.py").write_text(
        "from tfxkit import standard_pipeline\n\ndef build(config):\n"
        "    return standard_pipeline(config)\n"
    )
    pipeline = tmp_path / "my_pipeline.py"
    pipeline.write_text(
        "import pipe_helpers\n\ndef create_pipeline(config):\n"
        "    return pipe_helpers.build(config)\n"
    )
    builder = load_pipeline(pipeline, load_config(PENGUIN_CONFIG))
    assert isinstance(builder, PipelineBuilder)
    assert str(tmp_path) in os.environ["PYTHONPATH"].split(os.pathsep)  # Beam workers too


def test_a_missing_module_says_where_it_was_looked_for(tmp_path: Path) -> None:
    pipeline = tmp_path / "p.py"
    pipeline.write_text("import not_a_module_anywhere\n")
    with pytest.raises(PipelineDefinitionError, match="pipeline's folder .* is importable"):
        load_pipeline(pipeline, load_config(PENGUIN_CONFIG))
