"""The standard pipeline with an optimize section: quantizer, pruner and distiller run as
independent nodes after the Trainer; each optimized model has its own pusher, waiting for the
Evaluator's blessing and its own gate's."""

from tfxkit import PipelineBuilder, PipelineConfig, standard_pipeline


def create_pipeline(config: PipelineConfig) -> PipelineBuilder:
    return standard_pipeline(config)
