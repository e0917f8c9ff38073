"""``tfxkit serve`` and ``tfxkit serving promote|rollback|status|render|deploy-vertex``.

Each handler resolves the serving base, calls one library function (``tfxkit.serving``,
``tfxkit.runners.backends.vertex_serving``) and prints its result; none loads TensorFlow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tfxkit.cli.common import PATH, TfxkitCommand, TfxkitGroup, output_options, verbose_option

_LABEL = click.Choice(("stable", "canary"))


def base_options(function: Any) -> Any:
    """``--base --config --verbose``: which serving base a command reads and writes."""
    function = verbose_option()(function)
    function = click.option(
        "--config",
        "-c",
        type=PATH,
        help="pipeline YAML config whose base to use (its push.destination)",
    )(function)
    return click.option(
        "--base",
        metavar="DIR",
        type=PATH,
        help="serving base (default: push.destination of --config, else workspace/serving)",
    )(function)


def _base(base: str | None, config: str | None) -> str:
    if base:
        return base
    if config:
        from tfxkit.config.pipeline_config import load_config

        return load_config(config).resolved_serving_base
    return "workspace/serving"


@click.command(
    "serve",
    cls=TfxkitCommand,
    short_help="serve pushed models over TF Serving's REST and gRPC APIs (local use)",
    help="Serves every model under the serving base with TF Serving's REST API "
    "(/v1/models/<name>:predict|classify|regress, status, metadata) and gRPC "
    "PredictionService, honouring models.config versions and labels and picking up new "
    "pushes. For development and tests: production runs the TF Serving image "
    "(docker/serving/).",
)
@base_options
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--rest-port", type=int, default=8501, show_default=True, help="REST API port")
@click.option(
    "--grpc-port", type=int, default=8500, show_default=True, help="gRPC port; 0 picks a free port"
)
@click.option("--no-grpc", is_flag=True, help="REST only")
@click.option(
    "--poll-seconds",
    type=float,
    default=2.0,
    show_default=True,
    help="how often to look for new pushes and label changes",
)
@click.option(
    "--max-body-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=32.0,
    show_default=True,
    help="largest REST request body in MiB; a larger one gets 413 as soon as its headers arrive",
)
@click.option(
    "--max-batch-rows",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="most rows (instances, examples) in one REST request; more gets 400",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="REST worker threads; further requests wait in a queue",
)
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    help="seconds before a silent REST connection (kept alive, or a body that stopped short) "
    "is closed",
)
def serve(
    base: str | None,
    config: str | None,
    verbose: bool,
    host: str,
    rest_port: int,
    grpc_port: int,
    no_grpc: bool,
    poll_seconds: float,
    max_body_mb: float,
    max_batch_rows: int,
    threads: int,
    idle_timeout: float,
) -> int:
    from tfxkit.serving.rest import MIB, RestSettings
    from tfxkit.serving.server import EmbeddedServer

    settings = RestSettings(
        max_body_bytes=int(max_body_mb * MIB),
        max_batch_rows=max_batch_rows,
        threads=threads,
        idle_timeout=idle_timeout,
    )
    request_log = None  # monitoring.logging of --config (docs/monitoring.md)
    if config:
        from tfxkit.config.pipeline_config import load_config
        from tfxkit.monitoring.monitor import log_settings

        request_log = log_settings(load_config(config))
    server = EmbeddedServer(
        _base(base, config),
        host=host,
        rest_port=rest_port,
        grpc_port=None if no_grpc else grpc_port,
        poll_seconds=poll_seconds,
        rest_settings=settings,
        request_log=request_log,
    )
    server.serve_forever()
    return 0


@click.group(
    "serving",
    cls=TfxkitGroup,
    short_help="rollouts (promote, rollback), status, manifests, Vertex deployment",
    help="Rollouts (promote, rollback), status, Kubernetes manifests and Vertex deployment of "
    "the models under a serving base.",
)
def serving() -> None:
    """The group itself does nothing: each action is a subcommand."""


@serving.command(
    "promote",
    short_help="point a label (stable, canary) at a pushed, blessed version",
    help="Point a label (stable, canary) at a pushed, blessed version.",
)
@click.argument("model", help="model name (its directory under the serving base)")
@click.option("--version", type=int, required=True, help="the version to label")
@click.option("--label", type=_LABEL, default="stable", show_default=True, help="which label")
@base_options
def promote(
    model: str, version: int, label: str, base: str | None, config: str | None, verbose: bool
) -> int:
    from tfxkit.serving import rollout

    click.echo(rollout.promote(_base(base, config), model, version, label).describe())
    return 0


@serving.command(
    "rollback",
    short_help="canary: drop the canary label; stable: back to the previous stable version",
    help="canary: drop the canary label; stable: back to the previous stable version.",
)
@click.argument("model", help="model name (its directory under the serving base)")
@click.option("--label", type=_LABEL, default="stable", show_default=True, help="which label")
@base_options
def rollback(model: str, label: str, base: str | None, config: str | None, verbose: bool) -> int:
    from tfxkit.serving import rollout

    click.echo(rollout.rollback(_base(base, config), model, label).describe())
    return 0


@serving.command(
    "status",
    short_help="versions, blessing and labels; checks the server config files",
    help="Versions, blessing and labels; checks the server config files.",
)
@click.argument("model", required=False, help="one model (default: every model under the base)")
@base_options
def status(model: str | None, base: str | None, config: str | None, verbose: bool) -> int:
    from tfxkit.serving import layout, rollout, server_config

    where = _base(base, config)
    models = [model] if model else layout.models_in(where)
    if not models:
        click.echo(f"no models under {where}")
        return 1
    for name in models:
        click.echo("\n".join(rollout.describe_model(where, name)))
    problems = server_config.validate_base(where)
    for problem in problems:
        click.echo(f"problem: {problem}")
    if not problems:
        click.echo(
            f"server config: {where}/models.config, batching and monitoring files parse with "
            "TF Serving's protos"
        )
    return 1 if problems else 0


@serving.command(
    "render",
    short_help="Kubernetes manifests for one model and accelerator (validated)",
    help="Kubernetes manifests for one model and accelerator (validated).",
)
@click.argument("model", help="model name (its directory under the serving base)")
@click.option(
    "--accelerator",
    type=click.Choice(("cpu", "gpu", "tpu")),
    default="cpu",
    show_default=True,
    help="what the serving pods run on",
)
@click.option("--image", help="serving image (required for tpu)")
@click.option(
    "--model-base-path",
    default="/models",
    show_default=True,
    help="base in the pod: a mount or gs:// URI",
)
@click.option("--replicas", type=int, default=1, show_default=True, help="pod replicas")
@output_options(
    "where to write the manifests", metavar="DIR", default="build/serving", show_default=True
)
@verbose_option()
def render(
    model: str,
    accelerator: str,
    image: str | None,
    model_base_path: str,
    replicas: int,
    output: str,
    verbose: bool,
) -> int:
    from tfxkit.serving import render as manifests

    options = manifests.RenderOptions(
        model_name=model,
        accelerator=accelerator,
        image=image,
        model_base_path=model_base_path,
        replicas=replicas,
    )
    written = manifests.write_manifests(options, Path(output))
    problems = manifests.validate_manifests(
        {p.name: p.read_text() for p in written if p.suffix in (".yaml", ".yml")}
    )
    for path in written:
        click.echo(f"wrote {path}")
    for problem in problems:
        click.echo(f"invalid: {problem}")
    return 1 if problems else 0


@serving.command(
    "deploy-vertex",
    short_help="upload the stable (or given) version to Vertex Model Registry and deploy it",
    help="Upload the stable (or given) version to Vertex Model Registry and deploy it.",
)
@click.argument("model", required=False, help="model name (default: the config's model name)")
@click.option(
    "--profile", "-p", required=True, metavar="PATH", type=PATH, help="Vertex runner profile YAML"
)
@click.option("--version", type=int, help="default: the stable label's version")
@click.option(
    "--endpoint", metavar="URL", help="Vertex AI API endpoint (default: Google's regional)"
)
@base_options
def deploy_vertex(
    model: str | None,
    profile: str,
    version: int | None,
    endpoint: str | None,
    base: str | None,
    config: str | None,
    verbose: bool,
) -> int:
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.config.profiles import load_profile
    from tfxkit.errors import ServingError
    from tfxkit.runners.backends import vertex_serving
    from tfxkit.runners.backends.base import Connection
    from tfxkit.serving import layout, rollout, server_config

    loaded = load_profile(profile)
    settings = loaded.apply_to(load_config(config)) if config else None
    base = base or (settings.resolved_serving_base if settings else "workspace/serving")
    model = model or (settings.resolved_model_name if settings else None)
    if not model:
        raise ServingError("serving deploy-vertex: name the model or give --config")
    if version is None:
        labels = server_config.labels_of(server_config.read_models_config(base), model)
        version = labels.get("stable")
        if version is None:
            raise ServingError(
                f"model '{model}' has no stable version in {base}/models.config; pass --version"
            )
    rollout.check_version(base, model, version)  # exists, and tfxkit's pusher pushed it
    directory = layout.model_dir(base, model)
    result = vertex_serving.deploy_model(
        loaded, model, f"{directory}/{version}", version, connection=Connection(endpoint=endpoint)
    )
    click.echo("\n".join(vertex_serving.deploy_summary_lines(result)))
    return 0
