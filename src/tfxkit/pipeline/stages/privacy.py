"""Privacy: the gate on a DP-SGD model's epsilon (``training.privacy``), one more push gate."""

from __future__ import annotations

from dataclasses import dataclass

from tfx import v1 as tfx

from tfxkit.components.privacy_gate.component import PrivacyGate
from tfxkit.pipeline.stages._base import StageContext
from tfxkit.pipeline.stages.train import Trained

PRIVACY_GATE = "privacy_gate"  # node id, only with training.privacy


@dataclass(frozen=True)
class Private:
    blessing: tfx.dsl.Channel


def privacy_gate(p: StageContext, trained: Trained) -> Private:
    """The gate's node (once per pipeline: a second push reuses it)."""
    built = {c.id: c for c in getattr(p, "components", [])}
    node = built.get(PRIVACY_GATE)
    if node is None:
        privacy = p.config.training.privacy
        settings = privacy.model_dump(mode="json") if privacy else {}
        node = p.add(PrivacyGate(model_run=trained.model_run, settings=settings), PRIVACY_GATE)
    return Private(blessing=node.outputs["blessing"])
