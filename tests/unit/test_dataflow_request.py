"""Dataflow job requests for every Beam component, built by Beam offline from configs/dataflow.yaml.

No network: Beam's DataflowRunner builds each request and tfxkit records it instead of sending.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.paths import PENGUIN_CONFIG, PENGUIN_PIPELINE, REPO
from tfxkit.config.pipeline_config import load_config
from tfxkit.config.profiles import load_profile
from tfxkit.pipeline.kfp_compiler import compile_pipeline, load_spec
from tfxkit.runners import dataflow_request

DATAFLOW = REPO / "configs" / "dataflow.yaml"
BEAM_COMPONENTS = {"example_gen", "statistics_gen", "transform", "evaluator"}


def _requests(tmp_path: Path, *overrides: str):
    profile = load_profile(DATAFLOW, list(overrides))
    config = load_config(PENGUIN_CONFIG, [])
    compiled = compile_pipeline(PENGUIN_PIPELINE, config, profile, output=tmp_path / "p.json")
    spec = load_spec(compiled.path)
    assert profile.beam.dataflow is not None
    return profile.beam.dataflow, dataflow_request.check_spec(spec, profile.beam.dataflow, tmp_path)


@pytest.fixture(scope="module")
def image_route(tmp_path_factory):
    return _requests(tmp_path_factory.mktemp("image"))


def test_every_beam_component_gets_a_request(image_route) -> None:
    _, requests = image_route
    assert {r.component for r in requests} == BEAM_COMPONENTS


def test_image_route_request_matches_the_profile(image_route) -> None:
    dataflow, requests = image_route
    for request in requests:
        assert request.problems == [], request.problems
        assert request.worker_pool["machineType"] == "n2-standard-4"
        assert request.container_images() == [dataflow.sdk_container_image]
        assert request.options["max_num_workers"] == 8
        assert request.options["disk_size_gb"] == 50
        assert request.options["service_account_email"] == dataflow.service_account_email
        assert request.job["name"] == "tfxkit-" + request.component.replace("_", "-")
        # The image holds tfxkit: no sdist of TFX or tfxkit is staged beside it.
        assert not [n for n in request.staged if n.endswith((".tar.gz", ".whl"))], request.staged


def test_validation_names_what_differs(image_route) -> None:
    dataflow, requests = image_route
    wrong = dataflow.model_copy(update={"machine_type": "n2-highmem-8", "max_num_workers": 3})
    problems = dataflow_request.validate(requests[0], wrong)
    assert any("machineType 'n2-standard-4', not 'n2-highmem-8'" in p for p in problems)
    assert any("option max_num_workers is 8, not 3" in p for p in problems)
    other = dataflow.model_copy(update={"sdk_container_image": "gcr.io/x/other:1"})
    assert any("not the pipeline image" in p for p in dataflow_request.validate(requests[0], other))


def test_setup_file_route_stages_the_package(tmp_path: Path) -> None:
    """setup_file: Beam packages the project (here tfxkit's own setup.py) into workflow.tar.gz."""
    dataflow, requests = _requests(
        tmp_path,
        "beam.dataflow.sdk_container_image=null",
        f"beam.dataflow.setup_file={REPO / 'setup.py'}",
        "beam.dataflow.experiments=[use_runner_v2]",
    )
    assert {r.component for r in requests} == BEAM_COMPONENTS
    for request in requests:
        assert request.problems == [], request.problems
        assert "workflow.tar.gz" in request.staged
        assert request.options["setup_file"] == str(REPO / "setup.py")
        assert "use_runner_v2" in request.options["experiments"]
