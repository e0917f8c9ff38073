"""What a stage needs from the builder: somewhere to add nodes, the config and the target.

A Protocol rather than the builder class so stage modules never import ``tfxkit.dsl`` (the
builder imports the stages, not the other way round).
"""

from __future__ import annotations

from typing import Any, Protocol

from tfxkit.config import PipelineConfig
from tfxkit.stages.targets import Target


class StageContext(Protocol):
    config: PipelineConfig
    target: Target

    def add(self, node: Any, node_id: str) -> Any: ...
