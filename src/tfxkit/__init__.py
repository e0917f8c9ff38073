"""tfxkit: TFX-native production ML pipelines.

What a pipeline author uses is exported here; every other module is private by convention.
Importing ``tfxkit`` stays light (no TensorFlow): the builder is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfxkit.config.pipeline_config import PipelineConfig, load_config
from tfxkit.errors import (
    ConfigError,
    DataError,
    MetadataStoreError,
    PipelineDefinitionError,
    PipelineRunError,
    RemoteError,
    TfxkitError,
)

__version__ = "0.1.0"

if TYPE_CHECKING:
    from tfxkit.pipeline.dsl import PipelineBuilder, standard_pipeline

_LAZY = {"PipelineBuilder", "standard_pipeline"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from tfxkit.pipeline import dsl

        return getattr(dsl, name)
    raise AttributeError(f"module 'tfxkit' has no attribute {name!r}")


__all__ = [
    "ConfigError",
    "DataError",
    "MetadataStoreError",
    "PipelineBuilder",
    "PipelineConfig",
    "PipelineDefinitionError",
    "PipelineRunError",
    "RemoteError",
    "TfxkitError",
    "load_config",
    "standard_pipeline",
]
