"""The standard pipeline with a curated schema (schema as code: ImportSchemaGen)."""

from tfxkit import standard_pipeline


def create_pipeline(config):
    return standard_pipeline(config)
