"""``tfxkit monitor``: judge a window of logged serving traffic (docs/monitoring.md).

Exit codes for schedulers: 0 ok, 5 warn, 6 alert, 2 bad input (a corrupt or empty window, a
bad config or labels file). They differ from 1 (a crash) so that a failed monitor never reads
as a verdict.
"""

from __future__ import annotations

import json

import click

from tfxkit.cli.common import PATH, TfxkitCommand, config_options, verbose_option


@click.command(
    "monitor",
    cls=TfxkitCommand,
    short_help="judge logged serving traffic: skew, drift, anomalies, performance; alert",
    help="Judges one window of the requests tfxkit serve logged (monitoring.logging): skew "
    "against the serving model's training statistics (from ML Metadata), drift against the "
    "previous window, prediction drift, schema anomalies, missing features and, with late "
    "labels (monitoring.labels), label shift and accuracy or RMSE. Writes a JSON verdict, "
    "records the run in ML Metadata and sends warnings and alerts to monitoring.sinks; on an "
    "alert with monitoring.retrain.enabled, runs the pipeline (cool-down, lock), promotes a "
    "blessed new version and records which monitor run started it. "
    "Exit codes: 0 ok, 5 warn, 6 alert, 2 bad input.",
)
@config_options()
@click.option(
    "--window",
    default="latest",
    show_default=True,
    metavar="PATH|latest",
    help="the window to judge: a .tfrecord file of the request log, or the latest closed one",
)
@click.option("--json", "as_json", is_flag=True, help="print the whole report as JSON")
@click.option(
    "--no-retrain",
    is_flag=True,
    help="do not retrain on an alert even if monitoring.retrain.enabled",
)
@click.option(
    "--retrain-profile",
    metavar="PATH",
    type=PATH,
    help="runner profile (kubeflow/vertex): on an alert, submit the training pipeline there "
    "(as run-pipeline --runner does) instead of running it here",
)
@click.option(
    "--host",
    metavar="URL",
    help="KFP API URL for --retrain-profile, --submit, --schedule (default: kubeflow.host); "
    "with --retrain-remote also passed to the compiled step",
)
@click.option(
    "--endpoint",
    metavar="URL",
    help="Vertex API endpoint for the same options (default: Google's regional endpoint)",
)
@click.option(
    "--submit",
    is_flag=True,
    help="with --profile: also start one run of the compiled monitor (--host/--endpoint)",
)
@click.option(
    "--schedule",
    metavar="CRON",
    help="with --profile: run the compiled monitor on this cron schedule "
    "(<name>-monitor:<schedule-name>; manage it with tfxkit schedule)",
)
@click.option(
    "--schedule-name",
    default="default",
    show_default=True,
    metavar="NAME",
    help="with --schedule: the schedule's name",
)
@click.option(
    "--retrain-remote",
    is_flag=True,
    help="with --profile: the compiled step submits the retrain through the same profile "
    "(its path in the image: --profile-in-image) instead of --no-retrain",
)
@click.option(
    "--profile-in-image",
    metavar="PATH",
    help="with --retrain-remote: the profile's path inside the image (default: as given to -p)",
)
@click.option(
    "--profile",
    "-p",
    metavar="PATH",
    type=PATH,
    help="runner profile (kubeflow/vertex): compile the monitor as its own KFP pipeline "
    "(one step running tfxkit monitor in the profile's image) instead of judging here",
)
@click.option(
    "--output",
    "-o",
    metavar="PATH",
    type=PATH,
    help="with --profile: where the PipelineSpec goes (default build/<name>-monitor.yaml)",
)
@click.option(
    "--config-in-image",
    metavar="PATH",
    help="with --profile: the config's path inside the image (default: as given to -c)",
)
@verbose_option()
def monitor(
    config: str,
    overrides: tuple[str, ...],
    window: str,
    as_json: bool,
    no_retrain: bool,
    profile: str | None,
    output: str | None,
    config_in_image: str | None,
    retrain_profile: str | None,
    host: str | None,
    endpoint: str | None,
    submit: bool,
    schedule: str | None,
    schedule_name: str,
    retrain_remote: bool,
    profile_in_image: str | None,
    verbose: bool,
) -> int:
    from tfxkit.config.pipeline_config import load_config

    settings = load_config(config, list(overrides))
    if profile:
        from tfxkit.monitoring.remote import compile_monitor, deploy_monitor
        from tfxkit.runners.remote import resolve_profile

        remote = resolve_profile(profile, None)
        path = compile_monitor(
            settings,
            remote,
            config_in_image or config,
            output or f"build/{settings.name}-monitor.yaml",
            list(overrides),
            retrain_profile=(profile_in_image or profile) if retrain_remote else None,
            host=host,
            endpoint=endpoint,
        )
        click.echo(f"monitor pipeline for {remote.runner}: {path}")
        if submit or schedule:
            deploy_monitor(
                settings,
                remote,
                path,
                host=host,
                endpoint=endpoint,
                schedule=schedule,
                schedule_name=schedule_name,
                progress=click.echo,
            )
        return 0
    from tfxkit.monitoring import alerts
    from tfxkit.monitoring.monitor import monitor as run_monitor

    target = None
    if retrain_profile and not no_retrain:  # a bad profile fails before judging, not after
        from tfxkit.monitoring.remote_retrain import RemoteTarget
        from tfxkit.runners.remote import resolve_profile

        target = RemoteTarget(resolve_profile(retrain_profile, None), host, endpoint)

    report = run_monitor(settings, window)
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
    else:
        click.echo(
            f"{report['verdict'].upper()}: {report['model']} version {report['model_version']}, "
            f"window {report['window']} ({report['rows']} rows); report {report['report_path']}"
        )
        for reason in report["reasons"]:
            click.echo(f"  - {reason}")
    for sink in settings.monitoring.sinks:
        delivery = alerts.send(sink, report)
        if delivery is not None:
            failed = not delivery.delivered
            click.echo(f"  alert to {delivery.sink}: {delivery.message}", err=failed)
    if report["verdict"] == "alert" and settings.monitoring.retrain.enabled and not no_retrain:
        from dataclasses import asdict
        from pathlib import Path

        from tfxkit.monitoring.trigger import retrain

        what = retrain(
            settings, config, list(overrides), report, progress=click.echo, remote=target
        )
        click.echo(f"  retrain: {what.reason}")
        report["retrain"] = asdict(what)
        Path(report["report_path"]).write_text(json.dumps(report, indent=2, default=str))
    return int(report["exit_code"])
