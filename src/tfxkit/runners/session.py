"""``tfxkit.run``: one pipeline run, from a config to its summary, whatever the runner.

Why a session: a run needs the validated config, the user's pipeline file, the data it reads
and the metadata store at several steps (the unchanged-re-run key, the pre-run checks, the Beam
settings, the run, the summary). The session computes each once and hands it down, so the
runners stay small and the CLI only parses and prints (Kedro's ``KedroSession.run`` ->
``runner.run``, TFX's ``TfxRunner``)::

    import tfxkit
    summary = tfxkit.run("configs/penguin.yaml", "pipelines/penguin.py")
    summary.blessed, summary.pushed_path

Local runs (``runner="beam"``) first ask ``rerun`` whether nothing the run depends on changed;
if so the last summary is returned without importing TFX. Remote runners (``kubeflow``,
``vertex``) compile, then submit or schedule, and return a summary naming what they submitted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit.config.pipeline_config import PipelineConfig, load_config
from tfxkit.data.inventory import DataInventory, take_inventory
from tfxkit.pipeline.paths import importable_folder
from tfxkit.runners import registry, rerun
from tfxkit.runners.preflight import check_before_tfx
from tfxkit.runners.quiet import quiet_frameworks
from tfxkit.runners.summary import RunSummary

if TYPE_CHECKING:
    from tfxkit.pipeline.dsl import PipelineBuilder

Progress = Callable[[str], None]


@dataclass
class RunSession:
    """Everything one run shares, each piece computed once, on first use."""

    config: PipelineConfig
    pipeline_file: str | None = None
    cache: bool = True
    wait: bool = True
    progress: Progress = print
    verbose: bool = False
    runner_options: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def inventory(self) -> DataInventory:
        """The input files, CSV header and row estimate (``tfxkit.data.inventory``)."""
        return take_inventory(self.config)

    @cached_property
    def rerun_key(self) -> str | None:
        """The key of everything a local run depends on (None: cannot vouch, run normally)."""
        return rerun.run_key(self.config, self.pipeline_file, self.inventory)

    def builder(self, target: str = "local") -> PipelineBuilder:
        """The user's pipeline (or the standard one) for ``target``; loads TFX."""
        quiet_frameworks(self.verbose)
        from tfxkit.pipeline.dsl import load_pipeline

        return load_pipeline(self.pipeline_file, self.config, target)


def run(
    config: PipelineConfig | str | os.PathLike[str],
    pipeline: str | os.PathLike[str] | None = None,
    *,
    runner: str = "beam",
    overrides: Sequence[str] = (),
    cache: bool = True,
    wait: bool = True,
    progress: Progress = print,
    verbose: bool = False,
    **runner_options: Any,
) -> RunSummary:
    """Run a pipeline and return its summary; raise a ``TfxkitError`` saying what to fix.

    ``config``: a ``PipelineConfig`` or a YAML path (``overrides`` as ``--set`` takes them).
    ``pipeline``: a file defining ``create_pipeline(config)``; None runs the standard pipeline.
    ``runner``: a name in ``tfxkit.runners.registry.RUNNERS``. ``cache=False`` re-runs every
    component. ``wait=False`` fails at once when another run holds the pipeline's lock. Remote
    runners take ``profile`` (a path or ``RunnerProfile``) and ``host``, ``endpoint``,
    ``compile_only``, ``schedule``, ``schedule_name``, ``output``.
    """
    if not isinstance(config, PipelineConfig):
        config = load_config(config, list(overrides))  # fails fast, before TFX is imported
    elif overrides:
        raise TypeError("overrides apply to a config file; pass the overridden config instead")
    registry.entry(runner)  # an unknown runner fails before anything else
    if pipeline is not None:  # its modules and plug-ins beside it import, and are fingerprinted
        importable_folder(Path(pipeline).resolve().parent)
    session = RunSession(
        config=config,
        pipeline_file=str(pipeline) if pipeline is not None else None,
        cache=cache,
        wait=wait,
        progress=progress,
        verbose=verbose,
        runner_options=runner_options,
    )
    if registry.entry(runner).remote:
        quiet_frameworks(verbose)  # before the runner's module imports TFX
        return registry.runner_class(runner)(runner).run(session)
    return _run_local(session, runner)


def _run_local(session: RunSession, runner: str) -> RunSummary:
    """Skip an unchanged run; otherwise run and record it for the next unchanged re-run."""
    config = session.config
    previous = rerun.unchanged_summary(config, session.rerun_key) if session.cache else None
    if previous is not None:  # nothing it depends on changed: no TFX import, no run
        session.progress(
            f"[tfxkit] nothing changed since run {previous.run_id} (config, pipeline, code, "
            "data files, store): reporting it without running; --no-cache runs it again"
        )
        return previous
    check_before_tfx(config, session.inventory)  # seconds, before TensorFlow loads
    _hint_wide_data(session)
    rerun.forget(config)  # an interrupted run never leaves a record behind
    quiet_frameworks(session.verbose)  # before the runner's module imports TensorFlow
    summary = registry.runner_class(runner)().run(session)
    rerun.remember(config, session.rerun_key, summary)
    return summary


WIDE_COLUMNS = 1_000  # beyond this, carrying unused columns costs minutes


def _hint_wide_data(session: RunSession) -> None:
    """A 50,000-column file with 4 used columns spent ~4 minutes ingesting 200 rows: say how
    to read only the used ones (``data.columns: used``) before that time is spent."""
    from tfxkit.data.checks import needed_columns

    header, config = session.inventory.header, session.config
    if not header or len(header) <= WIDE_COLUMNS or config.data.columns == "used":
        return
    used = len(needed_columns(config))
    session.progress(
        f"[tfxkit] the data has {len(header):,} columns and the pipeline reads {used}: every "
        "column is ingested, profiled and validated, which takes minutes at this width; "
        "data.columns: used reads only those"
    )


def write_summary(path: str | os.PathLike[str], summary: RunSummary) -> None:
    """``--summary-json``: the summary as JSON, for CI and scripts."""
    import json

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(summary.as_dict(), indent=2))
