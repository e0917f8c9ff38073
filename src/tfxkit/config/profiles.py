"""Runner profiles: where and how a pipeline runs remotely (Kubeflow Pipelines, Vertex AI).

Why separate from the pipeline config: the pipeline (data, features, model, gates) is the same
everywhere; a profile holds only what changes between orchestrators: the container image,
shared storage locations, per-component resources, and Beam settings (DirectRunner in the pod or
Dataflow). ``configs/kubeflow.yaml``, ``configs/vertex.yaml`` and ``configs/dataflow.yaml`` are
examples. Like the pipeline config, unknown keys and bad values are errors naming the key.

The Vertex sections live in ``config.vertex_profile`` and the Beam/Dataflow ones in
``config.beam_profile``; they are re-exported here. ``{name}`` in a location is replaced by
the pipeline name.
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, model_validator

from tfxkit.config.base import Strict
from tfxkit.config.beam_profile import DataflowConfig, RemoteBeamConfig
from tfxkit.config.loading import load_model
from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.config.types import ImageRef, PositiveFloat
from tfxkit.config.vertex_profile import (
    PREBUILT_TF_SERVING,
    Accelerator,
    DistributedTraining,
    VertexConfig,
    VertexServing,
    WorkerPool,
)

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


class Resources(Strict):
    """Limits of one component's pod."""

    cpu: PositiveFloat | None = Field(default=None, description="CPU limit (cores).")
    memory_gb: PositiveFloat | None = Field(default=None, description="Memory limit in GB.")
    accelerator: Accelerator | None = Field(default=None, description="GPUs/TPUs of the pod.")


class KubeflowConfig(Strict):
    """Kubeflow Pipelines: where runs are submitted."""

    host: str | None = Field(default=None, description="KFP API URL; --host overrides it.")
    experiment: str = Field(default="tfxkit", description="KFP experiment the runs belong to.")
    namespace: str | None = Field(default=None, description="Kubernetes namespace (multi-user).")


class RunnerProfile(Strict):
    """Everything a remote orchestrator needs that the pipeline definition must not contain."""

    runner: Literal["kubeflow", "vertex"] = Field(
        description="kubeflow (Kubeflow Pipelines) or vertex (Vertex AI Pipelines)."
    )
    image: ImageRef = Field(
        description="Pipeline image with tfxkit installed and the pipelines/ folder."
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
    beam: RemoteBeamConfig = Field(
        default_factory=RemoteBeamConfig, description="Beam in the pods, or on Dataflow."
    )
    kubeflow: KubeflowConfig = Field(
        default_factory=KubeflowConfig, description="Kubeflow Pipelines settings."
    )
    vertex: VertexConfig | None = Field(
        default=None, description="Vertex AI settings (runner vertex, or serving on Vertex)."
    )
    distributed_training: DistributedTraining | None = Field(
        default=None,
        description="Vertex only: run the Trainer as a custom job with these worker pools.",
    )
    package: str | None = Field(
        default=None,
        description="Folder of your own code the tasks import (steps, plug-ins): a Python "
        "project (pyproject.toml or setup.py, pip-installed) or a folder of modules (put on "
        "the image's PYTHONPATH); default: the pipeline file's folder when a step lives "
        "there. Compiling checks every step's module is in it and writes a Dockerfile that "
        "stages it into the image.",
    )

    @model_validator(mode="after")
    def _vertex_needs_section(self) -> RunnerProfile:
        if self.runner == "vertex" and self.vertex is None:
            raise ValueError("runner 'vertex' needs a 'vertex' section (project, region, ...)")
        dataflow = self.beam.dataflow if self.beam.runner == "DataflowRunner" else None
        if self.package and dataflow is not None and not dataflow.sdk_container_image:
            raise ValueError(
                "package: Dataflow workers import your code from the pipeline image only: set "
                "beam.dataflow.sdk_container_image to the profile's image (it has the package "
                "installed) instead of setup_file"
            )
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
    return load_model(RunnerProfile, path, "runner profile", overrides)


__all__ = [
    "PREBUILT_TF_SERVING",
    "SHARED_SCHEMES",
    "Accelerator",
    "DataflowConfig",
    "DistributedTraining",
    "KubeflowConfig",
    "RemoteBeamConfig",
    "Resources",
    "RunnerProfile",
    "VertexConfig",
    "VertexServing",
    "WorkerPool",
    "is_shared_uri",
    "load_profile",
]
