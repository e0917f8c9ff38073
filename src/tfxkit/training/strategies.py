"""tf.distribute strategies by config name (``training.strategy``), and the devices they use.

Why checks before building: a TPU resolver with no TPU probes the GCE metadata server and can
hang for minutes, and a parameter-server strategy without a cluster fails deep in Keras. Each
strategy that needs hardware or a cluster says so in one line, naming the config key, first.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from tfxkit.errors import ConfigError

IN_PROCESS_MWMS = (
    "multi_worker_mirrored runs one process per worker (Kubeflow and Vertex start them and set "
    "TF_CONFIG); a local run executes every component in one process where TensorFlow has "
    "already started, so use mirrored locally (training.cpu_devices: 2 tries two replicas on "
    "a CPU)"
)


class StrategyUnavailable(ConfigError):
    """The configured strategy or accelerator cannot run on this machine (exit 2)."""


def split_cpu(count: int) -> None:
    """Split the first CPU into ``count`` logical devices (before TensorFlow initializes them)."""
    if count <= 1:
        return
    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
        )
    except RuntimeError:  # already initialized: fine if it already has the devices asked for
        if len(tf.config.list_logical_devices("CPU")) != count:
            raise StrategyUnavailable(
                f"training.cpu_devices: {count} logical CPUs must be set before TensorFlow "
                "starts in this process, and it has already started with "
                f"{len(tf.config.list_logical_devices('CPU'))}"
            ) from None


def _cluster() -> dict:
    try:
        return json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    except json.JSONDecodeError as exc:
        raise StrategyUnavailable(f"TF_CONFIG is not valid JSON: {exc}") from None


def check_accelerator(accelerator: str) -> None:
    if accelerator == "gpu" and not tf.config.list_physical_devices("GPU"):
        raise StrategyUnavailable(
            "training.accelerator: gpu, but TensorFlow sees no GPU on this machine (no CUDA "
            "device or driver); use accelerator: auto (CPU here) or run where a GPU is attached"
        )


def check_available(name: str, accelerator: str = "auto") -> None:
    """Fail in one line when this process cannot build the strategy (hardware, cluster)."""
    check_accelerator(accelerator)
    if name == "parameter_server":
        cluster = _cluster()
        if not cluster.get("ps") or not cluster.get("worker"):
            raise StrategyUnavailable(
                "training.strategy: parameter_server needs a cluster with 'worker' and 'ps' "
                "tasks in TF_CONFIG (Vertex and Kubeflow set it from the worker pools); this "
                f"process has {sorted(cluster) or 'none'}"
            )
    if name == "tpu" and not (os.environ.get("TPU_NAME") or tf.config.list_logical_devices("TPU")):
        raise StrategyUnavailable(
            "training.strategy: tpu, but this machine has no TPU (no TPU device and no "
            "TPU_NAME in the environment); use mirrored or default here"
        )


def make_strategy(name: str, accelerator: str = "auto") -> tf.distribute.Strategy:
    """Build the strategy; 'default' is TF's no-op strategy (one device, no distribution)."""
    check_available(name, accelerator)
    if name == "multi_worker_mirrored":  # one worker when TF_CONFIG names no cluster
        try:  # collective ops must be set up before TensorFlow's context starts: no device
            return tf.distribute.MultiWorkerMirroredStrategy()  # listing may come first
        except RuntimeError as exc:
            raise StrategyUnavailable(f"training.strategy: {IN_PROCESS_MWMS} ({exc})") from None
    gpus = [] if accelerator == "cpu" else tf.config.list_logical_devices("GPU")
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    if name == "mirrored":
        # Every GPU, else every logical CPU (training.cpu_devices), so replicas exist without one.
        devices = gpus or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy(devices=[d.name for d in devices])
    if name == "parameter_server":
        resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
        return tf.distribute.ParameterServerStrategy(resolver)
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(
            tpu=os.environ.get("TPU_NAME", "")
        )
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise StrategyUnavailable(f"training.strategy: unknown strategy '{name}'")


def describe(strategy: tf.distribute.Strategy) -> str:
    try:
        devices = tuple(strategy.extended.worker_devices)
    except RuntimeError:  # TF's default strategy has no device list
        devices = ("the default device",)
    return f"{strategy.num_replicas_in_sync} replica(s) on {', '.join(devices)}"
