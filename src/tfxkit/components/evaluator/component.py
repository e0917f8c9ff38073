"""Evaluator component: TFX's Evaluator spec plus ``min_slice_size``.

Why not TFX's Evaluator as is: with thresholds on every slice, a slice of nine examples can
veto an otherwise good model on noise, and TFMA's own ``min_slice_size`` makes it worse (a small
slice's metrics are dropped, so its thresholds count as unchecked, which fails validation).
This component runs TFX's executor unchanged, then excuses failures on slices smaller than
``min_slice_size`` as "too small to judge" and records that verdict (see ``executor``).

Modelled on TFX's ``tfx/components/evaluator/component.py``.
"""

from __future__ import annotations

import tensorflow_model_analysis as tfma
from tfx import types
from tfx.types import standard_component_specs

from tfxkit.components.evaluator import executor
from tfxkit.components.specs import SpecComponent, parameters

MIN_SLICE_SIZE_KEY = executor.MIN_SLICE_SIZE_KEY
BLESS_KEY = executor.BLESS_KEY
CODE_FINGERPRINT_KEY = executor.CODE_FINGERPRINT_KEY


class EvaluatorSpec(standard_component_specs.EvaluatorSpec):
    """TFX's Evaluator spec; ``min_slice_size`` (examples) below which a slice is not judged;
    ``bless: always`` blesses a model without thresholds (``evaluation.bless``)."""

    PARAMETERS = parameters(
        optional={MIN_SLICE_SIZE_KEY: int, BLESS_KEY: str},
        inherited=standard_component_specs.EvaluatorSpec.PARAMETERS,
    )


class Evaluator(SpecComponent, spec=EvaluatorSpec, executor=executor.Executor, beam=True):
    """TFMA evaluation and blessing, where slices under ``min_slice_size`` cannot veto."""

    def __init__(
        self,
        examples: types.BaseChannel,
        model: types.BaseChannel,
        eval_config: tfma.EvalConfig,
        baseline_model: types.BaseChannel | None = None,
        min_slice_size: int = 0,
        bless: str | None = None,
    ) -> None:
        super().__init__(locals(), fairness_indicator_thresholds="null", example_splits="null")
