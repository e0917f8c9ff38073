"""The command line's entry points, under the module name they had before the CLI moved to
click (``tfxkit.cli.main.main``); the program itself is ``tfxkit.cli.app``."""

from tfxkit.cli.app import console_main, console_run_pipeline, main, run_pipeline_main

__all__ = ["console_main", "console_run_pipeline", "main", "run_pipeline_main"]

if __name__ == "__main__":
    console_main()
