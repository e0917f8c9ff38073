"""Where a pipeline will run, as one object the stages ask instead of branching on a name.

Why: runners differ in two places today, and later stages (fairness, optimization gates) will
add more. Keeping every difference in a ``Target`` means a stage says *what* it needs (a baseline
resolver, the inputs that gate a push) and the target says *how*, for local runs and for TFX's
Kubeflow V2 compiler (Kubeflow Pipelines and Vertex AI).
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any

from tfx import v1 as tfx

from tfxkit.pipeline.resolvers import PreviousApprovedSchemaStrategy, PreviousBlessedModelStrategy


@dataclass(frozen=True)
class Target:
    """The runner-specific choices stages need; ``name`` is what IR and logs show."""

    name: str
    excludes_candidate_from_baseline: bool
    gate_as_regular_input: bool
    # Vertex: the Trainer's extra custom_config that runs it as a custom job with worker pools
    # (``RunnerProfile.vertex_training_config``); None trains inside the pipeline's own task.
    trainer_custom_job: dict[str, Any] | None = field(default=None, compare=False)

    def baseline_resolver(self, candidate: tfx.dsl.Channel) -> tfx.dsl.Resolver:
        """Resolver of {model, model_blessing}: the latest blessed model to compare against.

        Locally the baseline excludes the candidate itself (``pipeline.resolvers``), which keeps
        an unchanged re-run fully cached. TFX's Kubeflow V2 compiler accepts only its own two
        strategies, so remote targets use LatestBlessedModelStrategy.
        """
        channels = {
            "model": tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
            "model_blessing": tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
        }
        if self.excludes_candidate_from_baseline:
            return tfx.dsl.Resolver(
                strategy_class=PreviousBlessedModelStrategy,
                candidate=candidate,
                **channels,
                **_infra_blessings(),
            )
        return tfx.dsl.Resolver(
            strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy, **channels
        )

    def warm_start_resolver(self) -> tfx.dsl.Resolver:
        """Resolver of {model}: the newest model every gate blessed, to start training from
        (``training.warm_start``). Locally tfxkit's strategy, which counts every gate's
        blessing; remote targets use TFX's LatestBlessedModelStrategy."""
        channels = {
            "model": tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
            "model_blessing": tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
        }
        if self.excludes_candidate_from_baseline:
            return tfx.dsl.Resolver(
                strategy_class=PreviousBlessedModelStrategy, **channels, **_infra_blessings()
            )
        return tfx.dsl.Resolver(
            strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy, **channels
        )

    def schema_baseline_resolver(self, statistics: tfx.dsl.Channel) -> tfx.dsl.Resolver | None:
        """Resolver of {schema}: the schema of the last run whose data passed the anomaly gate.

        Locally it skips the schema that approved these very statistics (``pipeline.resolvers``),
        so unchanged re-runs stay cached. None for TFX's Kubeflow V2 compiler: its only generic
        strategy (LatestArtifactStrategy) cannot skip that schema, so every re-run would
        re-execute the gate and everything after it; remote pipelines pin the schema of record
        with ``schema.path`` (``tfxkit schema freeze``) instead.
        """
        if not self.excludes_candidate_from_baseline:
            return None
        schema = tfx.dsl.Channel(type=tfx.types.standard_artifacts.Schema)
        return tfx.dsl.Resolver(
            strategy_class=PreviousApprovedSchemaStrategy, statistics=statistics, schema=schema
        )

    def push_blessing_inputs(self, blessing: tfx.dsl.Channel) -> dict[str, Any]:
        """The blessing as a regular Pusher input, so its executor checks it again, or nothing.

        TFX 1.16's Kubeflow V2 compiler names a Cond's input '_<node>.blessing', which exists only
        when the blessing is not also a regular input; there the Cond alone gates the push.
        """
        return {"model_blessing": blessing} if self.gate_as_regular_input else {}


LOCAL = Target("local", excludes_candidate_from_baseline=True, gate_as_regular_input=True)
KUBEFLOW_V2 = Target(
    "kubeflow_v2", excludes_candidate_from_baseline=False, gate_as_regular_input=False
)
TARGETS = {t.name: t for t in (LOCAL, KUBEFLOW_V2)}

# Set by tfxkit.pipeline.dsl.load_pipeline() so a pipeline definition never names a runner.
current_target: contextvars.ContextVar[Target] = contextvars.ContextVar(
    "tfxkit_target", default=LOCAL
)


def _infra_blessings() -> dict[str, tfx.dsl.Channel]:
    """The infra check's verdicts, which tfxkit's local strategy counts as gates too."""
    return {"infra_blessing": tfx.dsl.Channel(type=tfx.types.standard_artifacts.InfraBlessing)}
