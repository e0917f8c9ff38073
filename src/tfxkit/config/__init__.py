"""Configuration: the typed YAML a user writes, validated before anything heavy loads.

``pipeline_config`` holds the top-level ``PipelineConfig`` and re-exports every section;
each domain has its own module (``sections``: data, features, label; ``fairness``;
``evaluation``; ``training``; ``serving``; ``runtime``: local Beam and metadata; ``profiles``
with ``vertex_profile`` and ``beam_profile``: runner profiles for Kubeflow/Vertex/Dataflow).
``types`` holds every single-value rule once (strict numbers, ranges, patterns), ``base`` the
``Strict`` base and the cross-field helpers, ``loading`` YAML, ``--set`` overrides and error
messages, ``reference`` the JSON Schemas and the Markdown reference generated from the models.
``features`` and ``label_expr`` are the naming and label rules the later layers share. Nothing
here imports TFX, TensorFlow or Beam (an import contract keeps it so), so config errors come
first and fast.
"""

from tfxkit.config.pipeline_config import (
    PipelineConfig,
    Threshold,
    config_as_dict,
    load_config,
    validate_config,
)

__all__ = ["PipelineConfig", "Threshold", "config_as_dict", "load_config", "validate_config"]
