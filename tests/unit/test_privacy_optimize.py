"""Privacy through optimization (issue 26 #2): an optimization that learns from the training
rows again is refused with training.privacy before anything runs; a quantized DP model is pushed
only with the privacy gate's blessing; the epsilon bound is the gate's, not the Trainer's (a new
bound re-judges the trained model instead of retraining it). Graphs only, no TensorFlow run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.paths import PENGUIN_CONFIG, PENGUIN_PIPELINE
from tfxkit.config.privacy import trainer_view
from tfxkit.errors import ConfigError

PRIVACY = "training.privacy={noise_multiplier: 1.1, l2_norm_clip: 1.0, target_epsilon: 5.0}"


def _config(overrides: list[str], *more: str) -> Any:
    from tfxkit.config.pipeline_config import load_config

    return load_config(PENGUIN_CONFIG, [*overrides, *more])


def _nodes(config: Any) -> dict[str, Any]:
    """{node id: pipeline node} of the penguin pipeline compiled to TFX IR for ``config``."""
    from tfxkit.pipeline.compiler import compile_tfx_ir
    from tfxkit.pipeline.dsl import load_pipeline

    ir = compile_tfx_ir(load_pipeline(PENGUIN_PIPELINE, config).build())
    return {n.pipeline_node.node_info.id: n.pipeline_node for n in ir.nodes}


def _parameter(node: Any, name: str) -> Any:
    value = node.parameters.parameters[name].field_value.string_value
    return json.loads(value)


@pytest.mark.parametrize(
    ("optimize", "words"),
    [
        ("{prune: {sparsity: 0.5}}", "optimize.prune cannot be combined with training.privacy"),
        ("{distill: {steps: 50}}", "optimize.distill cannot be combined with training.privacy"),
        ("{quantize: int8}", "optimize.quantize: int8 (calibrated on training rows) cannot"),
        (
            "{quantize: {mode: dynamic, aware_training_steps: 10}}",
            "optimize.quantize.aware_training_steps 10 cannot be combined",
        ),
    ],
)
def test_optimizing_on_the_training_rows_again_is_refused_with_privacy(
    penguin_overrides: list[str], optimize: str, words: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        _config(penguin_overrides, PRIVACY, f"optimize={optimize}")
    message = str(refused.value)
    assert words in message
    assert "would not carry the epsilon the privacy gate checks" in message
    _config(penguin_overrides, f"optimize={optimize}")  # without privacy: accepted


@pytest.mark.parametrize("mode", ["dynamic", "float16"])
def test_quantizing_the_private_model_alone_is_accepted(
    penguin_overrides: list[str], mode: str
) -> None:
    config = _config(penguin_overrides, PRIVACY, f"optimize={{quantize: {mode}}}")
    assert config.optimize.quantize.mode == mode and config.training.privacy is not None


def test_a_quantized_dp_model_is_pushed_only_with_the_privacy_gate_s_blessing(
    penguin_overrides: list[str],
) -> None:
    plain = _nodes(_config(penguin_overrides, "optimize={quantize: dynamic}"))
    assert "privacy_gate" not in plain  # unset: the pipeline is unchanged
    nodes = _nodes(_config(penguin_overrides, PRIVACY, "optimize={quantize: dynamic}"))
    for pusher in ("pusher", "quantized_pusher"):
        conditions = [str(c) for c in nodes[pusher].inputs.conditionals.values()]
        assert any("_privacy_gate.blessing" in c and "passed" in c for c in conditions), pusher
        assert "privacy_gate" in nodes[pusher].upstream_nodes
    # One gate for both pushes, on the trained model's run:
    assert sum(node_id.startswith("privacy_gate") for node_id in nodes) == 1
    assert "trainer" in nodes["privacy_gate"].upstream_nodes


def test_the_epsilon_bound_is_the_gate_s_setting_and_not_in_the_trainer_s_cache_key(
    penguin_overrides: list[str],
) -> None:
    loose = _nodes(_config(penguin_overrides, PRIVACY))
    strict = _nodes(
        _config(penguin_overrides, PRIVACY.replace("target_epsilon: 5.0", "target_epsilon: 0.5"))
    )
    trainer = _parameter(loose["trainer"], "custom_config")
    assert trainer["training"]["privacy"]["noise_multiplier"] == 1.1
    assert "target_epsilon" not in trainer["training"]["privacy"]
    # Same Trainer exec properties (so TFX's cache reuses the model), a different gate:
    assert loose["trainer"].parameters == strict["trainer"].parameters
    assert _parameter(loose["privacy_gate"], "settings")["target_epsilon"] == 5.0
    assert _parameter(strict["privacy_gate"], "settings")["target_epsilon"] == 0.5


def test_trainer_view_drops_only_the_bound() -> None:
    training = {"batch_size": 32, "privacy": {"noise_multiplier": 1.1, "target_epsilon": 3.0}}
    assert trainer_view(training) == {"batch_size": 32, "privacy": {"noise_multiplier": 1.1}}
    assert training["privacy"]["target_epsilon"] == 3.0  # the config's own dump is untouched
    assert trainer_view({"batch_size": 32}) == {"batch_size": 32}
