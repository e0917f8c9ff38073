"""TFX's Kubeflow V2 container entrypoint, knowing the ``system.*`` output types.

Why: TFX's entrypoint turns an artifact's schema title into the class to import; for a custom
type that is the title itself, and ``system.HTML`` is no module path. The compiled spec runs
this module instead for tasks with such outputs (``kfp_compiler``), with the same arguments.
"""

from __future__ import annotations

from absl import app
from tfx.orchestration.kubeflow.v2 import compiler_utils
from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_run_executor

from tfxkit.components.run_report.artifacts import TITLE_TO_CLASS_PATH


def register() -> None:
    """Map each system title to its class (TFX reads this dict when it parses artifacts)."""
    compiler_utils.TITLE_TO_CLASS_PATH.update(TITLE_TO_CLASS_PATH)


if __name__ == "__main__":
    register()
    app.run(kubeflow_v2_run_executor.main, flags_parser=kubeflow_v2_run_executor._parse_flags)
