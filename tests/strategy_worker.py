"""One worker of a two-process MultiWorkerMirroredStrategy run on loopback (see
tests/unit/test_strategies.py): ``python -m tests.strategy_worker INDEX PORT0 PORT1 OUT_DIR``.

TF_CONFIG is set as Kubeflow and Vertex set it; the strategy comes from tfxkit's
``make_strategy``; the batch is global (per-replica x replicas), as the trainer does.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    index, port0, port1, out_dir = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    # Optional: stop the whole job (every worker) after this epoch, as a preemption would.
    die_after_epoch = int(sys.argv[5]) if len(sys.argv) > 5 else None
    os.environ["TF_CONFIG"] = json.dumps(
        {
            "cluster": {"worker": [f"localhost:{port0}", f"localhost:{port1}"]},
            "task": {"type": "worker", "index": index},
        }
    )
    import numpy as np
    import tensorflow as tf
    import tf_keras as keras

    from tfxkit.training.strategies import describe, make_strategy

    strategy = make_strategy("multi_worker_mirrored")
    global_batch = 8 * strategy.num_replicas_in_sync
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0], dtype="float32")).reshape(-1, 1)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).repeat().batch(global_batch)
    with strategy.scope():
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.layers.Dense(1, input_shape=(4,))])
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    from tfxkit.training.keras_trainer import resumable_callbacks

    class Epochs(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            print(f"EPOCH {epoch}", flush=True)

        def on_epoch_end(self, epoch, logs=None):
            if epoch == die_after_epoch:
                os._exit(3)  # after BackupAndRestore saved this epoch

    callbacks = [*resumable_callbacks("multi_worker_mirrored", out_dir), Epochs()]
    history = model.fit(dataset, epochs=4, steps_per_epoch=15, verbose=0, callbacks=callbacks)
    # Only the chief's copy is the model; other workers write to a scratch directory.
    target = os.path.join(out_dir, "model" if index == 0 else f"scratch-{index}")
    model.save(target, save_format="tf")
    print(
        json.dumps(
            {
                "described": describe(strategy),
                "replicas": strategy.num_replicas_in_sync,
                "global_batch": global_batch,
                "loss": history.history["loss"][-1],
                "weights": model.get_weights()[0].ravel().tolist(),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
