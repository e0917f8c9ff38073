"""Ingest and validate only: a data-quality pipeline with no model."""

from tfxkit import PipelineBuilder


def create_pipeline(config):
    p = PipelineBuilder(config)
    p.validate(p.ingest())
    return p
