"""Command line for serving: ``tfxkit serve`` and ``tfxkit serving promote|rollback|status|
render|deploy-vertex``.

Split from ``tfxkit.cli.main`` (which registers these parsers and shares its one error path); each
handler resolves the serving base, calls one library function and prints its result.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def _add_base_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base",
        metavar="DIR",
        help="serving base (default: push.destination of --config, else workspace/serving)",
    )
    parser.add_argument("--config", "-c", help="pipeline YAML config whose base to use")
    parser.add_argument("--verbose", "-v", action="store_true", help="show tracebacks")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    serve_p = sub.add_parser(
        "serve",
        help="serve pushed models over TF Serving's REST and gRPC APIs (local use)",
        description="Serves every model under the serving base with TF Serving's REST API "
        "(/v1/models/<name>:predict|classify|regress, status, metadata) and gRPC "
        "PredictionService, honouring models.config versions and labels and picking up new "
        "pushes. For development and tests: production runs the TF Serving image "
        "(docker/serving/).",
    )
    _add_base_args(serve_p)
    serve_p.add_argument("--host", default="127.0.0.1")
    serve_p.add_argument("--rest-port", type=int, default=8501)
    serve_p.add_argument("--grpc-port", type=int, default=8500, help="0 picks a free port")
    serve_p.add_argument("--no-grpc", action="store_true", help="REST only")
    serve_p.add_argument("--poll-seconds", type=float, default=2.0)

    serving_p = sub.add_parser(
        "serving", help="rollouts (promote, rollback), status, manifests, Vertex deployment"
    )
    actions = serving_p.add_subparsers(dest="action", required=True, metavar="ACTION")
    promote_p = actions.add_parser(
        "promote", help="point a label (stable, canary) at a pushed, blessed version"
    )
    promote_p.add_argument("model")
    promote_p.add_argument("--version", type=int, required=True)
    promote_p.add_argument("--label", choices=("stable", "canary"), default="stable")
    _add_base_args(promote_p)
    rollback_p = actions.add_parser(
        "rollback",
        help="canary: drop the canary label; stable: back to the previous stable version",
    )
    rollback_p.add_argument("model")
    rollback_p.add_argument("--label", choices=("stable", "canary"), default="stable")
    _add_base_args(rollback_p)
    status_p = actions.add_parser(
        "status", help="versions, blessing and labels; checks the server config files"
    )
    status_p.add_argument("model", nargs="?")
    _add_base_args(status_p)
    render_p = actions.add_parser(
        "render", help="Kubernetes manifests for one model and accelerator (validated)"
    )
    render_p.add_argument("model")
    render_p.add_argument("--accelerator", choices=("cpu", "gpu", "tpu"), default="cpu")
    render_p.add_argument("--image", help="serving image (required for tpu)")
    render_p.add_argument(
        "--model-base-path", default="/models", help="base in the pod: a mount or gs:// URI"
    )
    render_p.add_argument("--replicas", type=int, default=1)
    render_p.add_argument("--output", "-o", default="build/serving", metavar="DIR")
    render_p.add_argument("--verbose", "-v", action="store_true", help="show tracebacks")
    vertex_p = actions.add_parser(
        "deploy-vertex",
        help="upload the stable (or given) version to Vertex Model Registry and deploy it",
    )
    vertex_p.add_argument("model", nargs="?", help="default: the config's model name")
    vertex_p.add_argument("--profile", "-p", required=True, help="Vertex runner profile YAML")
    vertex_p.add_argument("--version", type=int, help="default: the stable label's version")
    vertex_p.add_argument(
        "--endpoint", metavar="URL", help="Vertex AI API endpoint (default: Google's regional)"
    )
    _add_base_args(vertex_p)


def _base(args: argparse.Namespace) -> str:
    if args.base:
        return args.base
    if args.config:
        from tfxkit.config.pipeline_config import load_config

        return load_config(args.config).resolved_serving_base
    return "workspace/serving"


def cmd_serve(args: argparse.Namespace) -> int:
    from tfxkit.serving.server import EmbeddedServer

    server = EmbeddedServer(
        _base(args),
        host=args.host,
        rest_port=args.rest_port,
        grpc_port=None if args.no_grpc else args.grpc_port,
        poll_seconds=args.poll_seconds,
    )
    server.serve_forever()
    return 0


def _status(base: str, model: str | None) -> int:
    from tfxkit.serving import layout, rollout, server_config

    models = [model] if model else layout.models_in(base)
    if not models:
        print(f"no models under {base}")
        return 1
    for name in models:
        print("\n".join(rollout.describe_model(base, name)))
    problems = server_config.validate_base(base)
    for problem in problems:
        print(f"problem: {problem}")
    if not problems:
        print(
            f"server config: {base}/models.config, batching and monitoring files parse with "
            "TF Serving's protos"
        )
    return 1 if problems else 0


def _render(args: argparse.Namespace) -> int:
    from tfxkit.serving import render

    options = render.RenderOptions(
        model_name=args.model,
        accelerator=args.accelerator,
        image=args.image,
        model_base_path=args.model_base_path,
        replicas=args.replicas,
    )
    written = render.write_manifests(options, Path(args.output))
    problems = render.validate_manifests(
        {p.name: p.read_text() for p in written if p.suffix in (".yaml", ".yml")}
    )
    for path in written:
        print(f"wrote {path}")
    for problem in problems:
        print(f"invalid: {problem}")
    return 1 if problems else 0


def _deploy_vertex(args: argparse.Namespace) -> int:
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.config.profiles import load_profile
    from tfxkit.errors import ServingError
    from tfxkit.runners.backends import vertex_serving
    from tfxkit.runners.backends.base import Connection
    from tfxkit.serving import layout, rollout, server_config

    profile = load_profile(args.profile)
    config = profile.apply_to(load_config(args.config)) if args.config else None
    base = args.base or (config.resolved_serving_base if config else "workspace/serving")
    model = args.model or (config.resolved_model_name if config else None)
    if not model:
        raise ServingError("serving deploy-vertex: name the model or give --config")
    version = args.version
    if version is None:
        labels = server_config.labels_of(server_config.read_models_config(base), model)
        version = labels.get("stable")
        if version is None:
            raise ServingError(
                f"model '{model}' has no stable version in {base}/models.config; pass --version"
            )
    rollout.check_version(base, model, version)  # exists, and tfxkit's pusher pushed it
    directory = layout.model_dir(base, model)
    connection = Connection(endpoint=args.endpoint)
    result = vertex_serving.deploy_model(
        profile, model, f"{directory}/{version}", version, connection=connection
    )
    print("\n".join(vertex_serving.deploy_summary_lines(result)))
    return 0


def cmd_serving(args: argparse.Namespace) -> int:
    from tfxkit.serving import rollout

    if args.action == "promote":
        print(rollout.promote(_base(args), args.model, args.version, args.label).describe())
        return 0
    if args.action == "rollback":
        print(rollout.rollback(_base(args), args.model, args.label).describe())
        return 0
    if args.action == "status":
        return _status(_base(args), args.model)
    if args.action == "render":
        return _render(args)
    return _deploy_vertex(args)
