"""Dataflow job requests without Google Cloud: built by Beam's own DataflowRunner, then checked.

Why: nothing here can reach Dataflow, yet a wrong worker image, a missing setup file, an
unstaged package or a dropped option only shows up when a job starts on a cluster. For each Beam
component of a compiled pipeline this takes the component's own ``beam_pipeline_args`` from the
compiled spec (what its executor will get), applies TFX's dependency rule
(``make_beam_dependency_flags``, as the executor does) and runs Beam's DataflowRunner on a
stand-in pipeline (one ``Create`` and a ``Map`` of a tfxkit function; the component's real
transforms are built from its data at run time). Beam then assembles the request it would send,
the ``Job`` of the Dataflow v1b3 API with its worker pool, SDK container and staged files.
Two network calls are replaced, and only they: uploads to the staging bucket are recorded
instead (so the staged files are listed by name), and ``projects.locations.jobs.create`` is
recorded instead of sent. ``--no_auth`` skips the credential lookup; the bucket's soft-delete
check (a warning that needs GCS) and the default bucket Beam would create for temp and staging
locations it rejects are skipped (Beam then reports the locations). ``tfxkit compile`` runs
``refuse_wrong_requests`` on every spec compiled for a Dataflow profile before writing it.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfxkit.config.beam_profile import DataflowConfig
from tfxkit.config.profiles import RunnerProfile
from tfxkit.errors import ConfigError

# Where the pipeline image keeps tfxkit's setup.py (docker/pipeline/Dockerfile: WORKDIR /tfxkit).
IMAGE_SETUP_FILE = Path("/tfxkit/setup.py")


class DataflowRequestError(ConfigError):
    """A Dataflow job request built from the runner profile is not what the profile asked for."""


# The options tfxkit promises in the request's sdkPipelineOptions, by DataflowConfig field.
_PROMISED = (
    "project",
    "region",
    "temp_location",
    "staging_location",
    "num_workers",
    "max_num_workers",
    "disk_size_gb",
    "service_account_email",
)


@dataclass
class JobRequest:
    """One component's Dataflow job request, as Beam built it, and what is wrong with it."""

    component: str
    args: list[str]
    job: dict[str, Any]
    staged: list[str] = field(default_factory=list)  # file names Beam would upload
    problems: list[str] = field(default_factory=list)

    @property
    def options(self) -> dict[str, Any]:
        return self.job.get("environment", {}).get("sdkPipelineOptions", {}).get("options", {})

    @property
    def worker_pool(self) -> dict[str, Any]:
        pools = self.job.get("environment", {}).get("workerPools", [])
        return pools[0] if pools else {}

    def container_images(self) -> list[str]:
        images = self.worker_pool.get("sdkHarnessContainerImages", [])
        return [image.get("containerImage", "") for image in images]


def beam_args_by_component(spec: dict[str, Any]) -> dict[str, list[str]]:
    """``{component id: its Beam flags}`` for each compiled executor that runs Beam jobs.

    TFX's Kubeflow V2 compiler hands the Beam flags to every executor; only subclasses of
    ``BaseBeamExecutor`` build a Beam pipeline from them (the others, e.g. the Trainer, never
    start a Dataflow job)."""
    found: dict[str, list[str]] = {}
    for name, executor in spec.get("deploymentSpec", {}).get("executors", {}).items():
        args = executor.get("container", {}).get("args", [])
        if "--runner=DataflowRunner" in args and _runs_beam(args):
            flags = [a for a in args if isinstance(a, str) and a.startswith("--") and "=" in a]
            found[name.removesuffix("_executor")] = flags
    return found


def _runs_beam(args: list[str]) -> bool:
    import importlib

    from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor

    if "--executor_class_path" not in args:
        return False
    path = args[args.index("--executor_class_path") + 1]
    module, _, name = path.rpartition(".")
    executor = getattr(importlib.import_module(module), name)
    return isinstance(executor, type) and issubclass(executor, BaseBeamExecutor)


def build_request(
    component: str, args: list[str], temp_dir: Path, setup_stand_in: Path | None = None
) -> JobRequest:
    """Beam's DataflowRunner builds ``component``'s job request; nothing is sent or uploaded.
    ``setup_stand_in``: a local copy of a ``--setup_file`` that exists only in the pipeline
    image, packaged in its place (the request's ``setup_file`` option keeps the image path)."""
    import apache_beam as beam
    from tfx.utils import dependency_utils

    flags = dependency_utils.make_beam_dependency_flags(list(args))
    job_name = "tfxkit-" + component.replace("_", "-").lower()
    flags += ["--no_auth", f"--job_name={job_name}"]
    built = flags
    if setup_stand_in is not None:
        built = [_swap_setup_file(flag, setup_stand_in) for flag in flags]
    recorded: dict[str, Any] = {"staged": []}
    with _offline(recorded), contextlib.chdir(temp_dir):
        pipeline = beam.Pipeline(argv=built)
        _ = pipeline | "Rows" >> beam.Create(["x"]) | "Stand-in" >> beam.Map(_stand_in)
        pipeline.run()
    job = json.loads(recorded["job"].json())
    request = JobRequest(component, flags, job, staged=recorded["staged"])
    if setup_stand_in is not None and request.options.get("setup_file") == str(setup_stand_in):
        original = next(f for f in flags if f.startswith("--setup_file="))
        request.options["setup_file"] = original.split("=", 1)[1]
    return request


def _swap_setup_file(flag: str, local: Path) -> str:
    return f"--setup_file={local}" if flag.startswith("--setup_file=") else flag


def _stand_in(row: str) -> str:
    """A tfxkit function, so the request pickles a reference the workers must import."""
    return row


@contextlib.contextmanager
def _offline(recorded: dict[str, Any]) -> Iterator[None]:
    """Beam's two network calls recorded instead of made (see the module's docstring)."""
    from unittest import mock

    from apache_beam.options.pipeline_options import GoogleCloudOptions
    from apache_beam.runners.dataflow.internal import apiclient

    def stage_file(self: Any, location: str, name: str, stream: Any, **_: Any) -> None:
        recorded["staged"].append(name)

    def submit(self: Any, job: Any) -> Any:
        recorded["job"] = job
        return job.proto

    client = apiclient.DataflowApplicationClient
    with (
        mock.patch.object(client, "stage_file", stage_file),
        mock.patch.object(client, "submit_job_description", submit),
        mock.patch.object(
            GoogleCloudOptions, "_warn_if_soft_delete_policy_enabled", lambda self, arg: None
        ),
        # Beam's fallback for locations it rejects creates a bucket: report them instead.
        mock.patch.object(GoogleCloudOptions, "_create_default_gcs_bucket", lambda self: None),
    ):
        yield


def validate(request: JobRequest, dataflow: DataflowConfig) -> list[str]:
    """What the request lacks of what the profile asked for; [] when it is right."""
    problems = []
    where = f"component '{request.component}'"
    machine = request.worker_pool.get("machineType")
    if dataflow.machine_type and machine != dataflow.machine_type:
        problems.append(f"{where}: worker machineType {machine!r}, not {dataflow.machine_type!r}")
    images = request.container_images()
    if dataflow.sdk_container_image:
        if images != [dataflow.sdk_container_image]:
            problems.append(
                f"{where}: SDK container images {images}, not the pipeline image "
                f"{dataflow.sdk_container_image!r}"
            )
        extra = [name for name in request.staged if name.endswith((".tar.gz", ".whl", ".zip"))]
        if extra:  # the image holds tfxkit: a package staged as well would be reinstalled
            problems.append(f"{where}: packages staged beside the pipeline image: {extra}")
    if dataflow.setup_file:
        if "workflow.tar.gz" not in request.staged:
            problems.append(
                f"{where}: setup_file {dataflow.setup_file} was not packaged into "
                f"workflow.tar.gz (staged: {request.staged})"
            )
        if request.options.get("setup_file") != dataflow.setup_file:
            problems.append(f"{where}: setup_file option {request.options.get('setup_file')!r}")
    for key in _PROMISED:
        wanted = getattr(dataflow, key)
        got = str(request.options.get(key))
        if key in ("temp_location", "staging_location") and wanted is not None:
            # Beam puts each job in a folder of its own under the location asked for.
            got = got if not got.startswith(f"{wanted}/") else str(wanted)
        if wanted is not None and got != str(wanted):
            problems.append(
                f"{where}: option {key} is {request.options.get(key)!r}, not {wanted!r}"
            )
    missing = set(dataflow.experiments) - set(request.options.get("experiments") or [])
    if missing:
        problems.append(f"{where}: experiments {sorted(missing)} missing")
    if "pickled_main_session" in request.staged:
        problems.append(f"{where}: the main session is pickled (save_main_session): not portable")
    return problems


def check_spec(spec: dict[str, Any], dataflow: DataflowConfig, temp_dir: Path) -> list[JobRequest]:
    """Every Dataflow component's request, built and validated (``problems`` filled in).

    Beam refusing the options (its own validation, or a value its parser rejects) raises
    ``DataflowRequestError`` naming the component."""
    requests = []
    stand_in = setup_stand_in(dataflow, temp_dir)
    for component, args in sorted(beam_args_by_component(spec).items()):
        beam_said = io.StringIO()
        try:  # argparse prints its usage to stderr and exits: keep that for the message
            with contextlib.redirect_stderr(beam_said):
                request = build_request(component, args, temp_dir, stand_in)
        except SystemExit:
            said = " ".join(beam_said.getvalue().split()[-40:]) or "its option parser exited"
            raise _refused(component, said) from None
        except Exception as exc:  # noqa: BLE001 - whatever Beam refuses with
            raise _refused(component, " ".join(str(exc).split())) from None
        request.problems = validate(request, dataflow)
        requests.append(request)
    return requests


def _refused(component: str, said: str) -> DataflowRequestError:
    return DataflowRequestError(
        f"runner profile: Beam's DataflowRunner refused the options of component '{component}' "
        f"while building its Dataflow job request (nothing was written): {said}"
    )


def setup_stand_in(dataflow: DataflowConfig, temp_dir: Path) -> Path | None:
    """A local stand-in for a ``setup_file`` that exists only in the pipeline image (Beam runs
    it where the job is submitted): tfxkit's own setup.py for the image's /tfxkit/setup.py, else
    an empty package's, so the request still shows what Beam stages. None when it is here."""
    if dataflow.setup_file is None or Path(dataflow.setup_file).is_file():
        return None
    if Path(dataflow.setup_file) == IMAGE_SETUP_FILE:
        from tfxkit.runners.portable import project_root

        with contextlib.suppress(Exception):
            local = project_root() / "setup.py"
            if local.is_file():
                return local
    folder = temp_dir / "setup-stand-in"
    folder.mkdir(parents=True, exist_ok=True)
    stand_in = folder / "setup.py"
    stand_in.write_text("from setuptools import setup\n\nsetup(name='stand-in', version='0')\n")
    return stand_in


def refuse_wrong_requests(spec: dict[str, Any], profile: RunnerProfile) -> None:
    """For a Dataflow profile: build every Beam component's job request from the compiled
    ``spec`` and raise ``DataflowRequestError`` (one paragraph) if any differs from the profile.
    Nothing for other profiles. Runs before the spec is written (``tfxkit compile``)."""
    dataflow = profile.beam.dataflow if profile.beam.runner == "DataflowRunner" else None
    if dataflow is None:
        return
    with tempfile.TemporaryDirectory(prefix="tfxkit-dataflow-") as temp_dir:
        requests = check_spec(spec, dataflow, Path(temp_dir))
    problems = [problem for request in requests for problem in request.problems]
    if problems:
        raise DataflowRequestError(
            f"runner profile: the Dataflow job requests Beam builds from it are not what its "
            f"beam.dataflow section asks for ({len(problems)} problem(s)): "
            + "; ".join(problems)
            + ". Check beam.extra_args (a flag there overrides the typed field) and "
            "beam.dataflow; nothing was written."
        )
