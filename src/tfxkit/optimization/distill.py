"""Knowledge distillation: train a smaller student on a teacher's soft outputs.

The loss is ``alpha * hard + (1 - alpha) * soft``. For classification ``soft`` is
``KL(softmax(t / T) || softmax(s / T)) * T**2`` (Hinton et al.; T**2 keeps the soft gradients
on the scale of the hard ones as T grows); for regression it is the MSE to the teacher's output.
tfxkit's heads output probabilities (softmax, or one sigmoid for binary), not logits: their log
is a logit vector up to a constant, which softmax ignores, so ``log(p) / T`` is what gets
tempered; a binary probability ``p`` becomes the two-class distribution ``[1 - p, p]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import tensorflow as tf
import tf_keras as keras

from tfxkit.errors import ConfigError
from tfxkit.training.autograph import skip_tf_keras_conversion

skip_tf_keras_conversion()

Task = Literal["auto", "multiclass", "binary", "regression"]
Outputs = Literal["auto", "probabilities", "logits"]
_EPS = 1e-7


def student_like(teacher_config_hidden_units: Sequence[int], factor: float) -> list[int]:
    """The teacher's ``model.hidden_units`` scaled by ``factor`` (at least 1 unit per layer).

    Parameters scale about with ``factor**2`` between hidden layers, so 0.5 gives roughly a
    quarter of the weights; build the student with the same builder and this list.
    """
    if not 0.0 < factor <= 1.0:
        raise ConfigError(f"student factor must be in (0, 1], got {factor}")
    return [max(1, round(units * factor)) for units in teacher_config_hidden_units]


def infer_task(model: keras.Model) -> tuple[str, str]:
    """(task, outputs) from the output layer: softmax -> multiclass, sigmoid -> binary, 1 unit
    without activation -> regression, several units without activation -> multiclass logits."""
    layer = model.layers[-1]
    activation = getattr(getattr(layer, "activation", None), "__name__", "linear")
    width = int(model.outputs[0].shape[-1]) if model.outputs else 1
    if activation == "softmax":
        return "multiclass", "probabilities"
    if activation == "sigmoid" and width == 1:
        return "binary", "probabilities"
    return ("regression", "logits") if width == 1 else ("multiclass", "logits")


class Distiller(keras.Model):
    """Trains ``student`` against labels and a frozen ``teacher``; ``call`` is the student."""

    def __init__(
        self,
        teacher: keras.Model,
        student: keras.Model,
        *,
        task: str,
        outputs: str,
        temperature: float,
        alpha: float,
    ) -> None:
        super().__init__()
        self.teacher, self.student = teacher, student
        self.task, self.output_kind = task, outputs
        self.temperature, self.alpha = float(temperature), float(alpha)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.hard_tracker = keras.metrics.Mean(name="hard_loss")
        self.soft_tracker = keras.metrics.Mean(name="soft_loss")

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.loss_tracker, self.hard_tracker, self.soft_tracker]

    def call(self, inputs: Any, training: bool = False) -> tf.Tensor:
        return self.student(inputs, training=training)

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        x, y = data[0], data[1]
        teacher_out = tf.stop_gradient(self.teacher(x, training=False))
        with tf.GradientTape() as tape:
            student_out = self.student(x, training=True)
            hard, soft = self._distillation_losses(y, teacher_out, student_out)
            loss = self.alpha * hard + (1.0 - self.alpha) * soft
            if self.student.losses:
                loss += tf.add_n(self.student.losses)
        variables = self.student.trainable_variables
        gradients = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
        self.loss_tracker.update_state(loss)
        self.hard_tracker.update_state(hard)
        self.soft_tracker.update_state(soft)
        return {m.name: m.result() for m in self.metrics}

    def _distillation_losses(
        self, y: tf.Tensor, teacher: tf.Tensor, student: tf.Tensor
    ) -> tuple[Any, Any]:
        teacher, student = tf.cast(teacher, tf.float32), tf.cast(student, tf.float32)
        if self.task == "regression":
            y = tf.reshape(tf.cast(y, tf.float32), tf.shape(student))
            return (
                tf.reduce_mean(tf.square(y - student)),
                tf.reduce_mean(tf.square(teacher - student)),
            )
        t_logits, s_logits = self._logits(teacher), self._logits(student)
        labels = tf.reshape(tf.cast(y, tf.int64), [-1])
        hard = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=s_logits)
        )
        temperature = self.temperature
        t_soft = tf.nn.softmax(t_logits / temperature)
        s_log_soft = tf.nn.log_softmax(s_logits / temperature)
        kl = tf.reduce_sum(t_soft * (tf.math.log(t_soft + _EPS) - s_log_soft), axis=-1)
        return hard, tf.reduce_mean(kl) * temperature**2

    def _logits(self, out: tf.Tensor) -> tf.Tensor:
        """Class logits (up to a per-row constant) from probabilities or raw logits."""
        if self.task == "binary":
            out = tf.reshape(out, [-1, 1])
            if self.output_kind == "logits":
                return tf.concat([tf.zeros_like(out), out], axis=-1)  # sigmoid(z) = softmax(0, z)
            p = tf.clip_by_value(out, _EPS, 1.0 - _EPS)
            return tf.math.log(tf.concat([1.0 - p, p], axis=-1))
        if self.output_kind == "logits":
            return out
        return tf.math.log(tf.clip_by_value(out, _EPS, 1.0))


def distill(
    teacher: keras.Model,
    student: keras.Model,
    train_ds: tf.data.Dataset,
    *,
    temperature: float,
    alpha: float,
    epochs: int,
    steps_per_epoch: int,
    task: Task = "auto",
    outputs: Outputs = "auto",
    optimizer: keras.optimizers.Optimizer | None = None,
) -> keras.Model:
    """Train ``student`` (in place) to match ``teacher`` and the labels; return it.

    ``train_ds`` yields ``(features, label)`` batches the teacher and student both accept, with
    sparse integer labels for classification. ``alpha`` weighs the hard-label loss (1.0: plain
    training, 0.0: teacher only). ``task``/``outputs`` default to what the output layers say
    (``infer_task``); pass them for a binary head that outputs a logit. The optimizer is
    ``optimizer``, else a fresh copy of the student's compiled one, else Adam(1e-3).
    """
    if temperature <= 0:
        raise ConfigError(f"distillation temperature must be > 0, got {temperature}")
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"distillation alpha must be in [0, 1], got {alpha}")
    if epochs < 1 or steps_per_epoch < 1:
        raise ConfigError("distillation needs epochs >= 1 and steps_per_epoch >= 1")
    inferred_task, inferred_outputs = infer_task(teacher)
    task = inferred_task if task == "auto" else task  # type: ignore[assignment]
    student_task, student_outputs = infer_task(student)
    if task != student_task and not (task == "binary" and outputs == "logits"):
        raise ConfigError(f"teacher is a {task} model but the student looks {student_task}")
    if outputs == "auto" and inferred_outputs != student_outputs:
        raise ConfigError(
            f"teacher outputs {inferred_outputs} but the student {student_outputs}; wrap one "
            "of them so both output the same kind, or pass outputs="
        )
    outputs = inferred_outputs if outputs == "auto" else outputs  # type: ignore[assignment]
    if optimizer is None and student.optimizer is not None:
        optimizer = student.optimizer.__class__.from_config(student.optimizer.get_config())
    distiller = Distiller(
        teacher, student, task=task, outputs=outputs, temperature=temperature, alpha=alpha
    )
    distiller.compile(optimizer=optimizer or keras.optimizers.Adam(1e-3))
    distiller.fit(train_ds, epochs=epochs, steps_per_epoch=steps_per_epoch, verbose=0)
    return student
