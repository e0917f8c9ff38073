"""The authoring API: stages that add TFX components, and a builder that makes the pipeline.

A pipeline definition (see ``pipelines/penguin.py``) is a Python file with a function
``create_pipeline(config) -> PipelineBuilder``. Each stage method adds real TFX components with
explicit, unique ids and returns what the next stage consumes::

    p = PipelineBuilder(config)
    examples = p.ingest()
    checked = p.validate(examples)
    transform = p.transform(examples, checked.schema)
    trainer = p.train(transform, checked.schema)
    blessing = p.evaluate(examples, trainer)
    p.push(trainer, blessing)

The definition never names a runner: ``build()`` takes the runner-specific pieces (metadata
connection, Beam args) from the caller, so the same definition runs locally and compiles for
Kubeflow or Vertex. Later stages (optimize, fairness, ...) arrive as new methods here.
"""

from __future__ import annotations

import contextvars
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfx import v1 as tfx
from tfx.dsl.components.base.base_node import BaseNode

from tfxkit import features as F
from tfxkit.config import PipelineConfig, config_as_dict
from tfxkit.errors import PipelineDefinitionError
from tfxkit.evaluation import build_eval_config
from tfxkit.resolvers import PreviousBlessedModelStrategy

PREPROCESSING_FN = "tfxkit.transform.preprocessing.preprocessing_fn"
RUN_FN = "tfxkit.training.keras_trainer.run_fn"


@dataclass(frozen=True)
class Validated:
    """Outputs of the validate stage that later stages consume."""

    statistics: tfx.dsl.Channel
    schema: tfx.dsl.Channel
    anomalies: tfx.dsl.Channel


# Where the pipeline will run. Set by load_pipeline() so a definition never names a runner;
# the only difference today is the baseline resolver (see evaluate()).
LOCAL = "local"
KUBEFLOW_V2 = "kubeflow_v2"
_TARGET: contextvars.ContextVar[str] = contextvars.ContextVar("tfxkit_target", default=LOCAL)


class PipelineBuilder:
    """Collects components stage by stage; ``build()`` returns a runnable TFX Pipeline."""

    def __init__(self, config: PipelineConfig, target: str | None = None) -> None:
        self.config = config
        self.target = target or _TARGET.get()
        self.components: list[BaseNode] = []

    def add(self, node: BaseNode, node_id: str) -> Any:
        """Add a node under an explicit id; two nodes with one id would collide in MLMD."""
        if any(existing.id == node_id for existing in self.components):
            raise PipelineDefinitionError(f"two pipeline nodes share the id '{node_id}'")
        node = node.with_id(node_id)
        self.components.append(node)
        return node

    # ---------------------------------------------------------------- stages
    def ingest(self) -> tfx.dsl.Channel:
        """Read the raw data and split it by hash buckets (split sizes from config)."""
        data = self.config.data
        output = tfx.proto.Output(
            split_config=tfx.proto.SplitConfig(
                splits=[
                    tfx.proto.SplitConfig.Split(name=name, hash_buckets=buckets)
                    for name, buckets in data.splits.items()
                ]
            )
        )
        gen = tfx.components.CsvExampleGen(input_base=data.path, output_config=output)
        return self.add(gen, "example_gen").outputs["examples"]

    def validate(self, examples: tfx.dsl.Channel) -> Validated:
        """Statistics, a schema (inferred or curated) and anomalies against it."""
        stats = self.add(tfx.components.StatisticsGen(examples=examples), "statistics_gen")
        if self.config.schema_.path:
            schema_node = self.add(
                tfx.components.ImportSchemaGen(schema_file=self.config.schema_.path),
                "schema_importer",
            )
        else:
            schema_node = self.add(
                tfx.components.SchemaGen(
                    statistics=stats.outputs["statistics"],
                    infer_feature_shape=self.config.schema_.infer_feature_shape,
                ),
                "schema_gen",
            )
        validator = self.add(
            tfx.components.ExampleValidator(
                statistics=stats.outputs["statistics"], schema=schema_node.outputs["schema"]
            ),
            "example_validator",
        )
        return Validated(
            statistics=stats.outputs["statistics"],
            schema=schema_node.outputs["schema"],
            anomalies=validator.outputs["anomalies"],
        )

    def transform(self, examples: tfx.dsl.Channel, schema: tfx.dsl.Channel) -> Any:
        """TF Transform with tfxkit's config-driven preprocessing_fn."""
        return self.add(
            tfx.components.Transform(
                examples=examples,
                schema=schema,
                preprocessing_fn=PREPROCESSING_FN,
                custom_config=F.feature_spec_config(self.config),
            ),
            "transform",
        )

    def train(self, transform: Any, schema: tfx.dsl.Channel) -> Any:
        """Keras training on the transformed examples; exports raw-feature serving signatures."""
        cfg = self.config
        custom_config = F.feature_spec_config(cfg)
        custom_config["model"] = cfg.model.model_dump(mode="json")
        custom_config["training"] = cfg.training.model_dump(mode="json")
        return self.add(
            tfx.components.Trainer(
                run_fn=RUN_FN,
                examples=transform.outputs["transformed_examples"],
                transform_graph=transform.outputs["transform_graph"],
                schema=schema,
                train_args=tfx.proto.TrainArgs(num_steps=cfg.training.train_steps),
                eval_args=tfx.proto.EvalArgs(num_steps=cfg.training.eval_steps),
                custom_config=custom_config,
            ),
            "trainer",
        )

    def evaluate(self, examples: tfx.dsl.Channel, trainer: Any) -> tfx.dsl.Channel:
        """TFMA against the latest blessed model (if any); returns the blessing channel.

        Locally the baseline excludes the candidate itself (tfxkit.resolvers), which keeps an
        unchanged re-run fully cached. TFX's Kubeflow V2 compiler accepts only its own two
        strategies, so remote targets use LatestBlessedModelStrategy.
        """
        channels = {
            "model": tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
            "model_blessing": tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
        }
        if self.target == LOCAL:
            resolver = tfx.dsl.Resolver(
                strategy_class=PreviousBlessedModelStrategy,
                candidate=trainer.outputs["model"],
                **channels,
            )
        else:
            resolver = tfx.dsl.Resolver(
                strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy, **channels
            )
        baseline = self.add(resolver, "latest_blessed_model_resolver")
        evaluator = self.add(
            tfx.components.Evaluator(
                examples=examples,
                model=trainer.outputs["model"],
                baseline_model=baseline.outputs["model"],
                eval_config=build_eval_config(self.config),
            ),
            "evaluator",
        )
        return evaluator.outputs["blessing"]

    def push(self, trainer: Any, blessing: tfx.dsl.Channel) -> None:
        """Push to the serving directory, inside a Cond so only a blessed model is pushed."""
        # Kubeflow V2: TFX 1.16 compiles the Cond against an input it names
        # '_evaluator.blessing', which exists only when the blessing is not also a regular
        # input; the Cond alone then gates the push. Locally the Pusher checks it again.
        gate = {"model_blessing": blessing} if self.target == LOCAL else {}
        with tfx.dsl.Cond(blessing.future()[0].custom_property("blessed") == 1):
            self.add(
                tfx.components.Pusher(
                    model=trainer.outputs["model"],
                    **gate,
                    push_destination=tfx.proto.PushDestination(
                        filesystem=tfx.proto.PushDestination.Filesystem(
                            base_directory=self.config.resolved_push_destination
                        )
                    ),
                ),
                "pusher",
            )

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
            beam_pipeline_args=beam_pipeline_args or [],
        )

    def node_ids(self) -> list[str]:
        return [c.id for c in self.components]

    def describe(self) -> dict[str, Any]:
        return {"nodes": self.node_ids(), "config": config_as_dict(self.config)}


def standard_pipeline(config: PipelineConfig) -> PipelineBuilder:
    """ingest -> validate -> transform -> train -> evaluate -> push (blessed only)."""
    p = PipelineBuilder(config)
    examples = p.ingest()
    checked = p.validate(examples)
    transform = p.transform(examples, checked.schema)
    trainer = p.train(transform, checked.schema)
    blessing = p.evaluate(examples, trainer)
    p.push(trainer, blessing)
    return p


def load_pipeline(path: str | Path, config: PipelineConfig, target: str = LOCAL) -> PipelineBuilder:
    """Import a pipeline file and call its ``create_pipeline(config)`` for ``target``."""
    path = Path(path)
    if not path.is_file():
        raise PipelineDefinitionError(f"pipeline file {path} does not exist")
    module_name = f"tfxkit_pipeline_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PipelineDefinitionError(f"pipeline file {path} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's file: report it in one line, not a traceback
        raise PipelineDefinitionError(
            f"pipeline file {path} failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    factory = getattr(module, "create_pipeline", None)
    if not callable(factory):
        raise PipelineDefinitionError(
            f"pipeline file {path} must define create_pipeline(config) -> PipelineBuilder"
        )
    token = _TARGET.set(target)
    try:
        builder = factory(config)
    finally:
        _TARGET.reset(token)
    if not isinstance(builder, PipelineBuilder):
        raise PipelineDefinitionError(
            f"{path}: create_pipeline returned {type(builder).__name__}, not a PipelineBuilder"
        )
    return builder
