"""Local runs: every component in this process, data processing on Apache Beam's DirectRunner.

Why TFX's LocalDagRunner loop and not BeamDagRunner: TFX 1.16 no longer ships BeamDagRunner
(``tfx.orchestration.beam`` holds only test data); LocalDagRunner is TFX's supported local
orchestrator and runs the same compiled IR that Kubeflow and Vertex run. Each component's own
Beam jobs (statistics, Transform, TFMA) still run on Beam with ``beam_pipeline_args`` built from
the typed ``runner.beam`` config. tfxkit drives LocalDagRunner's node loop itself (the same
public pieces: compiler, Launcher, deployment config) so it can print one progress line per
component, choose the run id, and name the component that failed.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from absl import logging
from tfx.orchestration import metadata as tfx_metadata
from tfx.orchestration.local import runner_utils
from tfx.orchestration.portable import launcher

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.data.inventory import DataInventory, take_inventory
from tfxkit.errors import (
    Interrupted,
    MetadataStoreError,
    PipelineRunError,
    TfxkitError,
    format_error,
    one_line,
)
from tfxkit.metadata import cache_guard, recovery, run_history
from tfxkit.metadata import store as metadata
from tfxkit.metadata.cache_hook import verified_cache
from tfxkit.metadata.lock import run_lock
from tfxkit.pipeline.compiler import bind_run_id, compile_tfx_ir
from tfxkit.pipeline.dsl import PipelineBuilder
from tfxkit.runners import beam_settings, portable
from tfxkit.runners.beam_settings import BeamChoice
from tfxkit.runners.outcome import fill_outcome
from tfxkit.runners.preflight import check_before_tfx
from tfxkit.runners.summary import NodeResult, RunSummary

if TYPE_CHECKING:
    from tfxkit.runners.session import RunSession

Progress = Callable[[str], None]


def beam_pipeline_args(config: PipelineConfig) -> list[str]:
    """DirectRunner flags from typed config (never string-formatted by users), ``mode: auto``
    resolved from the input's rows (for compiling without a run: the run chose already)."""
    choice = beam_settings.choose(config, take_inventory(config).rows)
    return choice.pipeline_args(config.runner.beam.extra_args)


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")


def run(
    builder: PipelineBuilder,
    *,
    enable_cache: bool = True,
    progress: Progress = print,
    run_id: str | None = None,
    wait: bool = True,
    inventory: DataInventory | None = None,
    checked: bool = False,
) -> RunSummary:
    """Run the pipeline to completion; raise PipelineRunError naming the failed component.

    One run per pipeline at a time (``run_lock``; ``wait=False`` fails fast). Under the lock,
    executions a dead run left unfinished are marked abandoned; SIGINT/SIGTERM cancel the
    running execution, remove its outputs and raise ``Interrupted`` (exit 130). ``inventory``:
    the session's listing of the input (taken here when the runner is called directly);
    ``checked``: the session already ran ``preflight.check_before_tfx`` on it.
    """
    config = builder.config
    inventory = inventory or take_inventory(config)
    if not checked:
        check_before_tfx(config, inventory)
    check_training_hardware(config)
    conn = metadata.connection_config(config)
    store = _open_store(conn, config)  # opened once: a bad store fails before any component
    run_id = run_id or new_run_id()
    choice = beam_settings.choose(config, inventory.rows)
    with (
        run_lock(config, run_id, wait=wait, progress=progress),
        _interrupts_raise(),
        portable.services_for(choice, progress, config.run_dir / "portable-logs") as choice,
    ):
        dead = recovery.unfinished(store, config.name)
        if dead:
            names = recovery.stop(store, config.resolved_pipeline_root, dead, "abandoned")
            progress(
                f"[tfxkit] {len(names)} execution(s) left unfinished by a run that died, marked "
                f"abandoned and cleaned: {', '.join(names)}"
            )
        current: list[str | None] = [None]
        try:
            with _no_ephemeral_tfx_package():
                return _run_nodes(
                    builder, (conn, store), run_id, choice, enable_cache, progress, current
                )
        except KeyboardInterrupt:
            stopped = recovery.unfinished(store, config.name, run_id)
            recovery.stop(store, config.resolved_pipeline_root, stopped, "interrupted")
            raise Interrupted(current[0]) from None


def check_training_hardware(config: PipelineConfig) -> None:
    """The strategy's devices exist here, before hours of ingest and transform; logical CPUs
    (``training.cpu_devices``) are made now, while TensorFlow has not started."""
    from tfxkit.training.strategies import (
        IN_PROCESS_MWMS,
        StrategyUnavailable,
        check_available,
        split_cpu,
    )

    if config.training.strategy == "multi_worker_mirrored":
        raise StrategyUnavailable(f"training.strategy: {IN_PROCESS_MWMS}")
    split_cpu(config.training.cpu_devices)
    check_available(config.training.strategy, config.training.accelerator)


@contextlib.contextmanager
def _no_ephemeral_tfx_package() -> Iterator[None]:
    """Skip TFX's per-executor copy of its own install into an sdist for Beam workers.

    Every Beam component's executor calls ``make_beam_dependency_flags``, which copies TFX's
    install dir (~60 MB) to a temp dir and runs ``setup.py sdist`` (1.4 s here) unless a
    dependency flag is set; DirectRunner workers import TFX from this very environment, so it
    is pure cost, and TFX never deletes the copy (it filled /tmp in our test runs). Remote
    runners stage dependencies with the profile's image or setup file instead.
    """
    from tfx.utils import dependency_utils

    original = dependency_utils.make_beam_dependency_flags
    dependency_utils.make_beam_dependency_flags = lambda args: list(args)
    try:
        yield
    finally:
        dependency_utils.make_beam_dependency_flags = original


@contextlib.contextmanager
def _interrupts_raise() -> Iterator[None]:
    """SIGTERM behaves as Ctrl-C (KeyboardInterrupt) while a run holds its lock, and either
    signal is remembered: code inside a component (Beam, TF) may catch the KeyboardInterrupt and
    raise its own error instead, which must still end as an interrupt (exit 130), not as that
    component's failure (found by tests/integration/test_faults.py once Transform got faster)."""

    def _raise(signum, frame) -> None:
        _INTERRUPTED.set()
        raise KeyboardInterrupt

    _INTERRUPTED.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_INTERRUPTED = threading.Event()


def _run_nodes(
    builder: PipelineBuilder,
    connection: tuple,
    run_id: str,
    choice: BeamChoice,
    enable_cache: bool,
    progress: Progress,
    current: list[str | None],
) -> RunSummary:
    """The node loop; ``current[0]`` names the node running (for an interrupt's message).
    ``connection``: the MLMD connection config (for TFX's launcher) and the open store."""
    config = builder.config
    conn, store = connection
    pipeline = builder.build(
        enable_cache=enable_cache,
        metadata_connection_config=conn,
        beam_pipeline_args=choice.pipeline_args(config.runner.beam.extra_args),
    )
    ir = compile_tfx_ir(pipeline)
    bind_run_id(ir, run_id)
    deployment = runner_utils.extract_local_deployment_config(ir)
    connection = getattr(
        deployment.metadata_connection_config,
        deployment.metadata_connection_config.WhichOneof("connection_config"),
    )
    summary = RunSummary(
        pipeline_name=config.name, run_id=run_id, metadata_store=_describe_store(config)
    )
    progress(f"[tfxkit] run {run_id} of '{config.name}': {len(ir.nodes)} components")
    progress(f"[tfxkit] beam: {choice.describe()}")
    for index, node in enumerate(ir.nodes, start=1):
        pipeline_node = node.pipeline_node
        node_id = pipeline_node.node_info.id
        prefix = f"[{index}/{len(ir.nodes)}] {node_id}"
        if pipeline_node.execution_options.HasField("skip"):
            summary.nodes.append(NodeResult(node_id, "skipped", 0.0))
            progress(f"{prefix}: skipped (partial run)")
            continue
        node_launcher = launcher.Launcher(
            pipeline_node=pipeline_node,
            mlmd_connection=tfx_metadata.Metadata(connection),
            pipeline_info=ir.pipeline_info,
            pipeline_runtime_spec=ir.runtime_spec,
            executor_spec=runner_utils.extract_executor_spec(deployment, node_id),
            custom_driver_spec=runner_utils.extract_custom_driver_spec(deployment, node_id),
        )
        current[0] = node_id
        progress(f"{prefix}: started")
        started = time.monotonic()
        try:
            with verified_cache(_cache_report(node_id, progress)):
                info = node_launcher.launch()
        except Exception as exc:
            if _INTERRUPTED.is_set():  # a Ctrl-C that the component turned into its own error
                raise KeyboardInterrupt from exc
            seconds = time.monotonic() - started
            summary.nodes.append(NodeResult(node_id, "failed", seconds))
            progress(f"{prefix}: FAILED after {seconds:.1f}s")
            # A tfxkit error raised inside a component (e.g. the anomaly gate's) already says
            # what to fix; anything else is named by its component.
            error = (
                exc
                if isinstance(exc, TfxkitError)
                else portable.explain(node_id, exc, choice) or PipelineRunError(node_id, exc)
            )
            summary.failed_component, summary.error = node_id, format_error(error)
            summary.anomalies = list(getattr(exc, "rows", []))
            error.summary = summary
            _remember(store, config, summary)
            raise error from exc
        status = _status(store, info, pipeline_node)
        if status in ("finished", "cached"):  # before a later component reads its outputs
            cache_guard.record(store, info.execution_id)
        seconds = time.monotonic() - started
        summary.nodes.append(NodeResult(node_id, status, seconds))
        note = " (condition not met: model not blessed)" if status == "skipped" else ""
        progress(f"{prefix}: {status} in {seconds:.1f}s{note}")
    fill_outcome(summary, store)
    _remember(store, config, summary)
    return summary


def _remember(store: Any, config: PipelineConfig, summary: RunSummary) -> None:
    """The run's config and summary into ML Metadata, for ``tfxkit runs``, and its HTML report
    (``tfxkit.report``); neither ever fails a run."""
    try:
        run_history.record_run(
            store, config.name, summary.run_id, config.model_dump(mode="json"), summary.as_dict()
        )
    except Exception as exc:  # noqa: BLE001 - history is a convenience; the run stands
        logging.warning("could not record run %s in ML Metadata's history: %s", summary.run_id, exc)
    try:  # a pushed run's model card (issue 26), before the report, which shows it
        from tfxkit.report import model_card

        if card := model_card.write(store, config.name, summary.run_id):
            logging.info("model card written: %s", card)
    except Exception as exc:  # noqa: BLE001 - the card documents the run; it is not the run
        logging.warning("could not write the model card of run %s: %s", summary.run_id, exc)

    try:  # after the history: the report reads this run (and the last ones) back from it
        from tfxkit import report

        started = time.monotonic()
        summary.report_path = str(report.write(store, config, summary.run_id))
        logging.info("report written in %.2fs", time.monotonic() - started)
    except Exception as exc:  # noqa: BLE001 - the report is a view of the run, not the run
        logging.warning("could not write the report of run %s: %s", summary.run_id, exc)


def _cache_report(node_id: str, progress: Progress) -> cache_guard.Report:
    """One line when a component's cached outputs were damaged (``cache_guard``)."""
    return lambda damage, reused: progress(cache_guard.describe(node_id, damage, reused))


_SYSTEM_NODE_TYPES = ("resolver.Resolver", "importer.Importer")


def _open_store(conn, config: PipelineConfig):
    """The run's one open store, opened up front so a bad store fails before any component."""
    try:
        return metadata.open_store(conn)
    except Exception as exc:
        raise MetadataStoreError(
            f"cannot open the ML Metadata store {_describe_store(config)} (config key "
            f"'metadata'): {one_line(exc)}"
        ) from exc


def _status(store, info, pipeline_node) -> str:
    """finished | cached | skipped, or resolved for system nodes (they run no executor)."""
    if info is None or info.execution_id is None:
        return "skipped"
    if pipeline_node.node_info.type.name.endswith(_SYSTEM_NODE_TYPES):
        return "resolved"
    state = metadata.execution_state(store, info.execution_id)
    return "cached" if state == "CACHED" else "finished"


def _describe_store(config: PipelineConfig) -> str:
    mysql = config.metadata.mysql
    if mysql:
        return f"mysql://{mysql.user}@{mysql.host}:{mysql.port}/{mysql.database}"
    return f"sqlite:{config.resolved_sqlite_path}"


class LocalRunner:
    """``tfxkit.run``'s runner for this machine (``runner="beam"``)."""

    def run(self, session: RunSession) -> RunSummary:
        return run(
            session.builder(),
            enable_cache=session.cache,
            progress=session.progress,
            wait=session.wait,
            inventory=session.inventory,
            checked=True,
        )
