"""What every command shares: the one error path, and the options several commands take.

Why a module of its own: each command group lives in its own module and the root group
(``app``) imports them all, so what they share cannot live in ``app`` without an import cycle.
Options used by more than one command are declared once here, so ``--config`` or ``--profile``
read the same (name, short flag, help) wherever they appear.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: ``-h`` as well as ``--help`` (argparse had both), and room for the long help lines.
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

EXIT_INTERRUPTED = 130

#: A file or directory path. Checks nothing (the library says what is wrong with a path, in
#: its own words and exit code); it is there so that shell completion offers paths.
PATH = click.Path(readable=False)


class TfxkitCommand(click.Command):
    """A command whose errors a user can act on: one paragraph on stderr and an exit code.

    Errors are turned into exit codes here, around the handler, rather than in ``main``: the
    handler's ``--verbose`` is known here (it keeps the traceback), and click's non-standalone
    mode would turn a KeyboardInterrupt into a bare ``Abort`` before ``main`` saw it.
    """

    def invoke(self, ctx: click.Context) -> int:
        from tfxkit.errors import exit_code, format_error

        try:
            return super().invoke(ctx) or 0
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # usage errors and --help: click's own, reported by app.main
        except KeyboardInterrupt:  # before a run held its lock (a run raises Interrupted)
            click.echo("interrupted; nothing was started", err=True)
            return EXIT_INTERRUPTED
        except Exception as exc:  # one formatter for every error; --verbose keeps the traceback
            if ctx.params.get("verbose"):
                raise
            click.echo(format_error(exc), err=True)
            return exit_code(exc)


class TfxkitGroup(click.Group):
    """A group whose commands (and sub-groups) report errors the tfxkit way; hidden aliases."""

    command_class = TfxkitCommand
    group_class = type  # sub-groups are TfxkitGroups too

    def __init__(self, *args: Any, aliases: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.aliases = dict(aliases or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        """In the order they were added (the common ones first), not alphabetical."""
        return list(self.commands)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """An old name runs the command it was renamed to; it is listed nowhere."""
        return super().get_command(ctx, self.aliases.get(cmd_name, cmd_name))


def progress(line: str) -> None:
    """A runner's progress line, flushed at once (a run takes minutes; lines must not wait)."""
    click.echo(line)


def _apply(decorators: tuple[Callable[[F], F], ...]) -> Callable[[F], F]:
    """Apply decorators so that they appear in ``--help`` in the order written."""

    def decorate(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return decorate


def verbose_option(help: str = "show tracebacks") -> Callable[[F], F]:
    """``--verbose/-v``: every command has it; it keeps the traceback of an error."""
    return click.option("--verbose", "-v", is_flag=True, help=help)


def config_options(
    set_help: str = "override a config value (repeatable), e.g. --set training.epochs=3",
) -> Callable[[F], F]:
    """``--config/-c`` (required) and the repeatable ``--set KEY.PATH=VALUE``."""
    return _apply(
        (
            click.option(
                "--config",
                "-c",
                required=True,
                type=PATH,
                help="pipeline YAML config",
            ),
            click.option(
                "--set",
                "overrides",
                multiple=True,
                metavar="KEY.PATH=VALUE",
                help=set_help,
            ),
        )
    )


def pipeline_options(function: F) -> F:
    """``[PIPELINE] --config --set --verbose``: what names one pipeline and its config."""
    return _apply(
        (
            click.argument(
                "pipeline",
                required=False,
                default=None,
                type=PATH,
                help="pipeline definition file (defines create_pipeline); default: the "
                "standard pipeline (ingest, validate, transform, train, evaluate, push) built "
                "from the config",
            ),
            config_options(),
            verbose_option("show TFX/Beam logs and tracebacks"),
        )
    )(function)


def output_options(
    help: str, *, metavar: str = "FILE", force: str | None = None, **settings: Any
) -> Callable[[F], F]:
    """``--output/-o``: where a command writes (``settings``: click's, e.g. a default); with
    ``force`` (its help), ``--force`` too, which lets the command replace what is there."""
    output = click.option("--output", "-o", metavar=metavar, type=PATH, help=help, **settings)
    if force is None:
        return output
    return _apply((output, click.option("--force", is_flag=True, help=force)))


def remote_options(*, profile_required: bool = False) -> Callable[[F], F]:
    """``--profile/-p --host --endpoint``: where a Kubeflow or Vertex call goes."""
    return _apply(
        (
            click.option(
                "--profile",
                "-p",
                required=profile_required,
                metavar="PATH",
                type=PATH,
                help="runner profile YAML for kubeflow/vertex (image, shared locations, "
                "resources, Beam options), e.g. configs/kubeflow.yaml",
            ),
            click.option(
                "--host", metavar="URL", help="Kubeflow Pipelines API URL (overrides kubeflow.host)"
            ),
            click.option(
                "--endpoint",
                metavar="URL",
                help="Vertex AI API endpoint (default: Google's regional endpoint)",
            ),
        )
    )


def compile_remote(
    config_path: str,
    overrides: tuple[str, ...] | list[str],
    pipeline: str | None,
    profile_path: str | None,
    *,
    verbose: bool,
    **options: Any,
) -> int:
    """Load the runner profile (``--profile``, required here) and the config, then compile (and
    submit or schedule) with them."""
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.runners.quiet import quiet_frameworks
    from tfxkit.runners.remote import resolve_profile

    profile = resolve_profile(profile_path, None)
    config = load_config(config_path, list(overrides))  # fails fast, before TFX is imported
    quiet_frameworks(verbose)
    from tfxkit.runners.remote import run_remote

    run_remote(pipeline, config, profile, progress=progress, **options)
    return 0
