"""Explainer component: feature attributions of the trained model on the eval split.

Why a component (not a report step): the attributions belong to the run that trained the model,
are cached with it, and land in ML Metadata beside the gates' verdicts, where the model card
and ``tfxkit runs`` read them. Not a gate: nothing waits on it. Settings: method, examples,
steps, seed, task, raw_of (model input -> its raw columns), features, slices. The optional
``baseline_model`` (the previous blessed model) adds attribution drift against its explanation.
"""

from __future__ import annotations

from typing import Any

from tfx import types
from tfx.types import standard_artifacts

from tfxkit.components.explainer import executor
from tfxkit.components.explainer.verdict import ARTIFACT_TYPE
from tfxkit.components.specs import SettingsSpec, SpecComponent, as_json, channels


class Explanation(types.Artifact):
    """Attributions of one model: the verdict JSON in its folder, the top ten as properties."""

    TYPE_NAME = ARTIFACT_TYPE


class ExplainerSpec(SettingsSpec):
    INPUTS = channels(
        {
            executor.EXAMPLES_KEY: standard_artifacts.Examples,
            executor.TRANSFORM_GRAPH_KEY: standard_artifacts.TransformGraph,
            executor.MODEL_KEY: standard_artifacts.Model,
        },
        optional={executor.BASELINE_MODEL_KEY: standard_artifacts.Model},
    )
    OUTPUTS = channels({executor.EXPLANATION_KEY: Explanation})


class Explainer(SpecComponent, spec=ExplainerSpec, executor=executor.Executor):
    """Integrated gradients per raw column, overall and per slice (``attributions``)."""

    def __init__(
        self,
        examples: types.BaseChannel,
        transform_graph: types.BaseChannel,
        model: types.BaseChannel,
        settings: dict[str, Any],
        baseline_model: types.BaseChannel | None = None,
    ) -> None:
        super().__init__(locals(), settings=as_json(settings))
