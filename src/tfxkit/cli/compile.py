"""``tfxkit compile``: write the pipeline's IR (TFX IR, or a KFP spec) without running it."""

from __future__ import annotations

from pathlib import Path

import click

from tfxkit.cli.common import PATH, TfxkitCommand, compile_remote, output_options, pipeline_options


@click.command(
    "compile",
    cls=TfxkitCommand,
    short_help="compile a pipeline to IR without running it",
    help="Compile a pipeline and write its IR so you can see exactly what will run. With a "
    "Dataflow profile (beam.runner: DataflowRunner), every Beam step's Dataflow job request is "
    "built offline first and checked against the profile; a wrong one writes nothing.",
)
@pipeline_options
@click.option(
    "--format",
    "ir_format",
    type=click.Choice(("tfx-ir", "kfp")),
    default="tfx-ir",
    show_default=True,
    help="tfx-ir: TFX pipeline_pb2.Pipeline in protobuf text format (what the local runner "
    "executes); kfp: KFP v2 PipelineSpec for Kubeflow/Vertex (needs --profile)",
)
@click.option(
    "--profile",
    "-p",
    metavar="PATH",
    type=PATH,
    help="runner profile (required for --format kfp)",
)
@output_options(
    "output file (default build/<name>.pbtxt, or the profile's output for kfp)", metavar="PATH"
)
def compile_command(
    pipeline: str | None,
    config: str,
    overrides: tuple[str, ...],
    verbose: bool,
    ir_format: str,
    profile: str | None,
    output: str | None,
) -> int:
    if ir_format == "kfp":
        from tfxkit.runners.dataflow_request import refuse_wrong_requests

        return compile_remote(
            config,
            overrides,
            pipeline,
            profile,
            verbose=verbose,
            compile_only=True,
            output=output,
            check=refuse_wrong_requests,  # a Dataflow profile's job requests, before writing
        )
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.runners.quiet import quiet_frameworks

    loaded = load_config(config, list(overrides))  # fails fast, before TFX is imported
    quiet_frameworks(verbose)
    from tfxkit.metadata.store import connection_config
    from tfxkit.pipeline.compiler import compile_tfx_ir, ir_text
    from tfxkit.pipeline.dsl import load_pipeline
    from tfxkit.runners.local import beam_pipeline_args

    builder = load_pipeline(pipeline, loaded)
    settings = builder.config
    ir = compile_tfx_ir(
        builder.build(
            metadata_connection_config=connection_config(settings, with_password=False),
            beam_pipeline_args=beam_pipeline_args(settings),
        )
    )
    out = Path(output or f"build/{settings.name}.pbtxt")
    out.parent.mkdir(parents=True, exist_ok=True)
    header = ""
    if settings.metadata.mysql:
        variable = settings.metadata.mysql.password_env
        header = (
            f"# ML Metadata password: not written here; read from ${variable} by the process "
            "that runs this pipeline.\n"
        )
    out.write_text(header + ir_text(ir))
    click.echo(f"wrote TFX IR for '{settings.name}' ({len(ir.nodes)} nodes) to {out}")
    return 0
