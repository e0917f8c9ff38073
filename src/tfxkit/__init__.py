"""tfxkit: TFX-native production ML pipelines.

What a pipeline author uses is exported here; every other module is private by convention.
Importing ``tfxkit`` stays light (no TensorFlow): the builder is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfxkit import startup
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

startup.cache_distribution_scan()  # before anything imports Beam (see tfxkit.startup)

if TYPE_CHECKING:
    from tfxkit.pipeline.dsl import PipelineBuilder, standard_pipeline
    from tfxkit.pipeline.steps import PIPELINE_IMAGE, bless
    from tfxkit.runners.session import run

_LAZY = {
    "PIPELINE_IMAGE": "tfxkit.pipeline.steps",
    "bless": "tfxkit.pipeline.steps",
    "PipelineBuilder": "tfxkit.pipeline.dsl",
    "standard_pipeline": "tfxkit.pipeline.dsl",
    "run": "tfxkit.runners.session",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tfxkit' has no attribute {name!r}")


__all__ = [
    "PIPELINE_IMAGE",
    "ConfigError",
    "DataError",
    "MetadataStoreError",
    "PipelineBuilder",
    "PipelineConfig",
    "PipelineDefinitionError",
    "PipelineRunError",
    "RemoteError",
    "TfxkitError",
    "bless",
    "load_config",
    "run",
    "standard_pipeline",
]
