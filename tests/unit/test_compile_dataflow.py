"""``tfxkit compile --format kfp`` with a Dataflow profile checks every Beam step's job request.

Each test compiles the penguin pipeline through the CLI with configs/dataflow.yaml (or a copy
with one thing changed): Beam's DataflowRunner builds the requests offline, and a request that
is not what the profile asks for stops the compile with one paragraph, exit 2, nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.paths import CONFIGS, PENGUIN_CONFIG, PENGUIN_PIPELINE, REPO
from tfxkit import cli
from tfxkit.config.beam_profile import DataflowConfig
from tfxkit.runners import dataflow_request

DATAFLOW = CONFIGS / "dataflow.yaml"
BEAM_STEPS = ["evaluator", "example_gen", "statistics_gen", "transform"]


def _profile(tmp_path: Path, beam: dict | None = None, **dataflow: object) -> Path:
    """configs/dataflow.yaml with ``dataflow`` fields and ``beam`` keys replaced."""
    data = yaml.safe_load(DATAFLOW.read_text())
    data["beam"]["dataflow"].update(dataflow)
    data["beam"].update(beam or {})
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _compile(profile: Path, out: Path) -> int:
    args = ["compile", str(PENGUIN_PIPELINE), "-c", str(PENGUIN_CONFIG), "--format", "kfp"]
    return cli.main([*args, "-p", str(profile), "-o", str(out)])


def test_a_right_profile_compiles_after_every_request_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = []
    real = dataflow_request.build_request

    def spy(component: str, *args: object, **kwargs: object) -> dataflow_request.JobRequest:
        request = real(component, *args, **kwargs)
        built.append((component, request.worker_pool.get("machineType")))
        return request

    monkeypatch.setattr(dataflow_request, "build_request", spy)
    out = tmp_path / "penguin.json"
    assert _compile(DATAFLOW, out) == 0
    assert out.is_file()
    assert sorted(built) == [(step, "n2-standard-4") for step in BEAM_STEPS]


def test_a_flag_that_overrides_the_profile_fails_before_writing(tmp_path: Path, capsys) -> None:
    """beam.extra_args comes after the typed fields, so Beam takes its machine type."""
    profile = _profile(tmp_path, beam={"extra_args": ["--worker_machine_type=n1-standard-1"]})
    out = tmp_path / "penguin.json"
    assert _compile(profile, out) == 2
    err = capsys.readouterr().err
    assert not out.exists()
    assert "the Dataflow job requests Beam builds from it are not what" in err
    for step in BEAM_STEPS:
        assert f"component '{step}': worker machineType 'n1-standard-1', not 'n2-standard-4'" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_options_beam_refuses_fail_before_writing(tmp_path: Path, capsys) -> None:
    """A project id Beam's validator rejects (tfxkit's profile takes any string there)."""
    out = tmp_path / "penguin.json"
    assert _compile(_profile(tmp_path, project="My Project"), out) == 2
    err = capsys.readouterr().err
    assert not out.exists()
    assert "Beam's DataflowRunner refused the options of component 'evaluator'" in err
    assert "Invalid Project ID (My Project)" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_setup_file_only_in_the_image_gets_a_local_stand_in(tmp_path: Path) -> None:
    """Beam packages a setup file where the job is submitted; the image's /tfxkit/setup.py is
    tfxkit's own, so its source tree's stands in; another missing one gets an empty package."""
    config = yaml.safe_load(DATAFLOW.read_text())["beam"]["dataflow"]
    config.pop("sdk_container_image")
    image = DataflowConfig(**config, setup_file="/tfxkit/setup.py")
    assert dataflow_request.setup_stand_in(image, tmp_path) == REPO / "setup.py"
    here = image.model_copy(update={"setup_file": str(REPO / "setup.py")})
    assert dataflow_request.setup_stand_in(here, tmp_path) is None
    other = image.model_copy(update={"setup_file": "/app/setup.py"})
    stand_in = dataflow_request.setup_stand_in(other, tmp_path)
    assert stand_in is not None and stand_in.is_relative_to(tmp_path)
    assert "setup(name='stand-in'" in stand_in.read_text()


def test_the_request_keeps_the_image_path_of_the_setup_file(tmp_path: Path) -> None:
    args = [
        "--runner=DataflowRunner",
        "--project=my-project",
        "--region=us-central1",
        "--temp_location=gs://my-bucket/tmp",
        "--setup_file=/app/setup.py",
    ]
    config = yaml.safe_load(DATAFLOW.read_text())["beam"]["dataflow"]
    config.pop("sdk_container_image")
    dataflow = DataflowConfig(**config, setup_file="/app/setup.py")
    stand_in = dataflow_request.setup_stand_in(dataflow, tmp_path)
    request = dataflow_request.build_request("transform", args, tmp_path, stand_in)
    assert "workflow.tar.gz" in request.staged
    assert request.options["setup_file"] == "/app/setup.py"
