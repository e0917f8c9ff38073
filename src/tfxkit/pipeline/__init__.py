"""Describing a pipeline: the DSL (``dsl``), the stages that add components (``stages``), the
evaluation config, the resolver strategies, and the compilers (TFX IR, KFP PipelineSpec).

Nothing here runs a pipeline; ``tfxkit.runners`` does.
"""
