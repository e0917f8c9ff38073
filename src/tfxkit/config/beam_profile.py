"""Runner-profile sections for Beam on a remote run: DirectRunner in the pod, or Dataflow.

Split from ``config.profiles``: Dataflow's options are a concept of their own (workers, their
machines, how tfxkit reaches them). Every field becomes one typed pipeline option.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tfxkit.config.base import Strict
from tfxkit.config.types import (
    BeamFlag,
    DataflowMachineType,
    GcsPath,
    NonNegativeInt,
    PositiveInt,
    Region,
    SetupPy,
)

# Dataflow options that come from a typed field, in the order they are passed.
_DATAFLOW_OPTIONS = (
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

    project: str = Field(description="Google Cloud project the job runs in.")
    region: Region = Field(description="Dataflow region, e.g. us-central1.")
    temp_location: GcsPath = Field(description="gs:// folder for temporary files.")
    staging_location: GcsPath | None = Field(
        default=None, description="gs:// folder for staged files; default temp_location."
    )
    machine_type: DataflowMachineType | None = Field(
        default=None,
        description="Worker Compute Engine type, e.g. n2-standard-4 or custom-4-16384; TF "
        "Transform and TFMA workers want >= 4 GB per vCPU-sized worker (no highcpu).",
    )
    max_num_workers: PositiveInt | None = Field(
        default=None, description="Autoscaling ceiling of workers."
    )
    num_workers: PositiveInt | None = Field(default=None, description="Workers at start.")
    disk_size_gb: PositiveInt | None = Field(default=None, description="Disk of each worker.")
    sdk_container_image: str | None = Field(
        default=None, description="Worker image: the pipeline image (recommended)."
    )
    setup_file: SetupPy | None = Field(
        default=None, description="Path of a setup.py in the pipeline image that packages tfxkit."
    )
    service_account_email: str | None = Field(
        default=None, description="Service account the workers run as."
    )
    experiments: list[str] = Field(default_factory=list, description="--experiments=...")

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

    def pipeline_args(self) -> list[str]:
        args = ["--runner=DataflowRunner"]
        for key in _DATAFLOW_OPTIONS:
            value = getattr(self, key)
            if value is not None:
                args.append(f"--{key}={value}")
        return args + [f"--experiments={experiment}" for experiment in self.experiments]


class RemoteBeamConfig(Strict):
    """Beam for the Beam-based components of a remote run."""

    runner: Literal["DirectRunner", "DataflowRunner"] = Field(
        default="DirectRunner", description="DirectRunner inside each pod, or Dataflow."
    )
    direct_running_mode: Literal["in_memory", "multi_threading", "multi_processing"] = Field(
        default="multi_processing", description="DirectRunner: how it runs in parallel."
    )
    direct_num_workers: NonNegativeInt = Field(
        default=0, description="0 = one per core of the pod."
    )
    dataflow: DataflowConfig | None = Field(
        default=None, description="Dataflow settings (runner DataflowRunner)."
    )
    extra_args: list[BeamFlag] = Field(
        default_factory=list,
        description="More Beam pipeline options, each '--name=value', passed as written.",
    )

    @model_validator(mode="after")
    def _dataflow_needs_section(self) -> RemoteBeamConfig:
        if self.runner == "DataflowRunner" and self.dataflow is None:
            raise ValueError("runner DataflowRunner needs a 'dataflow' section")
        return self

    def pipeline_args(self) -> list[str]:
        """Beam pipeline options, built from typed fields only."""
        if self.runner == "DirectRunner":
            args = [
                f"--direct_running_mode={self.direct_running_mode}",
                f"--direct_num_workers={self.direct_num_workers}",
            ]
        else:
            assert self.dataflow is not None
            args = self.dataflow.pipeline_args()
        return args + list(self.extra_args)
