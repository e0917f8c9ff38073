"""A container step's command run as a subprocess of this Python environment (local runs).

Why: TFX's LocalDagRunner runs container components with Docker, which tfxkit does not assume.
A step declared with ``image=tfxkit.PIPELINE_IMAGE`` runs in the pipeline's own environment,
which locally is this one: ``steps.prepare`` stores its command (TFX's encoded placeholders) as
an exec property and swaps in this executor, which resolves the placeholders as TFX's Docker
operator does and runs the command with this environment's ``python`` first on ``PATH``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

from google.protobuf import json_format
from tfx.dsl.compiler import placeholder_utils
from tfx.dsl.components.base import base_executor
from tfx.orchestration.portable import data_types
from tfx.proto.orchestration import executable_spec_pb2

from tfxkit.errors import one_line

CONTAINER_SPEC_KEY = "container_spec"  # steps.CONTAINER_SPEC_KEY (steps imports this module)
_TAIL = 20  # lines of a failed command's output quoted in the error

log = logging.getLogger(__name__)


def command_line(exec_properties: dict[str, Any], input_dict: dict, output_dict: dict) -> list:
    """The step's command and arguments with every placeholder resolved."""
    spec = json_format.Parse(
        exec_properties[CONTAINER_SPEC_KEY], executable_spec_pb2.ContainerExecutableSpec()
    )
    context = placeholder_utils.ResolutionContext(
        exec_info=data_types.ExecutionInfo(
            input_dict=input_dict, output_dict=output_dict, exec_properties=exec_properties
        )
    )
    return [
        str(placeholder_utils.resolve_placeholder_expression(expression, context))
        for expression in [*spec.commands, *spec.args]
    ]


class LocalContainerExecutor(base_executor.BaseExecutor):
    """Runs the step's command; a non-zero exit fails the step with the command's last lines."""

    def Do(
        self,
        input_dict: dict[str, list[Any]],
        output_dict: dict[str, list[Any]],
        exec_properties: dict[str, Any],
    ) -> None:
        argv = command_line(exec_properties, input_dict, output_dict)
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
        log.info("container step command: %s", argv)
        try:
            result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        except OSError as exc:
            raise RuntimeError(f"container step command {argv[0]!r}: {one_line(exc)}") from exc
        for line in (result.stdout + result.stderr).splitlines():
            log.info("step: %s", line)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-_TAIL:])
            raise RuntimeError(
                f"container step command {' '.join(argv[:3])} ... exited with "
                f"{result.returncode}:\n{tail}"
            )
