"""The command line (``tfxkit ...`` and ``run-pipeline``), on click: parsing and printing only;
the work is done by ``tfxkit.run`` and the library modules it calls. One module per command
group (``run``, ``compile``, ``schedule``, ``spec``, ``init``, ``schema``, ``serving``), the
shared options and error path in ``common``, the root group and ``main`` in ``app``."""

# Through ``tfxkit.cli.main`` (not ``app``): importing that submodule binds ``tfxkit.cli.main``
# to the module, and this import then binds it back to the function (``cli.main([...])``).
from tfxkit.cli.main import console_main, console_run_pipeline, main, run_pipeline_main

__all__ = ["console_main", "console_run_pipeline", "main", "run_pipeline_main"]
