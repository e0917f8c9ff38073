"""The standard stages with a second evaluator: the push waits for both blessings."""

from tfx import v1 as tfx

from tfxkit import PipelineBuilder


def create_pipeline(config):
    p = PipelineBuilder(config)
    data = p.ingest()
    checked = p.validate(data)
    trained = p.train(p.transform(data, checked), checked)
    evaluated = p.evaluate(data, trained)
    second = p.add(
        tfx.components.Evaluator(examples=data.examples, model=trained.model), "second_evaluator"
    )
    p.push(trained, evaluated, second.outputs["blessing"])
    return p
