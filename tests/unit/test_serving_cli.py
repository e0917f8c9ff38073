"""``tfxkit serving render`` and ``deploy-vertex`` as a user calls them (no TensorFlow here).

deploy-vertex's happy path runs against the Vertex stand-in in ``test_vertex_serving.py``;
here the command's own checks: it finds the stable version in ``models.config``, refuses a
missing or unblessed version and a base Vertex cannot read, and exits 2 with one paragraph.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.paths import CONFIGS
from tfxkit import cli
from tfxkit.serving import rollout


def _base(tmp_path: Path, versions: tuple[int, ...] = (1,)) -> Path:
    base = tmp_path / "serving"
    for version in versions:
        (base / "penguin" / str(version)).mkdir(parents=True)
        records = base / "penguin" / ".tfxkit-pushes"
        records.mkdir(exist_ok=True)
        (records / f"{version}.json").write_text(json.dumps({"blessed": True}))
    return base


def test_render_writes_manifests_that_validate(tmp_path: Path, capsys) -> None:
    out = tmp_path / "manifests"
    code = cli.main(["serving", "render", "penguin", "--accelerator", "gpu", "-o", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "invalid" not in printed.out
    deployment = yaml.safe_load((out / "deployment.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] in (1, "1")
    assert container["readinessProbe"]["httpGet"]["path"] == "/v1/models/penguin"


def test_render_tpu_without_image_is_refused(tmp_path: Path, capsys) -> None:
    code = cli.main(["serving", "render", "penguin", "--accelerator", "tpu", "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "image" in err and "Traceback" not in err
    assert not list(tmp_path.iterdir()), "nothing written"


def _deploy(base: Path, *extra: str) -> list[str]:
    return ["serving", "deploy-vertex", "penguin", "-p", str(CONFIGS / "vertex.yaml"),
            "--base", str(base), *extra]  # fmt: skip


def test_deploy_vertex_needs_a_stable_version(tmp_path: Path, capsys) -> None:
    base = _base(tmp_path)
    assert cli.main(_deploy(base)) == 2
    assert "no stable version" in capsys.readouterr().err


def test_deploy_vertex_refuses_an_unblessed_version(tmp_path: Path, capsys) -> None:
    base = _base(tmp_path)
    (base / "penguin" / "2").mkdir()  # copied by hand: no push record
    assert cli.main(_deploy(base, "--version", "2")) == 2
    assert "not pushed by tfxkit" in capsys.readouterr().err


def test_deploy_vertex_refuses_a_base_vertex_cannot_read(tmp_path: Path, capsys) -> None:
    base = _base(tmp_path)
    rollout.label_new_version(str(base), "penguin", 1)
    assert cli.main(_deploy(base)) == 2
    err = capsys.readouterr().err
    assert "gs://" in err and "Traceback" not in err
