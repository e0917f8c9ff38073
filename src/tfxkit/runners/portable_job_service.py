"""Beam's local job service for the portable rehearsal, with ``runner.beam.workers`` honoured.

Why not Beam's ``local_job_service_main`` as is: Beam 2.59's job service runs each job with
``FnApiRunner(...).run_via_runner_api``, which keeps FnApiRunner's default of one SDK worker
per environment; only ``FnApiRunner.run_pipeline`` (DirectRunner in-process) reads
``--direct_num_workers``. So an external worker pool served every job with one worker, whatever
the config asked. Here each job's own ``--direct_num_workers`` (set by
``tfxkit.runners.portable`` from ``runner.beam.workers``; 0 = one per core) sets how many SDK
workers the job asks the pool for; Beam then splits each stage's input between them, as
DirectRunner's ``multi_processing`` mode does. Everything else is Beam's job service unchanged.

Run as ``python -m tfxkit.runners.portable_job_service --port=N --staging_dir=DIR``.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import sys
from typing import Any


def job_workers(options: Any) -> int:
    """SDK workers one job asks for: its ``--direct_num_workers`` (0: one per core; unset: 1)."""
    from apache_beam.options.pipeline_options import DirectOptions

    asked = options.view_as(DirectOptions).direct_num_workers
    if asked is None:
        return 1
    asked = int(asked)  # a job's options reach the service as JSON: numbers may be strings
    return multiprocessing.cpu_count() if asked == 0 else asked


def _invoke_runner(job: Any) -> Any:
    """``BeamJob._invoke_runner`` with the job's worker count given to FnApiRunner."""
    from apache_beam.portability.api import beam_job_api_pb2
    from apache_beam.runners.portability.fn_api_runner import fn_runner

    job.set_state(beam_job_api_pb2.JobState.RUNNING)
    options = job.pipeline_options()
    runner = fn_runner.FnApiRunner(provision_info=job._provision_info)
    runner._num_workers = job_workers(options)  # what run_pipeline would have set
    return runner.run_via_runner_api(job._pipeline_proto, options)


def main(argv: list[str]) -> None:
    """Beam's ``local_job_service_main`` (its options, without the program name), patched."""
    from apache_beam.runners.portability import local_job_service, local_job_service_main

    local_job_service.BeamJob._invoke_runner = _invoke_runner
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    logging.basicConfig()
    logging.getLogger().setLevel(logging.INFO)
    local_job_service_main.run(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
