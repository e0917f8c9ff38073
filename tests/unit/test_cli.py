"""CLI: help text, compile output, and one-paragraph errors with non-zero exits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import CONFIGS, PENGUIN_CONFIG, PENGUIN_PIPELINE, REPO
from tfxkit import cli


def test_help_describes_every_option(capsys) -> None:
    assert cli.run_pipeline_main(["--help"]) == 0  # click: the exit code, not SystemExit
    text = capsys.readouterr().out
    for option in ("--config", "--set", "--runner", "--no-cache", "--verbose", "--summary-json"):
        assert option in text


def test_compile_writes_tfx_ir(tmp_path: Path, penguin_overrides: list[str], capsys) -> None:
    out = tmp_path / "penguin.pbtxt"
    args = ["compile", str(PENGUIN_PIPELINE), "-c", str(PENGUIN_CONFIG), "-o", str(out)]
    for override in penguin_overrides:
        args += ["--set", override]
    assert cli.main(args) == 0
    assert "13 nodes" in capsys.readouterr().out
    from google.protobuf import text_format
    from tfx.proto.orchestration import pipeline_pb2

    ir = text_format.Parse(out.read_text(), pipeline_pb2.Pipeline())
    assert ir.pipeline_info.id == "penguin"
    assert len(ir.nodes) == 13


def test_no_pipeline_file_compiles_the_standard_pipeline(
    tmp_path: Path, penguin_overrides: list[str]
) -> None:
    """A user with only a config (from `tfxkit init`) needs no pipeline file: same IR."""
    outputs = []
    for pipeline in ([str(PENGUIN_PIPELINE)], []):
        out = tmp_path / f"ir{len(outputs)}.pbtxt"
        args = ["compile", *pipeline, "-c", str(PENGUIN_CONFIG), "-o", str(out)]
        for override in penguin_overrides:
            args += ["--set", override]
        assert cli.main(args) == 0
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]


def test_no_secret_in_compiled_files(
    tmp_path: Path, penguin_overrides: list[str], monkeypatch
) -> None:
    """The MySQL password stays in its variable: the IR names the variable, never the value."""
    password = "pw-that-must-not-leak-7f3a"
    monkeypatch.setenv("TFXKIT_MYSQL_PASSWORD", password)
    mysql = ["metadata.mysql.host=db", "metadata.mysql.database=mlmd", "metadata.mysql.user=tfx"]
    out = tmp_path / "ir.pbtxt"
    args = ["compile", str(PENGUIN_PIPELINE), "-c", str(PENGUIN_CONFIG), "-o", str(out)]
    for override in [*penguin_overrides, *mysql]:
        args += ["--set", override]
    assert cli.main(args) == 0
    text = out.read_text()
    assert password not in text
    assert "$TFXKIT_MYSQL_PASSWORD" in text and 'user: "tfx"' in text
    spec = tmp_path / "spec.yaml"
    kfp = ["compile", str(PENGUIN_PIPELINE), "-c", str(PENGUIN_CONFIG), "--format", "kfp"]
    kfp += ["-p", str(CONFIGS / "kubeflow.yaml"), "-o", str(spec)]
    for override in mysql:
        kfp += ["--set", override]
    assert cli.main(kfp) == 0
    assert password not in spec.read_text()


def test_bad_config_is_one_paragraph_and_exit_2(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(PENGUIN_CONFIG.read_text().replace("strategy: default", "strategy: mirorred"))
    code = cli.run_pipeline_main([str(PENGUIN_PIPELINE), "--config", str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: invalid pipeline config {bad}:")
    assert "training.strategy: 'mirorred' is not one of" in err
    assert "Traceback" not in err
    assert len(err.splitlines()) <= 4


def test_missing_pipeline_file_exit_2(capsys) -> None:
    code = cli.main(["run", "nope.py", "--config", str(PENGUIN_CONFIG)])
    assert code == 2
    assert "pipeline file nope.py does not exist" in capsys.readouterr().err


def test_remote_runner_needs_a_profile(capsys) -> None:
    code = cli.main(
        ["run", str(PENGUIN_PIPELINE), "--config", str(PENGUIN_CONFIG), "--runner", "vertex"]
    )
    assert code == 2
    assert "--runner vertex needs --profile PATH" in capsys.readouterr().err


def test_profile_for_the_wrong_runner(capsys) -> None:
    code = cli.main(
        [
            "run",
            str(PENGUIN_PIPELINE),
            "-c",
            str(PENGUIN_CONFIG),
            "--runner",
            "vertex",
            "--profile",
            str(REPO / "configs" / "kubeflow.yaml"),
        ]
    )
    assert code == 2
    assert "is for 'kubeflow', not 'vertex'" in capsys.readouterr().err


def test_kubeflow_compile_only_writes_the_spec(tmp_path: Path, capsys) -> None:
    out = tmp_path / "penguin.yaml"
    code = cli.run_pipeline_main(
        [
            str(PENGUIN_PIPELINE),
            "-c",
            str(PENGUIN_CONFIG),
            "--runner",
            "kubeflow",
            "--profile",
            str(REPO / "configs" / "kubeflow.yaml"),
            "--compile-only",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    assert "compiled 'penguin' for kubeflow (14 tasks" in capsys.readouterr().out
    assert "deploymentSpec" in out.read_text()


def test_kubeflow_submit_without_host_fails_before_compiling(tmp_path: Path, capsys) -> None:
    out = tmp_path / "penguin.yaml"
    code = cli.run_pipeline_main(
        [
            str(PENGUIN_PIPELINE),
            "-c",
            str(PENGUIN_CONFIG),
            "--runner",
            "kubeflow",
            "--profile",
            str(REPO / "configs" / "kubeflow.yaml"),
            "-o",
            str(out),
        ]
    )
    assert code == 2
    assert "needs the KFP API URL: pass --host URL" in capsys.readouterr().err
    assert not out.exists()


def test_console_scripts_are_installed() -> None:
    bindir = Path(sys.executable).parent
    for script in ("tfxkit", "run-pipeline"):
        result = subprocess.run(
            [str(bindir / script), "--help"], capture_output=True, text=True, cwd=REPO, check=False
        )
        assert result.returncode == 0, result.stderr
        assert "--config" in result.stdout or "COMMAND" in result.stdout


def test_config_errors_fail_before_tensorflow_loads(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from tfxkit import cli\n"
        f"rc = cli.run_pipeline_main([{str(PENGUIN_PIPELINE)!r}, '-c', {str(PENGUIN_CONFIG)!r},"
        " '--set', 'training.epochs=0'])\n"
        "print('rc', rc, 'tf_loaded', 'tensorflow' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert "rc 2 tf_loaded False" in result.stdout, result.stderr
    assert "training.epochs: Input should be greater than 0" in result.stderr


def test_missing_data_dir_is_reported_before_running(tmp_path: Path, capsys) -> None:
    code = cli.run_pipeline_main(
        [
            str(PENGUIN_PIPELINE),
            "-c",
            str(PENGUIN_CONFIG),
            "--set",
            f"workspace={tmp_path}",
            "--set",
            f"data.path={tmp_path / 'nowhere'}",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert f"data.path: {tmp_path / 'nowhere'} does not exist" in err


def test_missing_csv_column_is_named(tmp_path: Path, capsys) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "p.csv").write_text("species,island\nAdelie,Dream\n")
    code = cli.run_pipeline_main(
        [
            str(PENGUIN_PIPELINE),
            "-c",
            str(PENGUIN_CONFIG),
            "--set",
            f"workspace={tmp_path}",
            "--set",
            f"data.path={data}",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "'bill_length_mm'" in err and "not in the CSV header" in err
    assert not (tmp_path / "penguin" / "pipeline_root").exists(), "nothing may be half-written"


_HAS_GPU = Path("/dev/nvidia0").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["evaluation.metrics=[SparseCategoricalAccuracy, AUCC]"],
            "'AUCC' is not a TFMA or Keras metric class (did you mean AUC",
        ),
        (["training.epochs=true"], "epochs: expected a number, got True"),
        (["push.destination=/proc/tfxkit-cannot-write"], "push.destination: cannot write to /proc"),
        (  # issue 28 probe: a read-only workspace named the push destination first
            ["workspace=/proc/tfxkit-ro-workspace"],
            "workspace: cannot write the run's outputs under /proc/tfxkit-ro-workspace",
        ),
        (  # issue 28: MLMD's own error for this was its CREATE TABLE statement
            ["metadata.sqlite.path=/proc/tfxkit-no/metadata.sqlite"],
            "metadata.sqlite.path: cannot keep the ML Metadata store at /proc/tfxkit-no",
        ),
        (["training.strategy=tpu"], "training.strategy: tpu, but this machine has no TPU"),
        (
            ["training.strategy=multi_worker_mirrored"],
            "multi_worker_mirrored runs one process per worker",
        ),
        (
            ["training.strategy=parameter_server"],
            "parameter_server needs a cluster with 'worker' and 'ps' tasks in TF_CONFIG",
        ),
        pytest.param(
            ["training.accelerator=gpu"],
            "training.accelerator: gpu, but TensorFlow sees no GPU",
            marks=pytest.mark.skipif(_HAS_GPU, reason="this machine has a GPU"),
        ),
    ],
)
def test_mistakes_fail_before_any_component(
    tmp_path: Path,
    penguin_overrides: list[str],
    overrides: list[str],
    message: str,
    capsys,
    monkeypatch,
) -> None:
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.delenv("TPU_NAME", raising=False)
    args = ["run", str(PENGUIN_PIPELINE), "-c", str(PENGUIN_CONFIG)]
    for override in [*penguin_overrides, f"workspace={tmp_path}", *overrides]:
        args += ["--set", override]
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "started" not in captured.out, "no component may start"


def test_an_invalid_image_reference_fails_when_the_profile_loads(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "kubeflow.yaml"
    text = (REPO / "configs" / "kubeflow.yaml").read_text()
    import re

    profile.write_text(re.sub(r"(?m)^image: .*$", "image: 'Not An Image!'", text))
    code = cli.main(
        ["compile", str(PENGUIN_PIPELINE), "-c", str(PENGUIN_CONFIG), "--format", "kfp"]
        + ["-p", str(profile), "-o", str(tmp_path / "spec.yaml")]
    )
    assert code == 2
    assert "'Not An Image!' is not a container image reference" in capsys.readouterr().err
    assert not (tmp_path / "spec.yaml").exists()


def test_a_ctrl_c_after_a_completed_run_is_ignored(monkeypatch, tmp_path: Path, capsys) -> None:
    """`make chaos` found it: SIGINT while the summary printed (after the pusher) killed the
    process by signal (-2). Once beam.run returns, the run is recorded; SIGINT is ignored."""
    import signal

    from tfxkit.runners import local as beam

    def finished_run(builder, **_):
        return beam.RunSummary(pipeline_name="penguin", run_id="r1", blessed=True)

    monkeypatch.setattr(beam, "run", finished_run)
    previous = signal.getsignal(signal.SIGINT)
    try:
        args = ["run", str(PENGUIN_PIPELINE), "-c", str(PENGUIN_CONFIG)]
        assert cli.main([*args, "--set", f"workspace={tmp_path}"]) == 0
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
    assert "run id:    r1" in capsys.readouterr().out


def test_unchanged_rerun_skips_the_runner_and_no_cache_does_not(
    monkeypatch, tmp_path: Path, capsys
) -> None:
    """The CLI path of tfxkit.runners.rerun: a recorded run is reported without calling the runner;
    --no-cache and a changed config run it (stand-in runner, real CLI and record)."""
    import signal

    from tests.stores import context, open_store
    from tfxkit.metadata.store import PIPELINE_RUN_CONTEXT
    from tfxkit.runners import local as beam

    calls: list[str] = []

    def finished_run(builder, **_):
        store = Path(builder.config.resolved_sqlite_path)
        store.parent.mkdir(parents=True, exist_ok=True)
        calls.append("run")
        run_id = f"r{len(calls)}"
        context(open_store(store), PIPELINE_RUN_CONTEXT, run_id)  # a real store each run writes
        return beam.RunSummary(pipeline_name="penguin", run_id=run_id, blessed=True)

    monkeypatch.setattr(beam, "run", finished_run)
    previous = signal.getsignal(signal.SIGINT)
    args = [
        "run",
        str(PENGUIN_PIPELINE),
        "-c",
        str(PENGUIN_CONFIG),
        "--set",
        f"workspace={tmp_path}",
    ]
    try:
        assert cli.main(args) == 0
        assert cli.main(args) == 0
        assert calls == ["run"]
        assert "nothing changed since run r1" in capsys.readouterr().out
        assert cli.main([*args, "--no-cache"]) == 0
        assert cli.main([*args, "--set", "training.train_steps=7"]) == 0
    finally:
        signal.signal(signal.SIGINT, previous)
    assert calls == ["run", "run", "run"]
