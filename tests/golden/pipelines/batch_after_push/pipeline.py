"""The standard pipeline with a ``batch`` section: the scorer after the pusher, under the same
conditions (the Evaluator's blessing and the infra check), on the model just pushed."""

from tfxkit import standard_pipeline


def create_pipeline(config):
    return standard_pipeline(config)
