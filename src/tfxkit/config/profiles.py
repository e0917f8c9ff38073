"""Runner profiles: where and how a pipeline runs remotely (Kubeflow Pipelines, Vertex AI).

Why separate from the pipeline config: the pipeline (data, features, model, gates) is the same
everywhere; a profile holds only what changes between orchestrators: the container image,
shared storage locations, per-component resources, and Beam settings (DirectRunner in the pod or
Dataflow). ``configs/kubeflow.yaml``, ``configs/vertex.yaml`` and ``configs/dataflow.yaml`` are
examples. Like the pipeline config, unknown keys and bad values are errors naming the key.

``{name}`` in a location is replaced by the pipeline name.
"""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from tfxkit.config.pipeline_config import (
    PipelineConfig,
    Strict,
    apply_overrides,
    format_validation_error,
    read_yaml_mapping,
)
from tfxkit.errors import ConfigError

SHARED_SCHEMES = ("gs://", "s3://", "hdfs://", "abfs://", "az://")


def is_shared_uri(path: str, mounted_volumes: list[str]) -> bool:
    """True when every pod can see ``path``: object storage or a declared mounted volume."""
    if path.startswith(SHARED_SCHEMES):
        return True
    normalized = os.path.normpath(path)
    return any(
        normalized == os.path.normpath(v) or normalized.startswith(os.path.normpath(v) + os.sep)
        for v in mounted_volumes
    )


class Accelerator(Strict):
    """A GPU or TPU request, e.g. {type: NVIDIA_TESLA_T4, count: 1} or {type: TPU_V3, count: 8}."""

    type: str = Field(pattern=r"^[A-Z0-9_]+$")
    count: int = Field(gt=0)


class WorkerPool(Strict):
    """One Vertex worker pool: machines of one type, with optional accelerators."""

    machine_type: str = Field(default="n1-standard-8", pattern=r"^[a-z0-9-]+$")
    replicas: int = Field(default=1, ge=1)
    accelerator: Accelerator | None = None

    def spec(self, image: str) -> dict:
        machine: dict = {"machine_type": self.machine_type}
        if self.accelerator:
            machine.update(
                accelerator_type=self.accelerator.type,
                accelerator_count=self.accelerator.count,
            )
        return {
            "machine_spec": machine,
            "replica_count": self.replicas,
            "container_spec": {"image_uri": image},
        }


class DistributedTraining(Strict):
    """Vertex worker pools for the Trainer, which then runs as a Vertex custom job.

    Vertex starts one process per replica and sets TF_CONFIG, which the strategy reads
    (``training.strategy`` in the pipeline config: multi_worker_mirrored needs ``workers``,
    parameter_server needs ``workers`` and ``parameter_servers``)."""

    chief: WorkerPool = Field(default_factory=WorkerPool)
    workers: WorkerPool | None = None
    parameter_servers: WorkerPool | None = None

    @model_validator(mode="after")
    def _one_chief(self) -> DistributedTraining:
        if self.chief.replicas != 1:
            raise ValueError("chief.replicas: a custom job has exactly one chief")
        return self

    def worker_pool_specs(self, image: str) -> list[dict]:
        """Vertex's order: chief, workers, parameter servers (an empty pool keeps a place)."""
        pools = [self.chief.spec(image)]
        if self.workers or self.parameter_servers:
            pools.append(self.workers.spec(image) if self.workers else {})
        if self.parameter_servers:
            pools.append(self.parameter_servers.spec(image))
        return pools

    def check_strategy(self, strategy: str) -> None:
        """The pools must be the ones the configured strategy uses."""
        needs = {
            "multi_worker_mirrored": ("workers",),
            "parameter_server": ("workers", "parameter_servers"),
        }.get(strategy, ())
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ConfigError(
                f"distributed_training: training.strategy {strategy} needs the pools {missing}"
            )
        unused = [
            n for n in ("workers", "parameter_servers") if getattr(self, n) and n not in needs
        ]
        if unused:
            raise ConfigError(
                f"distributed_training: the pools {unused} would idle: training.strategy "
                f"{strategy} trains on one machine (use multi_worker_mirrored or parameter_server)"
            )


class Resources(Strict):
    cpu: float | None = Field(default=None, gt=0, description="CPU limit (cores).")
    memory_gb: float | None = Field(default=None, gt=0, description="Memory limit in GB.")
    accelerator: Accelerator | None = None


_MACHINE_TYPE = re.compile(
    r"^(?:[a-z][a-z0-9]{1,3}-(?:standard|highmem|highcpu|highgpu|megagpu|ultramem|megamem|"
    r"hypermem|micro|small|medium)(?:-\d+)?(?:-lssd)?|(?:[a-z][a-z0-9]{1,3}-)?custom-\d+-\d+(?:-ext)?)$"
)


class DataflowConfig(Strict):
    """Beam on Google Cloud Dataflow; every field becomes one typed pipeline option.

    Workers must import tfxkit, its components and the pipeline's own modules to run the
    Transform and TFMA functions: stage them with ``sdk_container_image`` (the pipeline image;
    recommended: workers start with everything installed) or ``setup_file`` (a setup.py inside
    the pipeline image, e.g. ``/tfxkit/setup.py``, packaged and pip-installed on every worker at
    start-up). Without either, TFX would stage only an sdist of TFX itself, and the first
    Transform worker would fail to import tfxkit.
    """

    project: str
    region: str
    temp_location: str
    staging_location: str | None = None
    machine_type: str | None = Field(
        default=None,
        description="Worker Compute Engine type, e.g. n2-standard-4 or custom-4-16384; TF "
        "Transform and TFMA workers want >= 4 GB per vCPU-sized worker (no highcpu).",
    )
    max_num_workers: int | None = Field(default=None, gt=0)
    num_workers: int | None = Field(default=None, gt=0, description="Workers at start.")
    disk_size_gb: int | None = Field(default=None, gt=0)
    sdk_container_image: str | None = None
    setup_file: str | None = Field(
        default=None, description="Path of a setup.py in the pipeline image that packages tfxkit."
    )
    service_account_email: str | None = None
    experiments: list[str] = Field(default_factory=list, description="--experiments=...")

    @field_validator("temp_location", "staging_location")
    @classmethod
    def _gcs(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("gs://"):
            raise ValueError(f"Dataflow needs a gs:// location, got {value!r}")
        return value

    @field_validator("machine_type")
    @classmethod
    def _machine_type(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not _MACHINE_TYPE.match(value):
            raise ValueError(
                f"'{value}' is not a Compute Engine machine type (e.g. n1-standard-4, "
                "n2-highmem-8, e2-standard-2, custom-4-16384)"
            )
        if "-highcpu-" in value or value.split("-")[1] in ("micro", "small", "medium"):
            raise ValueError(
                f"machine_type {value}: too little memory per vCPU for TF Transform and TFMA "
                "workers (each loads TensorFlow); use a standard or highmem type"
            )
        return value

    @field_validator("setup_file")
    @classmethod
    def _setup_py(cls, value: str | None) -> str | None:
        if value is not None and not value.endswith("setup.py"):
            raise ValueError(f"setup_file must name a setup.py, got {value!r}")
        return value

    @model_validator(mode="after")
    def _stages_tfxkit(self) -> DataflowConfig:
        if not self.sdk_container_image and not self.setup_file:
            raise ValueError(
                "Dataflow workers need tfxkit: set sdk_container_image (the pipeline image, "
                "recommended) or setup_file (e.g. /tfxkit/setup.py in the pipeline image); "
                "otherwise TFX stages only itself and Transform's workers cannot import tfxkit"
            )
        if self.sdk_container_image and self.setup_file:
            raise ValueError(
                "set one of sdk_container_image and setup_file: the image already holds tfxkit, "
                "and a setup file would reinstall it on every worker"
            )
        if self.num_workers and self.max_num_workers and self.num_workers > self.max_num_workers:
            raise ValueError(
                f"num_workers ({self.num_workers}) is above max_num_workers "
                f"({self.max_num_workers})"
            )
        return self


class RemoteBeamConfig(Strict):
    runner: Literal["DirectRunner", "DataflowRunner"] = "DirectRunner"
    direct_running_mode: Literal["in_memory", "multi_threading", "multi_processing"] = (
        "multi_processing"
    )
    direct_num_workers: int = Field(default=0, ge=0, description="0 = one per core of the pod.")
    dataflow: DataflowConfig | None = None
    extra_args: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dataflow_needs_section(self) -> RemoteBeamConfig:
        if self.runner == "DataflowRunner" and self.dataflow is None:
            raise ValueError("runner DataflowRunner needs a 'dataflow' section")
        for arg in self.extra_args:
            if not arg.startswith("--"):
                raise ValueError(f"extra_args: '{arg}' is not a Beam flag (expected --name=value)")
        return self

    def pipeline_args(self) -> list[str]:
        """Beam pipeline options, built from typed fields only."""
        if self.runner == "DirectRunner":
            args = [
                f"--direct_running_mode={self.direct_running_mode}",
                f"--direct_num_workers={self.direct_num_workers}",
            ]
        else:
            flow = self.dataflow
            assert flow is not None
            args = ["--runner=DataflowRunner"]
            for key in (
                "project",
                "region",
                "temp_location",
                "staging_location",
                "machine_type",
                "num_workers",
                "max_num_workers",
                "disk_size_gb",
                "sdk_container_image",
                "setup_file",
                "service_account_email",
            ):
                value = getattr(flow, key)
                if value is not None:
                    args.append(f"--{key}={value}")
            args += [f"--experiments={experiment}" for experiment in flow.experiments]
        return args + list(self.extra_args)


class KubeflowConfig(Strict):
    host: str | None = Field(default=None, description="KFP API URL; --host overrides it.")
    experiment: str = "tfxkit"
    namespace: str | None = None


# An OCI image reference: [registry[:port]/]path[:tag][@sha256:digest], lower-case path.
_IMAGE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@sha256:[a-f0-9]{64})?$"
)


def _check_labels(labels: dict[str, str]) -> dict[str, str]:
    pattern = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
    for key, value in labels.items():
        if not pattern.match(key) or (value and not re.match(r"^[a-z0-9_-]{0,63}$", value)):
            raise ValueError(
                f"label {key}={value!r}: Vertex labels are lowercase letters, digits, _ and -"
            )
    return labels


# Google's prebuilt TensorFlow prediction images (TF Serving inside), in the Artifact Registry
# multi-region nearest the Vertex region; TF 2.16 matches the TFX 1.16 image that trains.
PREBUILT_TF_SERVING = "{repo}-docker.pkg.dev/vertex-ai/prediction/tf2-{device}.2-16:latest"


class VertexServing(Strict):
    """Where and on what ``tfxkit serving deploy-vertex`` serves a blessed model on Vertex AI.

    It lives under ``vertex:`` rather than as a top-level section because a deployment needs
    exactly that section's project, region, service account (the serving container runs as
    it) and labels, and nothing of the pipeline's orchestration: a profile that trains on
    Kubeflow can still deploy to Vertex with a ``vertex:`` section holding only this.

    ``{name}`` in a display name is replaced by the pipeline name, as in the locations.
    """

    model_display_name: str | None = Field(
        default=None, max_length=128, description="Model Registry name; default: the pipeline's."
    )
    endpoint_display_name: str | None = Field(
        default=None, max_length=128, description="Endpoint to deploy to (created if missing)."
    )
    serving_image: str | None = Field(
        default=None,
        description="Serving container; default Google's prebuilt TF 2.16 one (GPU with an "
        "accelerator).",
    )
    machine_type: str = Field(default="n1-standard-4", pattern=r"^[a-z0-9-]+$")
    accelerator: Accelerator | None = None
    min_replica_count: int = Field(default=1, ge=1)
    max_replica_count: int | None = Field(
        default=None, ge=1, description="Autoscaling ceiling; default min_replica_count."
    )
    traffic_percentage: int = Field(
        default=100,
        ge=0,
        le=100,
        description="Share of the endpoint's traffic for the new version; the rest stays on "
        "the versions already deployed, in their current proportions (a canary). The first "
        "version on an endpoint takes all of it.",
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="On the model version and endpoint, over vertex.labels."
    )

    @field_validator("labels")
    @classmethod
    def _label_syntax(cls, labels: dict[str, str]) -> dict[str, str]:
        return _check_labels(labels)

    @field_validator("serving_image")
    @classmethod
    def _image_reference(cls, image: str | None) -> str | None:
        if image is not None and not _IMAGE.match(image):
            raise ValueError(
                f"'{image}' is not a container image reference "
                "(registry/path[:tag][@sha256:digest], path in lower case)"
            )
        return image

    @model_validator(mode="after")
    def _consistent(self) -> VertexServing:
        if self.max_replica_count is not None and self.max_replica_count < self.min_replica_count:
            raise ValueError(
                f"max_replica_count ({self.max_replica_count}) is below min_replica_count "
                f"({self.min_replica_count}); Vertex autoscales between the two"
            )
        if self.accelerator and not self.serving_image and not self.gpu:
            raise ValueError(
                f"accelerator {self.accelerator.type}: the prebuilt TensorFlow serving images "
                "run on CPUs or NVIDIA GPUs; set serving_image to an image built for it"
            )
        return self

    @property
    def gpu(self) -> bool:
        """Whether the replicas get NVIDIA GPUs (the prebuilt images' only accelerator)."""
        return bool(self.accelerator and self.accelerator.type.startswith("NVIDIA_"))

    def image(self, region: str) -> str:
        """The serving image: the configured one, else Google's prebuilt TF one for the
        region's continent (``us`` outside Europe and Asia), GPU when an accelerator is set."""
        if self.serving_image:
            return self.serving_image
        continent = region.split("-", 1)[0]
        repo = continent if continent in ("europe", "asia") else "us"
        return PREBUILT_TF_SERVING.format(repo=repo, device="gpu" if self.gpu else "cpu")


class VertexConfig(Strict):
    project: str = Field(min_length=1)
    region: str = Field(pattern=r"^[a-z]+-[a-z]+[0-9]+$")
    service_account: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    serving: VertexServing = Field(
        default_factory=VertexServing,
        description="Model Registry upload and endpoint deployment of a blessed model.",
    )

    @field_validator("labels")
    @classmethod
    def _label_syntax(cls, labels: dict[str, str]) -> dict[str, str]:
        return _check_labels(labels)


class RunnerProfile(Strict):
    """Everything a remote orchestrator needs that the pipeline definition must not contain."""

    @field_validator("image")
    @classmethod
    def _image_reference(cls, image: str) -> str:
        """Found when the profile loads, not when a cluster fails to pull it."""
        if not _IMAGE.match(image):
            raise ValueError(
                f"'{image}' is not a container image reference "
                "(registry/path[:tag][@sha256:digest], path in lower case)"
            )
        return image

    runner: Literal["kubeflow", "vertex"]
    image: str = Field(
        min_length=1, description="Pipeline image with tfxkit, components/ and pipelines/."
    )
    pipeline_root: str = Field(description="Shared artifact root, e.g. gs://bucket/tfxkit/{name}")
    data_path: str | None = Field(default=None, description="Replaces data.path remotely.")
    push_destination: str | None = Field(
        default=None, description="Replaces push.destination (the serving base)."
    )
    mounted_volumes: list[str] = Field(
        default_factory=list, description="Paths mounted into every pod (count as shared)."
    )
    output: str | None = Field(
        default=None, description="Compiled file; default build/{name}.yaml (kubeflow) or .json."
    )
    resources: dict[str, Resources] = Field(
        default_factory=dict, description="Per node id; 'default' applies to every component."
    )
    beam: RemoteBeamConfig = Field(default_factory=RemoteBeamConfig)
    kubeflow: KubeflowConfig = Field(default_factory=KubeflowConfig)
    vertex: VertexConfig | None = None
    distributed_training: DistributedTraining | None = Field(
        default=None,
        description="Vertex only: run the Trainer as a custom job with these worker pools.",
    )

    @model_validator(mode="after")
    def _vertex_needs_section(self) -> RunnerProfile:
        if self.runner == "vertex" and self.vertex is None:
            raise ValueError("runner 'vertex' needs a 'vertex' section (project, region, ...)")
        if self.distributed_training and self.runner != "vertex":
            raise ValueError(
                "distributed_training: worker pools are a Vertex custom job; on Kubeflow, give "
                "the trainer GPUs/TPUs with resources.trainer.accelerator"
            )
        return self

    def vertex_training_config(self, strategy: str) -> dict | None:
        """The Trainer's custom_config entries that make TFX's Vertex Trainer extension run it
        as a custom job with the configured pools; None without distributed_training."""
        pools = self.distributed_training
        if pools is None or self.vertex is None:
            return None
        pools.check_strategy(strategy)
        return {
            "ai_platform_enable_vertex": True,
            "ai_platform_vertex_region": self.vertex.region,
            "ai_platform_training_args": {
                "project": self.vertex.project,
                "job_spec": {"worker_pool_specs": pools.worker_pool_specs(self.image)},
            },
        }

    def expand(self, text: str, name: str) -> str:
        return text.replace("{name}", name)

    def output_path(self, name: str) -> str:
        default = f"build/{name}.yaml" if self.runner == "kubeflow" else f"build/{name}.json"
        return self.expand(self.output or default, name)

    def apply_to(self, config: PipelineConfig) -> PipelineConfig:
        """The pipeline config with remote locations from this profile."""
        name = config.name
        remote = config.model_copy(deep=True)
        remote.pipeline_root = self.expand(self.pipeline_root, name)
        if self.data_path:
            remote.data.path = self.expand(self.data_path, name)
        if self.push_destination:
            remote.push.destination = self.expand(self.push_destination, name)
        return remote


def load_profile(path: str | os.PathLike[str], overrides: list[str] | None = None) -> RunnerProfile:
    data = apply_overrides(read_yaml_mapping(path, "runner profile"), overrides or [])
    try:
        return RunnerProfile.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(str(path), err, "runner profile")) from None
