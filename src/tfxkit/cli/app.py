"""The ``tfxkit`` program (the root click group), the ``run-pipeline`` program, and ``main``.

``main(argv)`` and ``run_pipeline_main(argv)`` return the exit code instead of exiting, so that
tests and other programs can call the command line as a function: click runs in non-standalone
mode and this module reports what click would otherwise report and exit on (usage errors exit 2,
as argparse did). Errors of the library are reported in ``common.TfxkitCommand``.
"""

from __future__ import annotations

import sys

import click

from tfxkit.cli.baseline import baseline
from tfxkit.cli.common import CONTEXT_SETTINGS, EXIT_INTERRUPTED, TfxkitGroup
from tfxkit.cli.compile import compile_command
from tfxkit.cli.init import init
from tfxkit.cli.lineage import lineage
from tfxkit.cli.model_card import model_card
from tfxkit.cli.monitor import monitor
from tfxkit.cli.new import new
from tfxkit.cli.predict import predict
from tfxkit.cli.report import report
from tfxkit.cli.run import run, run_pipeline
from tfxkit.cli.runs import runs
from tfxkit.cli.schedule import schedule
from tfxkit.cli.schema import schema
from tfxkit.cli.serving import serve, serving
from tfxkit.cli.spec import ALIASES, run_spec
from tfxkit.cli.why import why

_EPILOG = """\
Exit codes: 0 done; 1 a component or remote call failed (schema diff, serving status: problems
found); 2 a bad config, pipeline file, data or command line; 3 another run holds the pipeline's
lock (--no-wait); 4 the run completed but pushed no model (only with run --fail-if-not-pushed);
130 interrupted.

Shell completion (commands, options, choices, paths): add one line to your shell's startup file.

\b
  bash (~/.bashrc):   eval "$(_TFXKIT_COMPLETE=bash_source tfxkit)"
  zsh (~/.zshrc):     eval "$(_TFXKIT_COMPLETE=zsh_source tfxkit)"
  fish:               _TFXKIT_COMPLETE=fish_source tfxkit | source
  run-pipeline:       the same with _RUN_PIPELINE_COMPLETE and run-pipeline
"""


@click.group(
    "tfxkit",
    cls=TfxkitGroup,
    aliases=ALIASES,
    context_settings=CONTEXT_SETTINGS,
    epilog=_EPILOG,
)
def cli() -> None:
    """Describe a TFX pipeline once (Python + YAML); run it locally or compile it.

    Errors you can fix (a bad config, pipeline file or data, a failed component) print one
    paragraph and exit non-zero; --verbose shows TFX's own logs and the traceback.
    """


for _command in (
    run,
    compile_command,
    schedule,
    run_spec,
    init,
    new,
    schema,
    baseline,
    serve,
    serving,
    monitor,
    predict,
    runs,
    why,
    lineage,
    report,
    model_card,
):
    cli.add_command(_command)


def _main(command: click.Command, argv: list[str] | None, prog_name: str) -> int:
    """Run a click command as a function: its exit code, never ``SystemExit`` (but completion,
    which click answers and exits on before parsing, as a shell expects)."""
    try:
        code = command.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except click.ClickException as exc:  # usage errors: exit 2, like argparse
        exc.show()
        return exc.exit_code
    except click.Abort:  # Ctrl-C while click parsed, before any command started
        click.echo("interrupted; nothing was started", err=True)
        return EXIT_INTERRUPTED
    return code if isinstance(code, int) else 0


def main(argv: list[str] | None = None) -> int:
    """``tfxkit ARGS``; ``argv`` defaults to the process's arguments."""
    return _main(cli, argv, "tfxkit")


def run_pipeline_main(argv: list[str] | None = None) -> int:
    """``run-pipeline ARGS`` (``tfxkit run ARGS``)."""
    return _main(run_pipeline, argv, "run-pipeline")


def console_main() -> None:
    sys.exit(main())


def console_run_pipeline() -> None:
    sys.exit(run_pipeline_main())
