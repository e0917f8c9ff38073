"""Differentially private training (DP-SGD) for the Keras trainer, its budget and its audit.

Why written here rather than taken from tensorflow-privacy: its 0.9.0 release pins dm-tree and
packaging versions this stack cannot take (constraints.txt). What it would have done is small:
each microbatch's gradient is clipped to ``l2_norm_clip`` (L2 over all weights), the clipped
gradients are summed, Gaussian noise of standard deviation ``noise_multiplier * l2_norm_clip``
is added, and the sum is divided by the number of microbatches (Abadi et al. 2016). Epsilon at
``delta`` comes from Google's ``dp_accounting`` RDP accountant (what tensorflow-privacy uses):
``steps`` Poisson-sampled Gaussian mechanisms with sampling probability batch / training rows.

The membership-inference check is the simple loss-threshold attack (Yeom et al. 2018): guess
"was trained on" when an example's loss is below a threshold; its advantage is the best
TPR - FPR over all thresholds (0: the model's losses do not tell members apart).
"""

from __future__ import annotations

import json
import os
import types
from typing import Any

import numpy as np
import tensorflow as tf
import tf_keras as keras

PRIVACY_FILE = "privacy.json"  # in ModelRun, read by the privacy gate


def clip_gradients(
    grads: list[tf.Tensor], l2_norm_clip: float
) -> tuple[list[tf.Tensor], tf.Tensor]:
    """Scale ``grads`` (one microbatch's) so their global L2 norm is at most the clip."""
    norm = tf.linalg.global_norm(grads)
    scale = tf.minimum(1.0, l2_norm_clip / tf.maximum(norm, 1e-12))
    return [g * scale for g in grads], norm


def noised_mean(
    summed: list[tf.Tensor], noise_multiplier: float, l2_norm_clip: float, microbatches: Any
) -> list[tf.Tensor]:
    """The sum of clipped gradients plus N(0, (noise_multiplier * clip)^2), over microbatches."""
    stddev = noise_multiplier * l2_norm_clip
    count = tf.cast(microbatches, summed[0].dtype)
    return [
        (g + tf.random.normal(tf.shape(g), stddev=stddev, dtype=g.dtype)) / count for g in summed
    ]


def _dense(grad: Any, variable: tf.Variable) -> tf.Tensor:
    """An embedding's sparse gradient (IndexedSlices) as a dense tensor: clipping needs norms."""
    if grad is None:
        return tf.zeros_like(variable)
    return tf.convert_to_tensor(grad)


def make_private(model: keras.Model, settings: dict[str, Any]) -> keras.Model:
    """Replace ``model``'s train step with DP-SGD (its optimizer, loss and metrics unchanged).
    Examples are dealt round-robin into ``microbatches`` (unset: one per example), so a last
    short batch still works."""
    clip = float(settings["l2_norm_clip"] or 1e9)
    noise = float(settings["noise_multiplier"])
    fixed = settings.get("microbatches")
    unreduced = unreduced_loss(model)

    def train_step(self: keras.Model, data: Any) -> dict[str, Any]:
        x, y, weight = keras.utils.unpack_x_y_sample_weight(data)
        rows = tf.shape(y)[0]
        count = tf.constant(fixed) if fixed else rows
        owner = tf.range(rows) % count
        variables = self.trainable_variables

        def one(index: tf.Tensor) -> list[tf.Tensor]:
            mask = tf.equal(owner, index)
            take = lambda t: tf.boolean_mask(t, mask)  # noqa: E731
            part_y = take(y)
            part_w = tf.ones(tf.shape(part_y)[:1]) if weight is None else take(weight)
            with tf.GradientTape() as tape:
                pred = self(tf.nest.map_structure(take, x), training=True)
                per_example = tf.reshape(unreduced(part_y, pred), [-1])
                size = tf.cast(tf.size(per_example), per_example.dtype)
                loss = tf.math.divide_no_nan(
                    tf.reduce_sum(per_example * tf.cast(part_w, per_example.dtype)), size
                )
                if self.losses:  # weight regularization, as Keras adds it
                    loss += tf.add_n(self.losses)
            grads = [
                _dense(g, v) for g, v in zip(tape.gradient(loss, variables), variables, strict=True)
            ]
            return clip_gradients(grads, clip)[0]

        summed = [tf.zeros_like(v) for v in variables]
        index = tf.constant(0)

        def body(i: tf.Tensor, acc: list[tf.Tensor]) -> tuple[tf.Tensor, list[tf.Tensor]]:
            return i + 1, [a + g for a, g in zip(acc, one(i), strict=True)]

        _, summed = tf.while_loop(lambda i, _: i < count, body, (index, summed))
        grads = noised_mean(summed, noise, clip, count)
        self.optimizer.apply_gradients(zip(grads, variables, strict=True))
        pred = self(x, training=False)
        self.compute_loss(x, y, pred, weight)  # updates the loss tracker the metrics show
        return self.compute_metrics(x, y, pred, weight)

    model.train_step = types.MethodType(train_step, model)
    return model


def epsilon(noise_multiplier: float, sampling: float, steps: int, delta: float) -> float:
    """Epsilon at ``delta`` of ``steps`` Poisson-sampled Gaussian steps (RDP accountant);
    infinite without noise."""
    import dp_accounting
    from dp_accounting import rdp

    if noise_multiplier <= 0:
        return float("inf")
    accountant = rdp.RdpAccountant()
    step = dp_accounting.PoissonSampledDpEvent(
        min(1.0, sampling), dp_accounting.GaussianDpEvent(noise_multiplier)
    )
    accountant.compose(dp_accounting.SelfComposedDpEvent(step, steps))
    return float(accountant.get_epsilon(delta))


def attack_advantage(member_losses: np.ndarray, other_losses: np.ndarray) -> float:
    """Loss-threshold membership attack: max over thresholds of TPR - FPR (members: loss <=
    threshold). 0 when either side is empty."""
    members, others = np.asarray(member_losses, float), np.asarray(other_losses, float)
    if members.size == 0 or others.size == 0:
        return 0.0
    thresholds = np.unique(np.concatenate([members, others]))
    tpr = np.searchsorted(np.sort(members), thresholds, side="right") / members.size
    fpr = np.searchsorted(np.sort(others), thresholds, side="right") / others.size
    return float(max(0.0, np.max(tpr - fpr)))


def unreduced_loss(model: keras.Model) -> Any:
    """The compiled loss, one value per example (DP-SGD clips per microbatch; the attack
    thresholds per example)."""
    loss = model.loss
    fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    if isinstance(fn, keras.losses.Loss):
        fn = type(fn).from_config({**fn.get_config(), "reduction": "none"})

    def per_example(y: tf.Tensor, pred: tf.Tensor) -> tf.Tensor:
        # Labels [batch] against one output [batch, 1] would broadcast to [batch, batch].
        if pred.shape.rank == 2 and pred.shape[-1] == 1 and y.shape.rank == 1:
            y = tf.expand_dims(y, -1)
        return fn(y, pred)

    return per_example


def per_example_losses(model: keras.Model, dataset: tf.data.Dataset, examples: int) -> np.ndarray:
    """The model's loss on each of the first ``examples`` examples of a batched dataset."""
    fn = unreduced_loss(model)
    found: list[np.ndarray] = []
    total = 0
    for batch in dataset:
        x, y, _ = keras.utils.unpack_x_y_sample_weight(batch)
        values = np.reshape(fn(y, model(x, training=False)).numpy(), [-1])
        found.append(values)
        total += values.size
        if total >= examples:
            break
    return np.concatenate(found)[:examples] if found else np.zeros(0)


def audit(
    model: keras.Model,
    train_ds: tf.data.Dataset,
    eval_ds: tf.data.Dataset,
    settings: dict[str, Any],
    *,
    batch_size: int,
    train_rows: int,
    steps: int,
) -> dict[str, Any]:
    """What the privacy gate and the model card read: epsilon at delta, and the attack's
    advantage on train vs eval examples."""
    examples = settings.get("membership_examples", 512)
    advantage = attack_advantage(
        per_example_losses(model, train_ds, examples), per_example_losses(model, eval_ds, examples)
    )
    sampling = batch_size / max(train_rows, 1)
    return {
        "epsilon": epsilon(settings["noise_multiplier"], sampling, steps, settings["delta"]),
        "delta": settings["delta"],
        "target_epsilon": settings.get("target_epsilon"),
        "noise_multiplier": settings["noise_multiplier"],
        "l2_norm_clip": settings.get("l2_norm_clip"),
        "microbatches": settings.get("microbatches") or batch_size,
        "sampling_probability": sampling,
        "steps": steps,
        "train_rows": train_rows,
        "membership_advantage": advantage,
    }


def write(run_dir: str, facts: dict[str, Any]) -> str:
    """``ModelRun/privacy.json`` (infinite epsilon written as null: JSON has no infinity)."""
    path = os.path.join(run_dir, PRIVACY_FILE)
    clean = {
        k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in facts.items()
    }
    tf.io.gfile.makedirs(run_dir)
    with tf.io.gfile.GFile(path, "w") as f:
        f.write(json.dumps(clean, indent=1, sort_keys=True))
    return path


def count_rows(dataset: tf.data.Dataset) -> int:
    """Examples in one pass of a batched, unrepeated dataset (the accountant's denominator)."""
    return int(dataset.reduce(0, lambda n, batch: n + tf.shape(batch[1])[0]).numpy())


def train_rows(
    files: list[str], data_accessor: Any, tf_transform_output: Any, label_key: str
) -> int:
    """Rows of the training split (one unrepeated pass): the sampling probability's denominator."""
    from tfx_bsl.public import tfxio

    dataset = data_accessor.tf_dataset_factory(
        files,
        tfxio.TensorFlowDatasetOptions(batch_size=1024, label_key=label_key, num_epochs=1),
        tf_transform_output.transformed_metadata.schema,
    )
    return count_rows(dataset)


def report(facts: dict[str, Any]) -> str:
    """One line for the trainer's log."""
    eps = facts["epsilon"]
    bound = facts.get("target_epsilon")
    return (
        f"[tfxkit] DP-SGD: epsilon {eps:.3g} at delta {facts['delta']:g} after {facts['steps']} "
        f"steps (sampling {facts['sampling_probability']:.3g})"
        + (f", bound {bound:g}" if bound is not None else "")
        + f"; membership attack advantage {facts['membership_advantage']:.3f}"
    )


def planned(settings: dict[str, Any], batch_size: int, rows: int, steps: int) -> str:
    """Before training: the epsilon the configured steps will spend, and whether the privacy
    gate will refuse it (so a user can stop a run that cannot be pushed)."""
    eps = epsilon(settings["noise_multiplier"], batch_size / max(rows, 1), steps, settings["delta"])
    bound = settings.get("target_epsilon")
    line = (
        f"[tfxkit] DP-SGD: {steps} steps of {batch_size} over {rows} training rows will spend "
        f"epsilon {eps:.3g} at delta {settings['delta']:g}"
    )
    if bound is not None and eps > bound:
        line += (
            f"; over training.privacy.target_epsilon {bound:g}: the privacy gate will refuse "
            "to push this model (raise noise_multiplier, or lower train_steps)"
        )
    return line
