"""The standard tfxkit pipeline on the Palmer penguins data (species from body measurements).

ExampleGen -> StatisticsGen -> SchemaGen -> ExampleValidator -> Transform -> Trainer ->
Resolver (latest blessed model) -> Evaluator -> ModelPusher (only when blessed).
The stages are spelled out in ``tfxkit.pipeline.dsl.standard_pipeline``; a custom pipeline calls the
same ``PipelineBuilder`` stage methods (see README).

Run it:  run-pipeline pipelines/penguin.py --config configs/penguin.yaml --runner beam
"""

from tfxkit import PipelineBuilder, PipelineConfig, standard_pipeline


def create_pipeline(config: PipelineConfig) -> PipelineBuilder:
    return standard_pipeline(config)
