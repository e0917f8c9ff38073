"""Runner-profile sections for Vertex AI: project and region, distributed training pools, and
where a blessed model is served.

Split from ``config.profiles``: everything here is Vertex's vocabulary (worker pools, machine
and accelerator types, labels, endpoints); the profile itself only says which runner to use.
"""

from __future__ import annotations

from pydantic import Field, StrictFloat, StrictInt, model_validator

from tfxkit.config.base import Strict
from tfxkit.config.types import (
    AcceleratorType,
    ImageRef,
    MachineType,
    NonEmptyStr,
    PositiveInt,
    Region,
    VertexLabels,
)
from tfxkit.errors import ConfigError


class Accelerator(Strict):
    """A GPU or TPU request, e.g. {type: NVIDIA_TESLA_T4, count: 1} or {type: TPU_V3, count: 8}."""

    type: AcceleratorType = Field(description="Accelerator type, e.g. NVIDIA_TESLA_T4, TPU_V3.")
    count: PositiveInt = Field(description="Accelerators per machine.")


class WorkerPool(Strict):
    """One Vertex worker pool: machines of one type, with optional accelerators."""

    machine_type: MachineType = Field(
        default="n1-standard-8", description="Compute Engine machine type of each replica."
    )
    replicas: PositiveInt = Field(default=1, description="Machines in the pool.")
    accelerator: Accelerator | None = Field(default=None, description="GPUs/TPUs per machine.")

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

    chief: WorkerPool = Field(
        default_factory=WorkerPool, description="The one chief (replicas must be 1)."
    )
    workers: WorkerPool | None = Field(
        default=None, description="Workers (multi_worker_mirrored, parameter_server)."
    )
    parameter_servers: WorkerPool | None = Field(
        default=None, description="Parameter servers (parameter_server)."
    )

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


# Google's prebuilt TensorFlow prediction images (TF Serving inside), in the Artifact Registry
# multi-region nearest the Vertex region; TF 2.16 matches the TFX 1.16 image that trains.
PREBUILT_TF_SERVING = "{repo}-docker.pkg.dev/vertex-ai/prediction/tf2-{device}.2-16:latest"


class RequestLogging(Strict):
    """Vertex AI's own request-response logging on the endpoint (issue 24): sampled requests
    and answers land in BigQuery, where a window can be exported for ``tfxkit monitor``.
    Set when the endpoint is created (an existing endpoint keeps its logging)."""

    bigquery_table: str = Field(
        pattern=r"^bq://[a-z][a-z0-9-]{4,29}\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$",
        description="Where Vertex writes the log: bq://PROJECT.DATASET.TABLE.",
    )
    sampling_rate: StrictFloat = Field(
        default=0.1, gt=0, le=1, description="Share of requests logged (0 < rate <= 1)."
    )


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
    serving_image: ImageRef | None = Field(
        default=None,
        description="Serving container; default Google's prebuilt TF 2.16 one (GPU with an "
        "accelerator).",
    )
    machine_type: MachineType = Field(
        default="n1-standard-4", description="Compute Engine machine type of each replica."
    )
    accelerator: Accelerator | None = Field(default=None, description="GPUs per replica.")
    min_replica_count: PositiveInt = Field(default=1, description="Replicas always running.")
    max_replica_count: PositiveInt | None = Field(
        default=None, description="Autoscaling ceiling; default min_replica_count."
    )
    traffic_percentage: StrictInt = Field(
        default=100,
        ge=0,
        le=100,
        description="Share of the endpoint's traffic for the new version; the rest stays on "
        "the versions already deployed, in their current proportions (a canary). The first "
        "version on an endpoint takes all of it.",
    )
    labels: VertexLabels = Field(
        default_factory=dict, description="On the model version and endpoint, over vertex.labels."
    )
    request_logging: RequestLogging | None = Field(
        default=None,
        description="Log sampled requests and answers to BigQuery (Vertex's endpoint logging; "
        "docs/monitoring.md). Off by default.",
    )

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
    """Vertex AI Pipelines: where runs go and as whom."""

    project: NonEmptyStr = Field(description="Google Cloud project.")
    region: Region = Field(description="Vertex AI region, e.g. us-central1.")
    service_account: str | None = Field(
        default=None, description="Service account the pipeline's jobs run as."
    )
    labels: VertexLabels = Field(
        default_factory=dict, description="Labels on every run (lowercase key: value)."
    )
    serving: VertexServing = Field(
        default_factory=VertexServing,
        description="Model Registry upload and endpoint deployment of a blessed model.",
    )
