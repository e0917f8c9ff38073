"""Serve a blessed model on Vertex AI: Model Registry upload, then endpoint deployment.

Why these steps, in this order:

* Upload: every pushed version becomes a new *version* of one registry model (found by its
  display name; created on the first deploy), so the registry keeps the lineage and each version
  carries the label ``tfxkit-version=<version>``. Vertex reads models only from Cloud Storage,
  so a non-``gs://`` artifact is refused before any request.
* Endpoint: found by display name, created when missing; endpoints outlive versions, so
  clients keep one URL while versions change behind it.
* Deploy: the new version gets ``traffic_percentage`` of the endpoint's traffic and the
  versions already serving keep the rest in their current proportions (a canary). tfxkit
  computes the split itself, so the numbers it prints are the ones it sent.

Reruns are safe: when the registry model's default version already is this tfxkit version from
the same artifact (an earlier deploy uploaded it, then failed), it is reused; when that version
is already deployed on the endpoint, nothing is deployed again. Every SDK, HTTP and auth failure
becomes a one-paragraph :class:`VertexError` (``vertex_calls``), never a traceback.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from google.cloud import aiplatform

from tfxkit.config.profiles import RunnerProfile, VertexConfig, VertexServing
from tfxkit.errors import ConfigError
from tfxkit.runners.backends.base import Connection
from tfxkit.runners.backends.vertex import VertexBackend, VertexTarget, configure_sdk
from tfxkit.runners.backends.vertex_calls import VertexError, vertex_error, vertex_errors

__all__ = [
    "VERSION_LABEL",
    "VertexDeployment",
    "deploy_model",
    "deploy_summary_lines",
    "find_or_create_endpoint",
    "split_traffic",
    "upload_model",
]

VERSION_LABEL = "tfxkit-version"
NEW_MODEL_KEY = "0"  # Vertex's traffic-split key for the model being deployed
_GOOGLE = Connection()  # Google's regional endpoint, Application Default Credentials


@dataclass(frozen=True)
class VertexDeployment:
    """What a deploy left on Vertex, for printing (resource names are full paths)."""

    model: str  # projects/P/locations/L/models/ID (the registry model, no version)
    model_version_id: str
    endpoint: str
    deployed_model_id: str
    traffic_split: dict[str, int] = field(default_factory=dict)  # deployed model id -> percent
    version: int = 0  # the tfxkit (pushed model) version
    uploaded: bool = True  # False: an earlier upload of this version was reused
    endpoint_created: bool = False
    deployed: bool = True  # False: this version was already deployed on the endpoint


@dataclass(frozen=True)
class _Deploy:
    """One deploy's settings, resolved from the profile once."""

    target: VertexTarget
    serving: VertexServing
    model_display_name: str
    endpoint_display_name: str
    artifact_uri: str
    version: int

    @property
    def what(self) -> str:
        return f"model '{self.model_display_name}' version {self.version}"

    def errors(self, operation: str) -> AbstractContextManager[None]:
        return vertex_errors(VertexBackend(self.target).location, self.target.endpoint, operation)

    def error(self, operation: str, detail: str) -> VertexError:
        return vertex_error(VertexBackend(self.target).location, operation, detail)

    def labels(self) -> dict[str, str]:
        return {**self.target.labels, **self.serving.labels, VERSION_LABEL: str(self.version)}

    def configure(self) -> Any:
        """Point the SDK's process-wide config at the target; returns the credentials."""
        return configure_sdk(self.target)

    def where(self, credentials: Any) -> dict[str, Any]:
        target = self.target
        return dict(project=target.project, location=target.region, credentials=credentials)


def _resolve(
    profile: RunnerProfile,
    model_name: str,
    connection: Connection,
    artifact_uri: str | None = None,
    version: int = 0,
) -> _Deploy:
    """Check the inputs before any request: the profile's vertex section, a gs:// artifact."""
    what = f"cannot deploy model '{model_name}' version {version} to Vertex AI"
    vertex: VertexConfig | None = profile.vertex
    if vertex is None:
        raise ConfigError(f"{what}: the runner profile has no 'vertex' section (project, region)")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ConfigError(f"{what}: the version must be a non-negative integer, got {version!r}")
    if artifact_uri is not None and (
        not artifact_uri.startswith("gs://") or artifact_uri == "gs://"
    ):
        raise ConfigError(
            f"{what}: its artifact URI {artifact_uri!r} is not a Cloud Storage URI. Vertex AI "
            "reads models only from gs:// directories: push the blessed model to Cloud Storage "
            "(push_destination in the runner profile) and deploy that pushed version."
        )
    serving = vertex.serving
    display = profile.expand(serving.model_display_name or model_name, model_name)
    return _Deploy(
        target=VertexTarget.from_config(vertex, connection),
        serving=serving,
        model_display_name=display,
        endpoint_display_name=profile.expand(serving.endpoint_display_name or display, model_name),
        artifact_uri=artifact_uri or "",
        version=version,
    )


def _only(found: list[Any], kind: str, name: str, deploy: _Deploy, operation: str) -> Any:
    """The one resource named ``name``; display names are not unique on Vertex, so two are
    refused rather than guessed between."""
    found = [r for r in found if r.display_name == name]
    if len(found) > 1:
        ids = ", ".join(sorted(r.resource_name for r in found))
        raise deploy.error(
            operation,
            f"{len(found)} {kind}s are named '{name}' ({ids}); rename or delete all but one, "
            f"or name another in vertex.serving.{kind}_display_name.",
        )
    return found[0] if found else None


def _upload(deploy: _Deploy, credentials: Any) -> tuple[Any, bool]:
    operation = f"upload {deploy.what} to the Model Registry"
    name = deploy.model_display_name
    with deploy.errors(operation):
        listed = aiplatform.Model.list(filter=f'display_name="{name}"', **deploy.where(credentials))
        parent = _only(listed, "model", name, deploy, operation)
        if parent is not None and _is_this_upload(parent, deploy):
            return parent, False
        model = aiplatform.Model.upload(
            display_name=name,
            artifact_uri=deploy.artifact_uri,
            serving_container_image_uri=deploy.serving.image(deploy.target.region),
            parent_model=parent.resource_name if parent is not None else None,
            is_default_version=True,
            version_description=f"tfxkit version {deploy.version} from {deploy.artifact_uri}",
            labels=deploy.labels(),
            sync=True,
            **deploy.where(credentials),
        )
    return model, True


def _is_this_upload(model: Any, deploy: _Deploy) -> bool:
    """Whether the default version is this tfxkit version from this artifact (a rerun)."""
    labels = dict(model.labels or {})
    same_uri = (model.uri or "").rstrip("/") == deploy.artifact_uri.rstrip("/")
    return labels.get(VERSION_LABEL) == str(deploy.version) and same_uri


def _endpoint(deploy: _Deploy, credentials: Any) -> tuple[Any, bool]:
    name = deploy.endpoint_display_name
    operation = f"find or create endpoint '{name}'"
    with deploy.errors(operation):
        listed = aiplatform.Endpoint.list(
            filter=f'display_name="{name}"', **deploy.where(credentials)
        )
        found = _only(listed, "endpoint", name, deploy, operation)
        if found is not None:
            return found, False
        labels = {**deploy.target.labels, **deploy.serving.labels}
        logging_settings = deploy.serving.request_logging
        logged = (
            {
                "enable_request_response_logging": True,
                "request_response_logging_sampling_rate": logging_settings.sampling_rate,
                "request_response_logging_bq_destination_table": logging_settings.bigquery_table,
            }
            if logging_settings
            else {}
        )
        created = aiplatform.Endpoint.create(
            display_name=name, labels=labels, sync=True, **logged, **deploy.where(credentials)
        )
    return created, True


def split_traffic(current: Mapping[str, int], percentage: int) -> dict[str, int]:
    """The endpoint's new split: ``percentage`` for the new model (key ``"0"``), the rest over
    the deployed models in proportion to their current shares (largest remainders get the
    rounding, so it sums to 100). With nothing serving yet, the new model takes everything."""
    serving = {k: v for k, v in current.items() if v > 0}
    if not serving or percentage >= 100:
        return {NEW_MODEL_KEY: 100}
    rest, total = 100 - percentage, sum(serving.values())
    exact = {k: v * rest / total for k, v in serving.items()}
    split = {k: math.floor(x) for k, x in exact.items()}
    by_remainder = sorted(exact, key=lambda k: (split[k] - exact[k], k))
    for key in by_remainder[: rest - sum(split.values())]:
        split[key] += 1
    split = {k: v for k, v in sorted(split.items()) if v > 0}
    return {NEW_MODEL_KEY: percentage, **split} if percentage else split


def _deployed_id(endpoint: Any, model: Any) -> str | None:
    for deployed in endpoint.gca_resource.deployed_models:
        same = deployed.model.split("@", 1)[0] == model.resource_name
        if same and deployed.model_version_id == model.version_id:
            return str(deployed.id)
    return None


def _deploy(deploy: _Deploy, endpoint: Any, model: Any) -> tuple[str, bool]:
    operation = f"deploy {deploy.what} to endpoint '{deploy.endpoint_display_name}'"
    serving = deploy.serving
    with deploy.errors(operation):
        existing = _deployed_id(endpoint, model)
        if existing is not None:
            return existing, False
        accelerator = serving.accelerator
        endpoint.deploy(
            model=model,
            deployed_model_display_name=f"{deploy.model_display_name}-v{deploy.version}"[:128],
            traffic_split=split_traffic(dict(endpoint.traffic_split), serving.traffic_percentage),
            machine_type=serving.machine_type,
            min_replica_count=serving.min_replica_count,
            max_replica_count=serving.max_replica_count or serving.min_replica_count,
            accelerator_type=accelerator.type if accelerator else None,
            accelerator_count=accelerator.count if accelerator else None,
            service_account=deploy.target.service_account,
            sync=True,
        )
        deployed = _deployed_id(endpoint, model)
    if deployed is None:
        raise deploy.error(operation, "the endpoint does not list the deployed model afterwards.")
    return deployed, True


def upload_model(
    profile: RunnerProfile,
    model_name: str,
    artifact_uri: str,
    version: int,
    *,
    connection: Connection = _GOOGLE,
) -> tuple[str, str]:
    """Upload one version to the Model Registry; returns (model resource name, version id)."""
    deploy = _resolve(profile, model_name, connection, artifact_uri, version)
    with deploy.errors(f"upload {deploy.what} to the Model Registry"):
        credentials = deploy.configure()
    model, _ = _upload(deploy, credentials)
    return model.resource_name, str(model.version_id)


def find_or_create_endpoint(
    profile: RunnerProfile, model_name: str, *, connection: Connection = _GOOGLE
) -> tuple[str, bool]:
    """The endpoint's resource name, and whether it was created now."""
    deploy = _resolve(profile, model_name, connection)
    with deploy.errors(f"find or create endpoint '{deploy.endpoint_display_name}'"):
        credentials = deploy.configure()
    endpoint, created = _endpoint(deploy, credentials)
    return endpoint.resource_name, created


def deploy_model(
    profile: RunnerProfile,
    model_name: str,
    artifact_uri: str,
    version: int,
    *,
    connection: Connection = _GOOGLE,
) -> VertexDeployment:
    """Upload ``artifact_uri`` (a gs:// SavedModel directory) as a new registry version and
    deploy it to the profile's endpoint with ``vertex.serving``'s machines and traffic share.

    ``connection.endpoint``/``credentials``: Vertex's API endpoint and credentials (default:
    Google's regional endpoint and Application Default Credentials)."""
    deploy = _resolve(profile, model_name, connection, artifact_uri, version)
    with deploy.errors(f"deploy {deploy.what}"):
        credentials = deploy.configure()
    model, uploaded = _upload(deploy, credentials)
    endpoint, created = _endpoint(deploy, credentials)
    deployed_id, deployed = _deploy(deploy, endpoint, model)
    return VertexDeployment(
        model=model.resource_name,
        model_version_id=str(model.version_id),
        endpoint=endpoint.resource_name,
        deployed_model_id=deployed_id,
        traffic_split={str(k): int(v) for k, v in sorted(endpoint.traffic_split.items())},
        version=version,
        uploaded=uploaded,
        endpoint_created=created,
        deployed=deployed,
    )


def deploy_summary_lines(result: VertexDeployment) -> list[str]:
    """What the CLI prints after a deploy: what happened, where, and the traffic split."""
    upload = "uploaded" if result.uploaded else "reused the earlier upload of"
    endpoint = "created" if result.endpoint_created else "existing"
    deployed = "deployed as" if result.deployed else "already deployed as"
    this = f" (version {result.version})"
    split = ", ".join(
        f"{model_id}{this if model_id == result.deployed_model_id else ''}: {share}%"
        for model_id, share in sorted(result.traffic_split.items(), key=lambda kv: -kv[1])
    )
    lines = [
        f"model registry: {upload} version {result.version} as "
        f"{result.model}@{result.model_version_id}",
        f"endpoint ({endpoint}): {result.endpoint}",
        f"{deployed} deployed model {result.deployed_model_id}",
        f"traffic split: {split or 'none'}",
    ]
    parts = result.endpoint.split("/")
    if len(parts) == 6 and parts[0] == "projects":
        lines.append(
            f"console: https://console.cloud.google.com/vertex-ai/locations/{parts[3]}"
            f"/endpoints/{parts[5]}?project={parts[1]}"
        )
    return lines
