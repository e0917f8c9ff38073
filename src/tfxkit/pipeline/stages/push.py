"""Push: hand the model to the serving directory only when every gate blessed it.

Each gate (the Evaluator's blessing, and later the fairness and optimization gates) becomes one
``Cond(blessed == 1)`` around the Pusher, so an orchestrator skips the push when any gate says
no; on targets where the compiler allows it the first blessing is also a regular input and the
Pusher's executor checks it again (``tfxkit.components.model_pusher``). With
``push.infra_check`` on (the default) the infra check (``stages.infra_check``) is one more gate,
and its warm-up requests go with the pushed model. With a ``batch`` section the batch is then
scored with the pushed model (``stages.score``), under the same conditions. On Kubeflow and
Vertex the run report node (``components.run_report``) follows, outside the push's conditions:
the report shows a run that was not blessed too.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from tfx import v1 as tfx

from tfxkit.components.model_pusher.component import ModelPusher
from tfxkit.components.run_report.component import RunReport
from tfxkit.errors import PipelineDefinitionError
from tfxkit.pipeline.stages import node_ids
from tfxkit.pipeline.stages._base import StageContext, gate_passed_condition
from tfxkit.pipeline.stages.infra_check import evaluated_gate, infra_check
from tfxkit.pipeline.stages.targets import LOCAL
from tfxkit.pipeline.stages.train import Trained


@dataclass(frozen=True)
class Pushed:
    pushed_model: tfx.dsl.Channel


def _blessing_channel(gate: Any) -> tfx.dsl.Channel:
    """A gate is a blessing channel or a stage result with a ``blessing`` channel."""
    channel = getattr(gate, "blessing", gate)
    if not isinstance(channel, tfx.dsl.Channel) and not hasattr(channel, "future"):
        raise PipelineDefinitionError(
            f"push() gates must be blessing channels or stage results with .blessing, "
            f"got {type(gate).__name__}"
        )
    return channel


def push(p: StageContext, trained: Trained, *gates: Any) -> Pushed:
    config = p.config
    if gates and config.training.privacy is not None:  # a DP model: its epsilon is a gate too
        from tfxkit.pipeline.stages.privacy import privacy_gate

        gates = (*gates, privacy_gate(p, trained))
    infra_blessing = None
    push_gates = gates
    if gates and config.push.infra_check.enabled:
        checked = infra_check(p, trained, evaluated_gate(gates))
        gates, infra_blessing = (*gates, checked), checked.infra_blessing
        # The infra blessing is a regular input of the pusher (its warm-up requests; the
        # executor refuses a model it did not bless, as TFX's Pusher does); TFX's Kubeflow V2
        # compiler takes a channel as an input or in a Cond, not both, so remotely it is not
        # also a Cond.
        push_gates = gates if p.target.gate_as_regular_input else push_gates
    pushed = push_model(
        p,
        trained.model,
        push_gates,
        node_id=node_ids.PUSHER,
        base_directory=config.resolved_push_destination,
        serving_base=config.resolved_serving_base,
        model_name=config.resolved_model_name,
        infra_blessing=infra_blessing,
    )
    if config.batch:  # score the batch with the model just pushed, under the push's conditions
        from tfxkit.pipeline.stages.score import score_pushed

        score_pushed(p, trained.model, pushed.pushed_model, tuple(gates))
    if p.target.name != LOCAL.name:  # locally the runner writes the report from ML Metadata
        run_report(p, trained, gates)
    return pushed


def run_report(p: StageContext, trained: Trained, gates: tuple[Any, ...]) -> None:
    """The report as Kubeflow/Vertex UI outputs, from the nodes the pipeline has: the
    evaluation among the gates, the Trainer's run, and StatisticsGen's and Transform's
    outputs when the pipeline has those nodes (a custom pipeline may not)."""
    evaluated = next((g for g in gates if hasattr(g, "evaluation")), None)
    built = {c.id: c.outputs for c in getattr(p, "components", [])}
    if node_ids.RUN_REPORT in built:  # a pipeline that pushes twice gets one report
        return
    p.add(
        RunReport(
            settings={"pipeline": p.config.name},
            statistics=built.get(node_ids.STATISTICS_GEN, {}).get("statistics"),
            evaluation=evaluated.evaluation if evaluated else None,
            blessing=evaluated.blessing if evaluated else None,
            model_run=trained.model_run,
            transform_graph=built.get(node_ids.TRANSFORM, {}).get("transform_graph"),
        ),
        node_ids.RUN_REPORT,
    )


def push_model(
    p: StageContext,
    model: tfx.dsl.Channel,
    gates: tuple[Any, ...] | list[Any],
    *,
    node_id: str,
    base_directory: str,
    serving_base: str | None,
    model_name: str | None,
    infra_blessing: tfx.dsl.Channel | None = None,
) -> Pushed:
    """One ModelPusher under one ``Cond`` per gate. Without ``serving_base`` (a TFLite
    destination) versions are written but no TF Serving config. ``infra_blessing`` is a regular
    input (never in a Cond: the Kubeflow V2 compiler allows a channel in only one of them)."""
    if not gates:
        raise PipelineDefinitionError(
            "push() needs at least one gate (e.g. the evaluate stage's result): tfxkit never "
            "pushes an unvalidated model"
        )
    blessings = [_blessing_channel(g) for g in gates]
    with contextlib.ExitStack() as conds:
        for blessing in blessings:
            conds.enter_context(gate_passed_condition(blessing))
        node = p.add(
            ModelPusher(
                model=model,
                base_directory=base_directory,
                serving_base=serving_base,
                model_name=model_name,
                label=p.config.push.label,
                batching=p.config.push.batching.model_dump_json() if serving_base else None,
                infra_blessing=infra_blessing,
                **p.target.push_blessing_inputs(blessings[0]),
            ),
            node_id,
        )
    return Pushed(pushed_model=node.outputs["pushed_model"])
