"""Run a compiled KFP PipelineSpec (Kubeflow V2 / Vertex PipelineJob) locally, task by task.

Why this exists: ``KubeflowV2DagRunner`` only *compiles*; whether the JSON it writes actually
runs is normally learned on a KFP or Vertex backend. This package stands in for that backend's
driver + launcher so "it compiles" can be checked as "it runs" without a cluster (``tfxkit
run-spec``): it walks the PipelineSpec's DAG and runs each task's container command (TFX's
Kubeflow V2 entrypoints) as a subprocess of ``sys.executable``, handing it the
``ExecutorInput`` JSON a real launcher would, with artifact URIs under a local pipeline root.
(The TFX IR that the local Beam runner executes is another format; see ``runners.beam``.)

What it does, as the KFP backend would, one module each, laid out like ``kfp.local``:

- ``spec``: loads the file, checks the pipeline root is local, orders tasks by
  ``dependentTasks`` and their artifact / parameter producers;
- ``inputs`` / ``values``: resolves input parameters (``runtimeValue`` constants, pipeline
  inputs, upstream output parameters) and input artifacts (upstream outputs, with the metadata
  the upstream executor reported in its ``executor_output.json``);
- ``container`` / ``executor_io`` / ``placeholders``: runs a container's
  ``lifecycle.preCacheCheck`` (ExampleGen's driver) first and folds its output (span, version,
  input fingerprint, resolved input config, output artifact metadata) into the executor's
  input, then the executor; caches like KFP when a task's ``cachingOptions.enableCache`` is set
  (the key covers the component and executor spec, the input parameters after the driver, and
  the input artifact names; a hit reuses the earlier outputs if they still exist on disk);
- ``resolver`` / ``artifacts``: answers ``outputArtifactQueries`` (e.g. the two-phase latest
  blessed model resolver) from an artifact index kept under the pipeline root
  (``.run_ir/index.json``), so a later run sees the artifacts of earlier ones;
- ``importer``: registers the imported URI as an artifact;
- ``cel``: evaluates ``triggerPolicy.condition`` (the CEL subset TFX emits); ``launcher``
  skips the task when it is false, and runs the DAG loop.

What it does not do: no parallelism (one task at a time), no ML Metadata (the JSON index stands
in for Vertex ML Metadata's artifact queries), no container images (commands run in the
current environment; ``python`` is replaced by ``sys.executable``), no sub-DAGs, loops or exit
handlers, no retries, and no remote pipeline roots (gs://, s3://): every artifact is a local
directory.
"""

from tfxkit.runners.spec_launcher.artifacts import parse_filter
from tfxkit.runners.spec_launcher.cel import CelError, evaluate_condition
from tfxkit.runners.spec_launcher.errors import RunIrError
from tfxkit.runners.spec_launcher.launcher import IrRunSummary, TaskResult, run_compiled
from tfxkit.runners.spec_launcher.spec import load_spec, local_root, task_order

__all__ = [
    "CelError",
    "IrRunSummary",
    "RunIrError",
    "TaskResult",
    "evaluate_condition",
    "load_spec",
    "local_root",
    "parse_filter",
    "run_compiled",
    "task_order",
]
