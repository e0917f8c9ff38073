"""The batch scoring pipeline (``pipelines/batch_scoring.py``): the frozen schema of record and
the scorer with a served version (``batch.version``), named ``<name>-scoring``."""

from tfxkit import PipelineBuilder
from tfxkit.pipeline.stages.score import score_version, scoring_config


def create_pipeline(config):
    p = PipelineBuilder(scoring_config(config))
    score_version(p)
    return p
