"""DP-SGD (tfxkit.training.privacy): clipping and noise math, the accountant, the attack, and
the config's refusals before training (issue 26 #2)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras
from pydantic import ValidationError

from tfxkit.config.training import TrainingConfig
from tfxkit.training import privacy as dp

# --- config ---------------------------------------------------------------------------------


def test_privacy_section_is_optional_and_absent_from_the_dump_when_unset() -> None:
    assert "privacy" not in TrainingConfig().model_dump()
    cfg = TrainingConfig(
        batch_size=32, privacy={"noise_multiplier": 1.1, "l2_norm_clip": 1.0, "microbatches": 8}
    )
    assert cfg.privacy is not None and cfg.privacy.delta == 1e-5


@pytest.mark.parametrize(
    ("privacy", "words"),
    [
        ({"noise_multiplier": 1.0}, "needs l2_norm_clip"),
        ({"noise_multiplier": 1.0, "l2_norm_clip": 1.0, "microbatches": 5}, "does not divide"),
        ({"noise_multiplier": 0.0, "target_epsilon": 3.0}, "cannot be met"),
        ({"noise_multiplier": 1.0, "l2_norm_clip": 1.0, "target_epsilon": -1.0}, "greater than"),
        ({"noise_multiplier": 1.0, "l2_norm_clip": 1.0, "delta": 1.0}, "less than 1"),
    ],
)
def test_bad_privacy_config_is_refused(privacy: dict, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        TrainingConfig(batch_size=32, privacy=privacy)


# --- clipping and noise ---------------------------------------------------------------------


def test_clip_scales_the_global_norm_down_to_the_clip_and_leaves_small_gradients() -> None:
    grads = [tf.constant([3.0, 0.0]), tf.constant([[4.0]])]  # global norm 5
    clipped, norm = dp.clip_gradients(grads, 1.0)
    assert float(norm) == pytest.approx(5.0)
    assert float(tf.linalg.global_norm(clipped)) == pytest.approx(1.0)
    np.testing.assert_allclose(clipped[0].numpy(), [0.6, 0.0], rtol=1e-6)
    same, _ = dp.clip_gradients(grads, 10.0)
    np.testing.assert_allclose(same[1].numpy(), [[4.0]])


def test_noise_has_the_stddev_of_multiplier_times_clip_over_microbatches() -> None:
    tf.random.set_seed(0)
    summed = [tf.zeros([200_000])]
    noised = dp.noised_mean(summed, noise_multiplier=1.5, l2_norm_clip=2.0, microbatches=4)
    # std of (N(0, (1.5 * 2)^2)) / 4 = 0.75
    assert float(tf.math.reduce_std(noised[0])) == pytest.approx(0.75, rel=0.01)
    assert abs(float(tf.reduce_mean(noised[0]))) < 0.01


def _model() -> keras.Model:
    inp = keras.Input(shape=(3,), name="x")
    out = keras.layers.Dense(1, kernel_initializer="ones")(inp)
    model = keras.Model({"x": inp}, out)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.MeanSquaredError())
    return model


def _data() -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(0)
    return {"x": rng.normal(size=(8, 3)).astype("float32")}, rng.normal(size=(8, 1)).astype(
        "float32"
    )


def test_without_noise_and_clip_one_dp_step_is_plain_sgd() -> None:
    x, y = _data()
    plain, private = _model(), _model()
    dp.make_private(private, {"noise_multiplier": 0.0, "l2_norm_clip": 1e6, "microbatches": 8})
    plain.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    private.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(plain.get_weights(), private.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_dp_step_moves_the_weights_at_most_lr_times_clip_without_noise() -> None:
    x, y = _data()
    y = y * 100  # large errors: every per-example gradient is far over the clip
    model = _model()
    before = model.get_weights()
    dp.make_private(model, {"noise_multiplier": 0.0, "l2_norm_clip": 0.5, "microbatches": 4})
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    moved = math.sqrt(
        sum(float(np.sum((a - b) ** 2)) for a, b in zip(model.get_weights(), before, strict=True))
    )
    assert 0 < moved <= 0.1 * 0.5 + 1e-6


# --- accountant -----------------------------------------------------------------------------


def test_full_batch_gaussian_epsilon_matches_the_rdp_closed_form() -> None:
    """q = 1, one step: the Gaussian mechanism, RDP alpha / (2 sigma^2), converted to (eps,
    delta) as dp_accounting does (Balle et al. 2020), minimised over the accountant's orders."""
    from dp_accounting.rdp.rdp_privacy_accountant import DEFAULT_RDP_ORDERS

    sigma, delta = 1.0, 1e-5
    expected = min(
        a / (2 * sigma**2) - (math.log(delta) + math.log(a)) / (a - 1) + math.log((a - 1) / a)
        for a in DEFAULT_RDP_ORDERS
        if a > 1
    )
    assert dp.epsilon(sigma, 1.0, 1, delta) == pytest.approx(expected, rel=1e-6)


def test_epsilon_grows_with_steps_and_sampling_and_shrinks_with_noise() -> None:
    base = dp.epsilon(1.1, 256 / 60_000, 1_000, 1e-5)
    assert dp.epsilon(1.1, 256 / 60_000, 10_000, 1e-5) > base
    assert dp.epsilon(1.1, 512 / 60_000, 1_000, 1e-5) > base
    assert dp.epsilon(2.0, 256 / 60_000, 1_000, 1e-5) < base
    assert dp.epsilon(0.0, 0.1, 10, 1e-5) == math.inf


def test_mnist_dp_sgd_budget_is_below_the_moments_accountant_figure() -> None:
    """TF Privacy's MNIST tutorial (60k rows, batch 256, noise 1.1, 60 epochs, delta 1e-5)
    printed eps = 3.01 with the older RDP-to-DP conversion; the tighter one gives less."""
    eps = dp.epsilon(1.1, 256 / 60_000, 14_062, 1e-5)
    assert 2.0 < eps < 3.01


# --- membership attack ----------------------------------------------------------------------


def test_attack_advantage_is_one_when_losses_separate_and_zero_when_equal() -> None:
    assert dp.attack_advantage(np.array([0.1, 0.2]), np.array([0.5, 0.9])) == 1.0
    assert dp.attack_advantage(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == 0.0
    assert dp.attack_advantage(np.array([]), np.array([1.0])) == 0.0


def test_attack_advantage_is_the_best_tpr_minus_fpr() -> None:
    members = np.array([0.1, 0.2, 0.3, 0.9])
    others = np.array([0.25, 0.8, 0.95, 1.0])
    # threshold 0.3: TPR 3/4, FPR 1/4 -> 0.5 (the best over every threshold)
    assert dp.attack_advantage(members, others) == pytest.approx(0.5)


def test_write_records_infinite_epsilon_as_null(tmp_path) -> None:
    import json

    path = dp.write(str(tmp_path), {"epsilon": math.inf, "delta": 1e-5})
    assert json.loads(open(path).read()) == {"delta": 1e-5, "epsilon": None}


def test_per_example_losses_are_one_per_example_for_flat_labels_and_one_output() -> None:
    """Labels of shape [n] against a [n, 1] output must not broadcast to [n, n]."""
    model = _model()
    x, y = _data()
    data = tf.data.Dataset.from_tensor_slices((x, y[:, 0])).batch(4)
    losses = dp.per_example_losses(model, data, 8)
    expected = (model.predict(x, verbose=0)[:, 0] - y[:, 0]) ** 2
    np.testing.assert_allclose(losses, expected, rtol=1e-5)


def test_the_planned_budget_warns_before_training_when_over_the_bound() -> None:
    settings = {"noise_multiplier": 1.1, "delta": 1e-5, "target_epsilon": 1.0}
    eps = dp.epsilon(1.1, 32 / 320, 100, 1e-5)
    line = dp.planned(settings, 32, 320, 100)
    assert f"epsilon {eps:.3g} at delta 1e-05" in line and "will refuse" in line
    assert "will refuse" not in dp.planned({**settings, "target_epsilon": eps + 1}, 32, 320, 100)


def test_with_training_privacy_the_pusher_waits_on_the_privacy_gate(
    penguin_overrides: list[str],
) -> None:
    from tests.paths import PENGUIN_CONFIG, PENGUIN_PIPELINE
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.pipeline.compiler import compile_tfx_ir
    from tfxkit.pipeline.dsl import load_pipeline

    private = [
        *penguin_overrides,
        "training.privacy={noise_multiplier: 1.1, l2_norm_clip: 1.0, target_epsilon: 5.0}",
    ]
    plain = load_pipeline(PENGUIN_PIPELINE, load_config(PENGUIN_CONFIG, penguin_overrides))
    assert "privacy_gate" not in plain.node_ids()  # unset: the pipeline is unchanged
    builder = load_pipeline(PENGUIN_PIPELINE, load_config(PENGUIN_CONFIG, private))
    ir = compile_tfx_ir(builder.build())
    nodes = {n.pipeline_node.node_info.id: n.pipeline_node for n in ir.nodes}
    gate = nodes["privacy_gate"]
    assert "trainer" in gate.upstream_nodes
    conditions = [str(c) for c in nodes["pusher"].inputs.conditionals.values()]
    assert any("_privacy_gate.blessing" in c and "passed" in c for c in conditions)


def test_the_model_card_reads_epsilon_and_delta_from_the_gate_s_verdict() -> None:
    from tfxkit.components import verdicts
    from tfxkit.components.privacy_gate.verdict import judge
    from tfxkit.report.model_card import _privacy

    facts = {"epsilon": 2.5, "delta": 1e-5, "target_epsilon": 3.0, "noise_multiplier": 1.1,
             "l2_norm_clip": 1.0, "steps": 100, "sampling_probability": 0.1,
             "membership_advantage": 0.04}  # fmt: skip
    verdict = verdicts.parse(judge(facts).model_dump(mode="json"))
    assert _privacy(verdict) == {"epsilon": 2.5, "delta": 1e-5}
