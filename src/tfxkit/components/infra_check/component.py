"""InfraCheck component: the model is pushed only if a fresh serving process answers for it.

Why not TFX's InfraValidator: it starts TF Serving in Docker or on Kubernetes, which a laptop
without Docker lacks and Vertex AI Pipelines does not support, so in practice nothing proved a
model loads and serves before the push. This check needs neither: it loads the candidate in a
fresh Python process with ``tfxkit serve``'s code (``serving.models``, ``serving.grpc_service``),
sends TF Serving requests built from evaluation examples and compares the answers with the
Evaluator's model's predictions (``executor``). Its one output, the ``infra_blessing`` (TFX's
type for this, as the InfraValidator's), is one more gate of the push (``blessed``) and carries
the checked requests, which the pusher writes into the pushed version as TF Serving's warm-up
file. Not a ``ModelBlessing``: on Kubeflow/Vertex TFX's LatestBlessedModelStrategy takes the
newest blessed ModelBlessing as the baseline and looks its model up by a name only the
Evaluator's blessing carries, so a second ModelBlessing per run left remote runs without one.

Modelled on TFX's ``tfx/components/infra_validator/component.py`` (spec + class + executor).
"""

from __future__ import annotations

from typing import Any

from tfx import types
from tfx.types import standard_artifacts

from tfxkit.components.infra_check import executor
from tfxkit.components.specs import SettingsSpec, SpecComponent, as_json, channels


class InfraCheckSpec(SettingsSpec):
    """Examples, model and the Evaluator's evaluation in; an ``InfraBlessing`` (the verdict and
    the warm-up requests) out. Settings: examples, timeout_s, split, model_name."""

    INPUTS = channels(
        {
            executor.EXAMPLES_KEY: standard_artifacts.Examples,
            executor.MODEL_KEY: standard_artifacts.Model,
            executor.EVALUATION_KEY: standard_artifacts.ModelEvaluation,
        }
    )
    OUTPUTS = channels(
        {
            executor.INFRA_BLESSING_KEY: standard_artifacts.InfraBlessing,
        }
    )


class InfraCheck(SpecComponent, spec=InfraCheckSpec, executor=executor.Executor):
    """Blesses a model that loads in a fresh process and serves as the Evaluator measured it."""

    def __init__(
        self,
        examples: types.BaseChannel,
        model: types.BaseChannel,
        evaluation: types.BaseChannel,
        settings: dict[str, Any],
    ) -> None:
        super().__init__(locals(), settings=as_json(settings))
