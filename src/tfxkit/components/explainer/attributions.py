"""Integrated gradients and importance per raw column: the code is ``tfxkit.serving.attributions``
(shared with ``tfxkit serve``'s explanations, and serving sits below components in the import
layers); re-exported here, where the Explainer and its tests use it."""

from tfxkit.serving.attributions import (
    importance,
    integrated_gradients,
    largest_changes,
    model_target,
    rank_correlation,
    ranks,
    raw_attributions,
    shares,
)

__all__ = [
    "importance",
    "integrated_gradients",
    "largest_changes",
    "model_target",
    "rank_correlation",
    "ranks",
    "raw_attributions",
    "shares",
]
