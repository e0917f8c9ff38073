"""``tfxkit baseline pin|reset|show``: which model the Evaluator compares a candidate with.

The decision is recorded in the pipeline's ML Metadata store with who, when and why
(``pipeline.baseline``) and honoured by the local baseline resolver from the next run on.
"""

from __future__ import annotations

import os
from typing import Any

import click

from tfxkit.cli.common import TfxkitGroup, config_options, verbose_option


def _reason() -> Any:
    return click.option(
        "--reason", "-m", required=True, metavar="TEXT", help="why (recorded with who and when)"
    )


@click.group(
    "baseline",
    cls=TfxkitGroup,
    short_help="pin the Evaluator's baseline model, or reset it (after a signature change)",
    help="Which model the Evaluator compares a candidate with (thresholds' min_improvement). "
    "By default the newest model every gate blessed; pin or reset it when a signature or "
    "vocabulary change makes that comparison meaningless. Each decision is recorded in ML "
    "Metadata with who, when and why; local runs honour it (remote runs use TFX's own "
    "resolver).",
)
def baseline() -> None:
    """The group itself does nothing: each action is a subcommand."""


@baseline.command(
    "pin",
    short_help="compare every later candidate with this blessed model",
    help="Compare every later run's candidate with this blessed model, until a reset or "
    "another pin: a version number this pipeline pushed, or the id of the run that trained it.",
)
@click.argument("target", metavar="VERSION|RUN_ID", help="a pushed version or a run id")
@config_options("override a config value (repeatable)")
@_reason()
@verbose_option()
def pin(target: str, config: str, overrides: tuple[str, ...], reason: str, verbose: bool) -> int:
    loaded, store = _open(config, overrides, verbose)
    from tfxkit.pipeline import baseline as decisions

    model = _pinned_model(store, loaded, target)
    _require_blessed(store, loaded.name, model)
    change = decisions.record(store, loaded.name, "pin", model.id, model.uri, reason)
    click.echo(f"'{loaded.name}' baseline {change.describe()}")
    click.echo("every run compares with it until 'tfxkit baseline reset' or another pin")
    return 0


@baseline.command(
    "reset",
    short_help="the next run compares with no baseline, as a first run",
    help="The next run compares its candidate with no baseline, as a first run does "
    "(min_improvement is not applied); later runs compare with models trained after the reset.",
)
@config_options("override a config value (repeatable)")
@_reason()
@verbose_option()
def reset(config: str, overrides: tuple[str, ...], reason: str, verbose: bool) -> int:
    loaded, store = _open(config, overrides, verbose)
    from tfxkit.pipeline import baseline as decisions

    models = _models(store, loaded.name)
    newest = max(models, key=lambda m: m.id) if models else None
    model_id, uri = (newest.id, newest.uri) if newest else (0, "")
    change = decisions.record(store, loaded.name, "reset", model_id, uri, reason)
    click.echo(f"'{loaded.name}' baseline {change.describe()}")
    click.echo("the next run compares with no baseline; later runs with models trained since")
    return 0


@baseline.command(
    "show",
    short_help="the decision in force and the ones before it",
    help="The decision in force (pin or reset, with who, when and why) and the ones before it.",
)
@config_options("override a config value (repeatable)")
@verbose_option()
def show(config: str, overrides: tuple[str, ...], verbose: bool) -> int:
    loaded, store = _open(config, overrides, verbose)
    from tfxkit.pipeline import baseline as decisions

    changes = decisions.history(store, loaded.name)
    if not changes:
        click.echo(f"'{loaded.name}': the newest model every gate blessed (no pin or reset)")
    for change in changes:
        click.echo(f"{'in force' if change is changes[-1] else 'earlier '}: {change.describe()}")
    return 0


def _open(config: str, overrides: tuple[str, ...], verbose: bool) -> tuple[Any, Any]:
    """The config, and its ML Metadata store (where runs record and decisions are kept)."""
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.runners.quiet import quiet_frameworks

    loaded = load_config(config, list(overrides))
    quiet_frameworks(verbose)
    from tfxkit.metadata import store as metadata

    return loaded, metadata.open_store(metadata.connection_config(loaded))


def _models(store: Any, pipeline: str) -> list[Any]:
    """The Trainer's models of this pipeline (not optimized ones)."""
    from tfxkit.pipeline.resolvers import OPTIMIZATION_PROPERTY

    context = store.get_context_by_type_and_name("pipeline", pipeline)
    model_types = [t.id for t in store.get_artifact_types() if t.name == "Model"]
    if context is None or not model_types:
        return []
    return [
        a
        for a in store.get_artifacts_by_context(context.id)
        if a.type_id in model_types and OPTIMIZATION_PROPERTY not in a.custom_properties
    ]


def _pinned_model(store: Any, config: Any, target: str) -> Any:
    """The model a VERSION (pushed by this pipeline) or a RUN_ID (its Trainer's) names."""
    from tfxkit.errors import ConfigError
    from tfxkit.metadata.store import output_artifacts, run_executions
    from tfxkit.pipeline.stages import node_ids
    from tfxkit.serving.layout import push_record

    models = {m.uri.rstrip("/"): m for m in _models(store, config.name)}
    if target.isdigit():
        record = push_record(config.resolved_push_destination, int(target))
        if record is None:
            raise ConfigError(
                f"no version {target} pushed by tfxkit under {config.resolved_push_destination}"
            )
        model = models.get(os.path.dirname(record["model"].rstrip("/")))
        if model is None:
            raise ConfigError(
                f"version {target} was pushed from {record['model']}, which is not a model "
                f"of '{config.name}' in this metadata store"
            )
        return model
    for execution in run_executions(store, config.name, target):
        if execution.node_id == node_ids.TRAINER:
            for artifact in output_artifacts(store, execution.execution_id, "Model"):
                if artifact.uri.rstrip("/") in models:
                    return artifact
    raise ConfigError(
        f"'{target}' is neither a pushed version nor a run of '{config.name}' that trained a "
        "model (run ids are printed at the end of each run: 'run id: ...')"
    )


def _int(artifact: Any, name: str) -> int | None:
    value = artifact.custom_properties.get(name)
    return value.int_value if value is not None else None


def _text(artifact: Any, name: str) -> str:
    value = artifact.custom_properties.get(name)
    return value.string_value if value is not None and value.string_value else "not blessed"


def _require_blessed(store: Any, pipeline: str, model: Any) -> None:
    """Every gate blessed ``model``: only a model that could have been pushed is a baseline."""
    from tfxkit.components.verdicts import gate_passed
    from tfxkit.errors import ConfigError

    verdicts = [
        b
        for type_name in ("ModelBlessing", "InfraBlessing")  # the infra check's is the latter
        for b in store.get_artifacts_by_type(type_name)
        if "current_model_id" in b.custom_properties
        and b.custom_properties["current_model_id"].int_value == model.id
    ]
    refused = [b for b in verdicts if not gate_passed(b)]
    if not verdicts or refused:
        why = _text(refused[0], "reason") if refused else "no gate judged it"
        raise ConfigError(
            f"model {model.id} of '{pipeline}' was not blessed by every gate ({why}); pin a "
            "model that was (tfxkit baseline show, or a pushed version)"
        )
