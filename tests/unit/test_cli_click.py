"""The click command line itself: help for every option, shell completion, the ``run-spec``
rename, usage errors (exit 2), the error path, and that ``run`` only hands options to the run
session. No pipeline runs here (the session is replaced where a test calls ``run``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from tests.paths import PENGUIN_CONFIG, PENGUIN_PIPELINE, REPO
from tfxkit import cli
from tfxkit.cli.app import cli as tfxkit_group
from tfxkit.cli.run import run_pipeline
from tfxkit.cli.spec import run_spec
from tfxkit.errors import ConfigError
from tfxkit.runners import session
from tfxkit.runners.registry import runner_names

CLI_DIR = REPO / "src" / "tfxkit" / "cli"


def _commands(command: click.Command, path: str) -> Iterator[tuple[str, click.Command]]:
    """Every command under ``command``, by its full name (``tfxkit serving promote``)."""
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=path)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            yield from _commands(sub, f"{path} {name}")


ALL_COMMANDS = [*_commands(tfxkit_group, "tfxkit"), *_commands(run_pipeline, "run-pipeline")]


@pytest.mark.parametrize(("path", "command"), ALL_COMMANDS, ids=[p for p, _ in ALL_COMMANDS])
def test_every_command_argument_and_option_has_help(path: str, command: click.Command) -> None:
    assert (command.help or "").strip(), f"{path}: no help"
    for param in command.params:
        if param.name == "help":
            continue
        assert (getattr(param, "help", None) or "").strip(), f"{path}: {param.name} has no help"


def test_the_commands_users_know() -> None:
    names = {path for path, _ in ALL_COMMANDS}
    for expected in (
        "tfxkit run",
        "tfxkit compile",
        "tfxkit schedule apply",
        "tfxkit schedule list",
        "tfxkit schedule delete",
        "tfxkit run-spec",
        "tfxkit init",
        "tfxkit schema",
        "tfxkit serve",
        "tfxkit serving promote",
        "tfxkit serving deploy-vertex",
        "run-pipeline",
    ):
        assert expected in names


def test_run_and_run_pipeline_share_their_options() -> None:
    run = tfxkit_group.commands["run"]
    assert [p.opts for p in run.params] == [p.opts for p in run_pipeline.params]
    short = {o for p in run.params for o in p.opts if o.startswith("-") and not o.startswith("--")}
    assert short == {"-c", "-v", "-p", "-o"}


def test_runner_choices_come_from_the_registry() -> None:
    [runner] = [p for p in run_pipeline.params if p.name == "runner"]
    assert isinstance(runner.type, click.Choice)
    assert tuple(runner.type.choices) == runner_names()


def test_no_cli_module_over_400_lines() -> None:
    for module in CLI_DIR.glob("*.py"):
        assert len(module.read_text().splitlines()) <= 400, module.name


# ------------------------------------------------------------------ shell completion


def test_completion_script_through_clicks_runner() -> None:
    result = CliRunner().invoke(
        tfxkit_group, [], prog_name="tfxkit", env={"_TFXKIT_COMPLETE": "bash_source"}
    )
    assert result.exit_code == 0
    assert "_tfxkit_completion()" in result.output
    assert "complete -o nosort -F _tfxkit_completion tfxkit" in result.output


def _complete(program: str, words: str) -> list[str]:
    """What the installed program answers bash's completion request for ``words``."""
    variable = "_" + program.upper().replace("-", "_") + "_COMPLETE"
    env = {
        **os.environ,
        variable: "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    script = str(Path(sys.executable).parent / program)
    result = subprocess.run([script], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_completion_of_the_installed_programs() -> None:
    env = {**os.environ, "_TFXKIT_COMPLETE": "bash_source"}
    script = str(Path(sys.executable).parent / "tfxkit")
    source = subprocess.run([script], capture_output=True, text=True, env=env, check=False)
    assert source.returncode == 0 and "_tfxkit_completion" in source.stdout
    assert _complete("tfxkit", "tfxkit ru") == [
        "plain,run",
        "plain,run-spec",
        "plain,runs",
    ]  # not run-ir
    runners = _complete("tfxkit", "tfxkit run --runner ")
    assert runners == [f"plain,{name}" for name in runner_names()]
    assert _complete("tfxkit", "tfxkit run -c conf") == ["file,conf"]
    assert _complete("run-pipeline", "run-pipeline --no-") == [
        "plain,--no-cache",
        "plain,--no-wait",
    ]


def test_help_explains_completion_and_exit_codes(capsys) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "_TFXKIT_COMPLETE=bash_source tfxkit" in out and "Exit codes" in out


# ------------------------------------------------------------------ run-spec (was run-ir)


def test_run_spec_is_listed_and_run_ir_is_its_hidden_alias(capsys) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "run-spec" in out and "run-ir" not in out
    ctx = click.Context(tfxkit_group, info_name="tfxkit")
    assert tfxkit_group.get_command(ctx, "run-ir") is run_spec
    assert cli.main(["run-spec", "--help"]) == 0
    new = capsys.readouterr().out
    assert cli.main(["run-ir", "--help"]) == 0
    old = capsys.readouterr().out
    assert new.replace("run-spec", "run-ir") == old


def test_run_ir_reports_errors_like_run_spec(tmp_path: Path, capsys) -> None:
    missing = str(tmp_path / "nope.json")
    codes = [cli.main([name, missing]) for name in ("run-spec", "run-ir")]
    errors = capsys.readouterr().err.splitlines()
    assert codes[0] == codes[1] != 0
    assert len(errors) == 2 and errors[0] == errors[1] and errors[0].startswith("error: ")


# ------------------------------------------------------------------ usage errors: exit 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run"], "Missing option '--config' / '-c'"),
        (["no-such-command"], "No such command 'no-such-command'"),
        (["run", "-c", "x.yaml", "--runner", "bogus"], "'bogus' is not one of"),
        (["run", "-c", "x.yaml", "--bogus"], "No such option '--bogus'"),
        (["schema", "guess", "-c", "x.yaml"], "'guess' is not one of"),
        (["serving", "promote", "m", "--version", "two"], "'two' is not a valid integer"),
        (["schedule", "pause", "-p", "x.yaml"], "Missing option '--pipeline'"),
        ([], "Usage: tfxkit"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, capsys) -> None:
    assert cli.main(argv) == 2
    printed = capsys.readouterr()
    assert message in printed.err + printed.out
    assert "Traceback" not in printed.err


def test_run_pipeline_usage_error_exits_2(capsys) -> None:
    assert cli.run_pipeline_main([str(PENGUIN_PIPELINE)]) == 2
    assert "Usage: run-pipeline" in capsys.readouterr().err


# ------------------------------------------------------------------ the run: options to the session


@pytest.fixture
def session_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake_run(config: str, pipeline: str | None, **options: Any) -> Any:
        calls.append({"config": config, "pipeline": pipeline, **options})
        return session.RunSummary(pipeline_name="penguin", run_id="r9", blessed=True)

    monkeypatch.setattr(session, "run", fake_run)
    monkeypatch.setattr("tfxkit.cli.run._ignore_late_interrupts", lambda: None)
    return calls


def test_run_hands_the_options_to_the_session(session_calls, tmp_path: Path, capsys) -> None:
    summary = tmp_path / "summary.json"
    argv = [str(PENGUIN_PIPELINE), "-c", str(PENGUIN_CONFIG), "--set", "a=1", "--set", "b=2"]
    assert (
        cli.run_pipeline_main([*argv, "--no-cache", "--no-wait", "--summary-json", str(summary)])
        == 0
    )
    [call] = session_calls
    assert call["config"] == str(PENGUIN_CONFIG) and call["pipeline"] == str(PENGUIN_PIPELINE)
    assert call["runner"] == "beam" and call["overrides"] == ["a=1", "b=2"]
    assert call["cache"] is False and call["wait"] is False and call["verbose"] is False
    assert "profile" not in call, "a local run gets no remote options"
    assert "run id:    r9" in capsys.readouterr().out
    assert "r9" in summary.read_text()


def test_a_remote_run_gets_the_remote_options(session_calls, capsys) -> None:
    argv = ["run", "-c", str(PENGUIN_CONFIG), "--runner", "kubeflow", "-p", "k.yaml"]
    argv += ["--host", "http://kfp", "--schedule", "0 3 * * *", "-o", "s.yaml", "--compile-only"]
    assert cli.main(argv) == 0
    [call] = session_calls
    assert call["pipeline"] is None and call["runner"] == "kubeflow"
    assert call["cache"] is True and call["wait"] is True
    assert {k: call[k] for k in ("profile", "host", "endpoint", "schedule", "schedule_name")} == {
        "profile": "k.yaml",
        "host": "http://kfp",
        "endpoint": None,
        "schedule": "0 3 * * *",
        "schedule_name": "default",
    }
    assert call["output"] == "s.yaml" and call["compile_only"] is True
    assert "run id" not in capsys.readouterr().out, "a remote runner prints its own progress"


def test_errors_are_one_paragraph_and_verbose_keeps_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    def failing_run(*_: Any, **__: Any) -> Any:
        raise ConfigError("the config is wrong")

    monkeypatch.setattr(session, "run", failing_run)
    argv = ["run", "-c", str(PENGUIN_CONFIG)]
    assert cli.main(argv) == 2
    assert capsys.readouterr().err == "error: the config is wrong\n"
    with pytest.raises(ConfigError):
        cli.main([*argv, "--verbose"])


def test_ctrl_c_before_a_run_started_exits_130(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    def interrupted(*_: Any, **__: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(session, "run", interrupted)
    assert cli.run_pipeline_main(["-c", str(PENGUIN_CONFIG)]) == 130
    assert capsys.readouterr().err.strip() == "interrupted; nothing was started"


def test_the_cli_imports_no_framework_for_help() -> None:
    code = (
        "import sys\nfrom tfxkit import cli\nrc = cli.main(['run', '--help'])\n"
        "heavy = [m for m in ('tensorflow', 'tfx', 'apache_beam', 'kfp') if m in sys.modules]\n"
        "print('rc', rc, 'heavy', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert "rc 0 heavy []" in result.stdout, result.stderr


def test_fail_if_not_pushed_gives_ci_an_exit_code_of_its_own(
    session_calls, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Issue 31: a run that pushed nothing (not blessed) exited 0, so CI could not see it."""
    argv = ["run", "-c", str(PENGUIN_CONFIG)]
    assert cli.main(argv) == 0  # the default: the summary says why nothing was pushed
    assert cli.main([*argv, "--fail-if-not-pushed"]) == 4
    assert "no model was pushed (exit 4, --fail-if-not-pushed)" in capsys.readouterr().err

    def pushed_run(config: str, pipeline: str | None, **options: Any) -> Any:
        return session.RunSummary(pipeline_name="p", run_id="r", pushed_path="/s/p/1")

    monkeypatch.setattr(session, "run", pushed_run)
    assert cli.main([*argv, "--fail-if-not-pushed"]) == 0


def test_one_list_of_runners() -> None:
    """The CLI's choices, the session, the remote backends and the runner profile's allowed
    values all come from (or must equal) ``tfxkit.runners.registry.RUNNERS``."""
    import typing

    from tfxkit.config.profiles import RunnerProfile
    from tfxkit.runners import registry

    allowed = typing.get_args(RunnerProfile.model_fields["runner"].annotation)
    assert set(allowed) == set(registry.remote_runner_names())
    for name in registry.remote_runner_names():
        assert registry.entry(name).backend, f"{name}: a remote runner needs a backend"
    assert registry.runner_class("beam").__name__ == "LocalRunner"
