"""The standard tfxkit pipeline on the Palmer penguins data (species from body measurements).

ExampleGen -> StatisticsGen -> SchemaGen -> ExampleValidator -> Transform -> Trainer ->
Resolver (latest blessed model) -> Evaluator -> Pusher (only when blessed).

Run it:  run-pipeline pipelines/penguin.py --config configs/penguin.yaml --runner beam
"""

from tfxkit.config import PipelineConfig
from tfxkit.dsl import PipelineBuilder


def create_pipeline(config: PipelineConfig) -> PipelineBuilder:
    p = PipelineBuilder(config)
    examples = p.ingest()
    checked = p.validate(examples)
    transform = p.transform(examples, checked.schema)
    trainer = p.train(transform, checked.schema)
    blessing = p.evaluate(examples, trainer)
    p.push(trainer, blessing)
    return p
