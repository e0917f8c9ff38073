"""Config of the explainer: feature attributions of the trained model on the evaluation split,
mapped back to the raw columns people know (docs/responsible-ai.md).

Why checked here: an attribution method that is not installed, or a feature that does not
exist, should stop the run before training, not after it. Never imports TensorFlow.
"""

from __future__ import annotations

from enum import Enum

from pydantic import Field, StrictInt

from tfxkit.config.base import Strict
from tfxkit.config.types import NonEmptyStr


class ExplainMethod(str, Enum):
    INTEGRATED_GRADIENTS = "integrated_gradients"  # hand-written in TF: always available
    SHAP_GRADIENT = "shap_gradient"  # shap's GradientExplainer (expected gradients)
    SHAP_KERNEL = "shap_kernel"  # shap's KernelExplainer, one SHAP feature per model input


class ExplainConfig(Strict):
    """Attributions of the trained model: global, and per fairness/evaluation slice."""

    method: ExplainMethod = Field(
        default=ExplainMethod.INTEGRATED_GRADIENTS,
        description="integrated_gradients (hand-written, the default; also what `tfxkit serve` "
        "answers with), shap_gradient (SHAP's expected gradients) or shap_kernel (SHAP's "
        "model-agnostic kernel explainer: slowest, about 1,000 model calls per example per "
        "20 background rows for 10 inputs; keep `examples` small).",
    )
    features: list[NonEmptyStr] = Field(
        default_factory=list,
        description="Raw features to report (default: every configured feature).",
    )
    examples: StrictInt = Field(
        default=500, ge=10, le=100_000, description="Evaluation examples attributed."
    )
    steps: StrictInt = Field(
        default=32, ge=4, le=512, description="Integrated gradients: points on the path."
    )
    seed: StrictInt = Field(default=0, ge=0, description="Which examples are sampled.")


def explain_problem(explain: ExplainConfig | None, features: list[str]) -> str | None:
    """Why an explain section cannot run on these features (None when it can)."""
    if explain is None:
        return None
    unknown = sorted(set(explain.features) - set(features))
    if unknown:
        known = sorted(features)
        more = f" and {len(known) - 8} more" if len(known) > 8 else ""
        return (
            f"explain.features: {unknown} are not configured features (features: "
            f"{', '.join(known[:8])}{more})"
        )
    return None
