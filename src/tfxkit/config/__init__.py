"""Configuration: the typed YAML a user writes, validated before anything heavy loads.

``pipeline_config`` holds the top-level ``PipelineConfig`` and loading (files, ``--set``
overrides); each domain has its own module (``sections``: data, features, schema, fairness;
``training``; ``serving``; ``profiles``: runner profiles for Kubeflow/Vertex). ``features`` and
``label_expr`` are the naming and label rules the later layers share. Nothing here imports TFX,
TensorFlow or Beam (an import contract keeps it so), so config errors come first and fast.
"""

from tfxkit.config.pipeline_config import (
    PipelineConfig,
    Threshold,
    config_as_dict,
    load_config,
    validate_config,
)

__all__ = ["PipelineConfig", "Threshold", "config_as_dict", "load_config", "validate_config"]
