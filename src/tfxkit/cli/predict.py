"""``tfxkit predict``: score files with a pushed version, here or on Beam (local, or Dataflow).

The handler resolves the config's serving base and model, the version and the engine (``_beam``:
one local file is scored in this process without Beam; several files, or a runner profile, on
Beam), then calls ``tfxkit.batch.pipeline.score`` (docs/batch.md); the batch is validated
against the schema of record first (``--no-validate`` skips it).
"""

from __future__ import annotations

from typing import Any

import click

from tfxkit.cli.common import PATH, TfxkitCommand, config_options, progress, verbose_option

FORMATS = ("csv", "parquet", "jsonl")
ENGINES = ("auto", "local", "beam")


@click.command(
    "predict",
    cls=TfxkitCommand,
    short_help="score CSV / Parquet files with a pushed model version (batch scoring)",
    help="Score every row of --data (a CSV or Parquet file, or a directory of them, read "
    "with the config's data.csv dialect) with a pushed version's serving_default signature (one "
    "local file in this process, else on Beam), and write --out: predictions (pass-through "
    "columns, the predicted class and one probability per class named by class, or the "
    "predicted value, and the model version), rejects.csv (each row that could not be read: "
    "file, line, reason) and summary.json. The "
    "batch is first validated against the schema of record; on anomalies, or a missing "
    "column, a column of the wrong type or no rows, nothing is written. --out is replaced "
    "atomically; the same inputs and version write the same bytes.",
)
@config_options()
@click.option("--data", required=True, metavar="PATH", type=PATH, help="file or directory to score")
@click.option(
    "--out", required=True, metavar="DIR", type=PATH, help="output directory (replaced atomically)"
)
@click.option(
    "--version",
    "version",
    metavar="N|stable|canary|latest",
    help="pushed version (default: batch.version of the config, else stable when labelled, "
    "else the latest)",
)
@click.option(
    "--format", "output_format", type=click.Choice(FORMATS), help="output format (default csv)"
)
@click.option(
    "--pass-through",
    "pass_through",
    multiple=True,
    metavar="COLUMN",
    help="input column copied to each output row, e.g. an id (repeatable; default: "
    "batch.pass_through)",
)
@click.option("--base", metavar="DIR", type=PATH, help="serving base (default push.destination)")
@click.option("--batch-rows", type=click.IntRange(min=1), help="rows per model call (1024)")
@click.option(
    "--profile",
    "-p",
    metavar="PATH",
    type=PATH,
    help="runner profile whose Beam options to use (Dataflow: data, model and --out on gs://)",
)
@click.option("--no-validate", is_flag=True, help="skip validation against the schema of record")
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="auto",
    show_default=True,
    help="local: this process, no Beam; beam: Beam's DirectRunner (or the profile's runner); "
    "auto: local for one local file without --profile, else beam",
)
@click.option("--timings", is_flag=True, help="print the seconds each phase took")
@verbose_option()
def predict(
    config: str,
    overrides: tuple[str, ...],
    data: str,
    out: str,
    version: str | None,
    output_format: str | None,
    pass_through: tuple[str, ...],
    base: str | None,
    batch_rows: int | None,
    profile: str | None,
    no_validate: bool,
    engine: str,
    timings: bool,
    verbose: bool,
) -> int:
    from tfxkit.batch.pipeline import Clock
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.runners.quiet import quiet_frameworks

    clock = Clock()
    loaded = load_config(config, list(overrides))  # fails fast, before TensorFlow loads
    beam_args, reshuffle, how = _beam(loaded, profile, data, engine)
    quiet_frameworks(verbose)
    from tfxkit.batch.pipeline import ScoreRequest, score
    from tfxkit.batch.versions import resolve
    from tfxkit.config.features import declared_column_types

    batch = loaded.batch
    model = resolve(
        base or loaded.resolved_serving_base,
        loaded.resolved_model_name,
        version if version is not None else (batch.version if batch else None),
    )
    progress(f"scoring {data} with {model.model_name} version {model.version} ({model.path})")
    progress(f"beam: {how}")
    request = ScoreRequest(
        data=data,
        out=out,
        model=model,
        dialect=loaded.data.csv,
        data_format=str(loaded.data.format),
        declared=declared_column_types(loaded),
        pass_through=pass_through or tuple(batch.pass_through if batch else ()),
        output_format=output_format or (batch.format if batch else "csv"),
        batch_rows=batch_rows or (batch.batch_rows if batch else 1024),
        beam_args=tuple(beam_args),
        reshuffle=reshuffle,
        engine="local" if how.startswith("local") else "beam",
        freeze_heap=True,  # this process ends after scoring
    )
    clock.lap("config read, version resolved")
    _import_tensorflow()
    clock.lap("TensorFlow imported")
    check = None if no_validate else _validator(loaded)
    clock.lap("schema of record read" if check else "-")
    if request.engine == "local" and check is not None and not check.local:
        progress("beam: the schema of record asks for checks only TFDV's statistics cover")
    result = score(request, check, clock)
    if timings:
        laps = "; ".join(f"{what} {s:.2f} s" for what, s in result.timings if what != "-")
        progress(f"timings: {laps}")
    for warning in result.warnings:
        progress(f"warning: {warning['feature']}: {warning['description']}")
    progress(
        f"scored {result.rows_out:,} of {result.rows_in:,} rows ({result.rejected:,} rejected"
        f"{': see ' + out + '/rejects.csv' if result.rejected else ''}) -> {result.predictions}"
    )
    return 0


def _import_tensorflow() -> None:
    """TensorFlow, imported now and its objects moved out of the cycle collector's reach
    (``gc.freeze``; ``ScoreRequest.freeze_heap`` does the same once the model is loaded): they
    live until this one-shot process ends, and every full collection walked them all."""
    import gc

    import tensorflow  # noqa: F401 - imported for its side effect on the heap

    gc.freeze()


def _validator(config: Any) -> Any:
    """The schema of record as a ``checks.SchemaCheck`` (TFDV's validator without importing
    TFDV's package); without one, say how to get one. Anomalies are judged as the pipeline's
    scorer judges them (``components.batch_scorer.validation``)."""
    from tfxkit.batch.checks import SchemaCheck
    from tfxkit.components.batch_scorer.validation import features_only
    from tfxkit.config.features import column_key
    from tfxkit.errors import DataError
    from tfxkit.pipeline.schema_tools import reference_schema

    try:
        schema, _ = reference_schema(config)
    except DataError as exc:
        raise DataError(f"{exc}; or score without validation: --no-validate") from None
    keys = [column_key(f.name) for f in config.features]
    judge = judgement(config.validation.on_anomaly, dict(config.validation.severity))
    return SchemaCheck(features_only(schema, keys), judge)


def judgement(on_anomaly: str, severity: dict[str, str]) -> Any:
    """Anomalies -> rows with their action (fail | warn; ignored ones dropped), as the
    pipeline's scorer judges them (``components.batch_scorer.validation.validator``)."""
    from tfxkit.components.anomaly_gate.executor import action, anomaly_rows
    from tfxkit.components.batch_scorer.validation import AGAINST

    def judge(anomalies: Any) -> list[dict[str, str]]:
        rows = []
        for row in anomaly_rows("batch", anomalies, against=AGAINST):
            row["action"] = action(row, on_anomaly, severity)
            if row["action"] != "ignore":
                rows.append(row)
        return rows

    return judge


def _beam(
    config: Any, profile: str | None, data: str, engine: str = "auto"
) -> tuple[list[str], bool, str]:
    """Beam options: the profile's (Dataflow spreads batches over workers), else local: one
    file in this process without Beam (``engine`` auto or local), or the DirectRunner: in this
    process for one file, else ``runner.beam`` (``mode: auto``). The description starts with
    ``local`` when no Beam runs."""
    if profile:
        if engine == "local":
            from tfxkit.errors import DataError

            raise DataError("--engine local scores here; a runner profile's Beam runs elsewhere")
        from tfxkit.config.profiles import load_profile

        beam = load_profile(profile).beam
        args = beam.pipeline_args()
        return args, beam.runner == "DataflowRunner", f"{beam.runner} (profile {profile})"
    import os

    from tfxkit.runners import beam_settings

    several = os.path.isdir(data) and len([n for n in os.listdir(data) if n[:1] not in "._"]) > 1
    auto = engine == "auto" and config.runner.beam.mode == "auto"
    if engine == "local" or (auto and not several and "://" not in data):
        why = "in this process, no Beam (the files read, scored and written as a stream)"
        return [], False, f"local: {why}"
    if config.runner.beam.mode == "auto" and not several:
        args = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]
        why = "in_memory, 1 worker (one file is read and scored as a stream in one process)"
        return args + list(config.runner.beam.extra_args), False, why
    choice = beam_settings.choose(config)
    return choice.pipeline_args(config.runner.beam.extra_args), False, choice.describe()
