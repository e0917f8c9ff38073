"""What a stage needs from the builder: somewhere to add nodes, the config and the target.

A Protocol rather than the builder class so stage modules never import ``tfxkit.pipeline.dsl`` (the
builder imports the stages, not the other way round).
"""

from __future__ import annotations

from typing import Any, Protocol

from tfx import v1 as tfx

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.pipeline.stages.targets import Target


class StageContext(Protocol):
    config: PipelineConfig
    target: Target

    def add(self, node: Any, node_id: str) -> Any: ...


def code_custom_config(config: PipelineConfig, code_reference: str) -> dict[str, Any]:
    """The custom_config of a node that runs tfxkit code by module path: the features it needs
    and the code's fingerprint (so TFX's cache key changes when that code does)."""
    from tfxkit.config import features
    from tfxkit.fingerprint import code_fingerprint

    return {
        **features.feature_spec_config(config),
        "code_fingerprint": code_fingerprint(code_reference),
    }


def gate_passed_condition(blessing: Any) -> Any:
    """``Cond(<gate's property> == 1)`` on a gate's blessing channel: what a push (or scoring
    after it) waits on; the property is the gate's own (``verdicts.passed_property``)."""
    from tfxkit.components.verdicts import passed_property

    return tfx.dsl.Cond(blessing.future()[0].custom_property(passed_property(blessing)) == 1)
