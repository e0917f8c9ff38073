"""The authoring API: a builder whose stage methods add TFX components, and pipeline loading.

A pipeline definition (see ``pipelines/penguin.py``) is a Python file with a function
``create_pipeline(config) -> PipelineBuilder``. Each stage lives in its own module under
``tfxkit.pipeline.stages`` and returns a small frozen dataclass of typed channels::

    p = PipelineBuilder(config)
    data = p.ingest()                          # Ingested(examples)
    checked = p.validate(data)                 # Validated(statistics, schema, anomalies)
    transformed = p.transform(data, checked)   # Transformed(graph, examples)
    trained = p.train(transformed, checked)    # Trained(model, model_run)
    evaluated = p.evaluate(data, trained)      # Evaluated(blessing, evaluation, ...)
    judged = p.fairness(trained, evaluated)    # Judged(blessing): rate gaps across slices
    p.push(trained, evaluated, judged)         # any number of gates; pushes only if all bless

A user's own step is a TFX component added under an id, wired from these typed outputs, and
may gate the push (``tfxkit.pipeline.steps``; docs/your-steps.md)::

    gate = p.add(SizeGate(model=trained.model, counts=counted.outputs["counts"]), "size_gate")
    p.push(trained, evaluated, gate)

The definition never names a runner: the builder's ``target`` (set by ``load_pipeline``) holds
what differs between runners, and ``build()`` takes the runner's pieces (metadata connection,
Beam args) from the caller, so one definition runs locally and compiles for Kubeflow or Vertex.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from tfx import v1 as tfx
from tfx.dsl.components.base.base_node import BaseNode

from tfxkit.config.pipeline_config import PipelineConfig, config_as_dict
from tfxkit.errors import PipelineDefinitionError
from tfxkit.pipeline import steps as _steps
from tfxkit.pipeline.paths import importable_folder
from tfxkit.pipeline.stages import evaluate as _evaluate
from tfxkit.pipeline.stages import explain as _explain
from tfxkit.pipeline.stages import fairness as _fairness
from tfxkit.pipeline.stages import ingest as _ingest
from tfxkit.pipeline.stages import optimize as _optimize
from tfxkit.pipeline.stages import push as _push
from tfxkit.pipeline.stages import train as _train
from tfxkit.pipeline.stages import transform as _transform
from tfxkit.pipeline.stages import validate as _validate
from tfxkit.pipeline.stages.evaluate import Evaluated
from tfxkit.pipeline.stages.fairness import Judged
from tfxkit.pipeline.stages.ingest import Ingested
from tfxkit.pipeline.stages.optimize import Optimized
from tfxkit.pipeline.stages.push import Pushed
from tfxkit.pipeline.stages.targets import KUBEFLOW_V2, LOCAL, TARGETS, Target, current_target
from tfxkit.pipeline.stages.train import Trained
from tfxkit.pipeline.stages.transform import Transformed
from tfxkit.pipeline.stages.validate import Validated


class PipelineBuilder:
    """Collects components stage by stage; ``build()`` returns a runnable TFX Pipeline."""

    def __init__(self, config: PipelineConfig, target: Target | str | None = None) -> None:
        self.config = config
        if isinstance(target, str):
            target = TARGETS[target]
        self.target: Target = target or current_target.get()
        self.components: list[BaseNode] = []

    def add(self, node: BaseNode, node_id: str) -> Any:
        """Add a node under an explicit id; two nodes with one id would collide in MLMD.

        A user's step (a TFX function or container component) gets its code into the cache
        key, and a container step runs locally as a subprocess (``steps.prepare``)."""
        if any(existing.id == node_id for existing in self.components):
            raise PipelineDefinitionError(f"two pipeline nodes share the id '{node_id}'")
        node = node.with_id(node_id)
        _steps.prepare(node, local=self.target.name == LOCAL.name)
        self.components.append(node)
        return node

    # ---------------------------------------------------------------- stages
    def ingest(self) -> Ingested:
        """Read the raw data and split it by hash buckets (split sizes from config)."""
        return _ingest.ingest(self)

    def validate(self, data: Ingested) -> Validated:
        """Statistics, a schema (inferred or curated) and anomalies against it."""
        return _validate.validate(self, data)

    def transform(self, data: Ingested, validated: Validated) -> Transformed:
        """TF Transform with tfxkit's config-driven preprocessing_fn."""
        return _transform.transform(self, data, validated)

    def train(self, transformed: Transformed, validated: Validated) -> Trained:
        """Keras training on the transformed examples; raw-feature serving signatures."""
        return _train.train(self, transformed, validated)

    def evaluate(self, data: Ingested, trained: Trained) -> Evaluated:
        """TFMA against the latest blessed model (if any)."""
        return _evaluate.evaluate(self, data, trained)

    def fairness(self, trained: Trained, evaluated: Evaluated) -> Judged:
        """Bless only when rate gaps between sensitive slices are within bounds."""
        return _fairness.fairness(self, trained, evaluated)

    def explain(self, trained: Trained, data: Ingested, transform_graph: Any = None) -> Any:
        """Feature attributions on the eval split, per raw column and slice (not a gate)."""
        return _explain.explain(self, trained, data, transform_graph)

    def optimize(self, data: Ingested, trained: Trained, transformed: Transformed) -> Optimized:
        """Quantize / prune / distill (``config.optimize``), each measured and gated."""
        return _optimize.optimize(self, data, trained, transformed)

    def push_optimized(self, optimized: Optimized, *gates: Any) -> dict[str, Pushed]:
        """Push each optimized model that passed its gate and every gate given."""
        return _optimize.push_optimized(self, optimized, *map(_steps.gate_channel, gates))

    def push(self, trained: Trained, *gates: Any) -> Pushed:
        """Push the model only when every gate blessed it: a stage result with a blessing, a
        blessing channel, or a gate step (a node with one ModelBlessing output)."""
        return _push.push(self, trained, *map(_steps.gate_channel, gates))

    # ---------------------------------------------------------------- build
    def build(
        self,
        *,
        enable_cache: bool = True,
        metadata_connection_config: Any = None,
        beam_pipeline_args: list[str] | None = None,
    ) -> tfx.dsl.Pipeline:
        if not self.components:
            raise PipelineDefinitionError("the pipeline definition added no components")
        return tfx.dsl.Pipeline(
            pipeline_name=self.config.name,
            pipeline_root=self.config.resolved_pipeline_root,
            components=list(self.components),
            enable_cache=enable_cache,
            metadata_connection_config=metadata_connection_config,
            beam_pipeline_args=[*(beam_pipeline_args or []), *_text_plugins(self.config)],
        )

    def node_ids(self) -> list[str]:
        return [c.id for c in self.components]

    def describe(self) -> dict[str, Any]:
        return {"nodes": self.node_ids(), "config": config_as_dict(self.config)}


def _text_plugins(config: PipelineConfig) -> list[str]:
    """Beam's worker processes (multi_processing, Dataflow) import tensorflow-text at start-up
    when a feature is text: the Transform graph and the model they load use its ops."""
    if any(str(f.transform) == "text" for f in config.features):
        return ["--beam_plugin=tensorflow_text"]
    return []


def standard_pipeline(config: PipelineConfig) -> PipelineBuilder:
    """ingest -> validate -> transform -> train -> evaluate [-> fairness] -> push (blessed only)
    [-> optimize -> push each optimized model that passed its gate too].

    The one definition of the standard pipeline: ``pipelines/penguin.py`` and a run without a
    pipeline file both use it.
    """
    p = PipelineBuilder(config)
    data = p.ingest()
    checked = p.validate(data)
    transformed = p.transform(data, checked)
    trained = p.train(transformed, checked)
    evaluated = p.evaluate(data, trained)
    gates: list[Any] = [evaluated]
    if config.fairness:
        gates.append(p.fairness(trained, evaluated))
    if config.explain:
        p.explain(trained, data, transformed.graph)
    p.push(trained, *gates)
    if config.optimize:
        p.push_optimized(p.optimize(data, trained, transformed), *gates)
    return p


def load_pipeline(
    path: str | Path | None, config: PipelineConfig, target: Target | str = LOCAL
) -> PipelineBuilder:
    """Import a pipeline file and call its ``create_pipeline(config)`` for ``target``.

    No file means the standard pipeline: most users only write a config (``tfxkit init``).
    """
    if path is None:
        token = current_target.set(TARGETS[target] if isinstance(target, str) else target)
        try:
            return standard_pipeline(config)
        finally:
            current_target.reset(token)
    path = Path(path)
    if not path.is_file():
        raise PipelineDefinitionError(f"pipeline file {path} does not exist")
    importable_folder(path.resolve().parent)
    module_name = f"tfxkit_pipeline_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PipelineDefinitionError(f"pipeline file {path} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's file: report it in one line, not a traceback
        hint = ""
        if isinstance(exc, ModuleNotFoundError):
            hint = (
                f" (the pipeline's folder {path.resolve().parent} is importable: put "
                f"'{exc.name}' there as a module or package, or install it)"
            )
        raise PipelineDefinitionError(
            f"pipeline file {path} failed to import: {type(exc).__name__}: {exc}{hint}"
        ) from exc
    factory = getattr(module, "create_pipeline", None)
    if not callable(factory):
        raise PipelineDefinitionError(
            f"pipeline file {path} must define create_pipeline(config) -> PipelineBuilder"
        )
    token = current_target.set(TARGETS[target] if isinstance(target, str) else target)
    try:
        builder = factory(config)
    except TypeError as exc:  # TFX's channel type check: say which wire is wrong
        wrong = _steps.wiring_error(exc)
        if wrong is None:
            raise
        raise PipelineDefinitionError(f"pipeline file {path}: {wrong}") from exc
    finally:
        current_target.reset(token)
    if not isinstance(builder, PipelineBuilder):
        raise PipelineDefinitionError(
            f"{path}: create_pipeline returned {type(builder).__name__}, not a PipelineBuilder"
        )
    return builder


__all__ = [
    "KUBEFLOW_V2",
    "LOCAL",
    "Evaluated",
    "Ingested",
    "PipelineBuilder",
    "Pushed",
    "Target",
    "Trained",
    "Transformed",
    "Validated",
    "load_pipeline",
    "standard_pipeline",
]
