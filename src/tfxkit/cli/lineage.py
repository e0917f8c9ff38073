"""``tfxkit lineage VERSION|MODEL_URI`` and ``tfxkit lineage --span N``: what made a served model,
and what was made from a data span (``metadata.lineage``)."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from tfxkit.cli.common import TfxkitCommand, config_options, verbose_option


@click.command(
    "lineage",
    cls=TfxkitCommand,
    short_help="what made a pushed version or model; what a data span went into",
    help="Upstream from a pushed VERSION (a number this pipeline pushed) or a MODEL_URI (a "
    "Trainer's model folder): every execution that led to it, nearest first, with its run, the "
    "run's config hash, cached or executed, the code fingerprint, the data files and their "
    "content fingerprint and span, and every gate's verdict on the model. With --span N, "
    "downstream instead: every execution that used that span's examples, and the models and "
    "pushes made from them.",
)
@click.argument(
    "target", metavar="[VERSION|MODEL_URI]", required=False, help="a pushed version or a model"
)
@click.option("--span", type=click.IntRange(min=0), help="downstream from this data span")
@config_options()
@click.option("--json", "as_json", is_flag=True, help="print JSON (for scripts)")
@verbose_option()
def lineage(
    target: str | None,
    span: int | None,
    config: str,
    overrides: tuple[str, ...],
    as_json: bool,
    verbose: bool,
) -> int:
    from tfxkit.cli.runs import open_config_store
    from tfxkit.errors import ConfigError

    if (target is None) == (span is None):
        raise ConfigError("lineage takes a VERSION or MODEL_URI, or --span N (one of them)")
    loaded, store = open_config_store(config, overrides, verbose)
    from tfxkit.metadata.lineage import Graph

    graph = Graph(store, loaded.name)
    if span is not None:
        starts = graph.examples_of_span(span)
        if not starts:
            raise ConfigError(f"no examples of span {span} in '{loaded.name}''s metadata store")
        steps = sorted(
            {s.execution_id: s for a in starts for s in graph.downstream(a)}.values(),
            key=lambda s: s.execution_id,
        )
        return _print(as_json, f"span {span} of '{loaded.name}' went into:", steps, [])
    start, model_id, head = _start(graph, loaded, target or "")
    steps = graph.upstream(start)
    blessings = graph.blessings_of(model_id) if model_id is not None else []
    return _print(as_json, head, steps, blessings)


def _start(graph: Any, loaded: Any, target: str) -> tuple[int, int | None, str]:
    """(the artifact to walk up from, the model's id, a heading) for a version or a URI."""
    from tfxkit.errors import ConfigError

    if target.isdigit():
        destination = loaded.resolved_push_destination
        pushed = graph.pushed_version(int(target), destination)
        if pushed is None:
            raise ConfigError(
                f"no version {target} pushed under {destination} is recorded in "
                f"'{loaded.name}''s metadata store (tfxkit serving status lists the versions)"
            )
        pusher = graph.step(graph.producers(pushed)[0])
        models = pusher.inputs.get("model", [])
        model_id = models[0].id if models else None
        return (
            pushed,
            model_id,
            f"version {target} of '{loaded.name}', pushed in run {pusher.run_id}",
        )
    uri = target.rstrip("/")
    if os.path.basename(uri) == "Format-Serving":
        uri = os.path.dirname(uri)
    model = graph.artifact_by_uri(uri, "Model")
    if model is None:
        raise ConfigError(
            f"{target} is neither a pushed version number nor the URI of a Model in "
            f"'{loaded.name}''s metadata store"
        )
    return model, model, f"model {uri}"


def _print(as_json: bool, head: str, steps: list[Any], blessings: list[Any]) -> int:
    if as_json:
        from dataclasses import asdict

        data = {
            "about": head,
            "steps": [asdict(s) for s in steps],
            "gates": [{"node": n, "run_id": r, **asdict(b)} for n, r, b in blessings],
        }
        click.echo(json.dumps(data, indent=1, default=str))
        return 0
    click.echo(head)
    if blessings:
        click.echo("gates on the model (each run that judged it):")
        for node, run, blessing in blessings:
            passed = blessing.properties.get("blessed", blessing.properties.get("passed"))
            verdict = "passed" if passed == 1 else "did not pass"
            reason = blessing.properties.get("reason", "")
            click.echo(f"  {node} in run {run}: {verdict}" + (f" ({reason})" if reason else ""))
    click.echo("executions (nearest first):" if "went into" not in head else "executions:")
    for step in steps:
        config = f", config {step.config_hash}" if step.config_hash else ""
        click.echo(f"  {step.node_id}: run {step.run_id}, {step.state.lower()}{config}")
        for key, value in step.properties.items():
            click.echo(f"      {key}: {value}")
        for key, artifacts in step.inputs.items():
            for artifact in artifacts:
                click.echo(f"      in  {key}: {artifact.describe()}")
        for key, artifacts in step.outputs.items():
            for artifact in artifacts:
                click.echo(f"      out {key}: {artifact.describe()}")
    return 0
