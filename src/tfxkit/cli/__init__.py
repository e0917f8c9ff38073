"""The command line (``tfxkit ...`` and ``run-pipeline``): parsing and printing only; the work is
done by ``tfxkit.run`` and the library modules it calls."""

from tfxkit.cli.main import console_main, console_run_pipeline, main, run_pipeline_main

__all__ = ["console_main", "console_run_pipeline", "main", "run_pipeline_main"]
