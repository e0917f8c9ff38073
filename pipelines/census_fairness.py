"""The fairness example: census income with a fairness gate before the push.

ExampleGen -> StatisticsGen -> SchemaGen -> ExampleValidator -> AnomalyGate -> Transform ->
Trainer -> Resolver (latest model every gate blessed) -> Evaluator -> FairnessGate ->
ModelPusher (only when the Evaluator AND the fairness gate blessed the model); with an
``explain`` section (the shipped config has one) an Explainer beside them.
The stages are spelled out here to show where the gate sits; ``standard_pipeline`` builds the
same graph whenever the config has a ``fairness`` section.

Run it:  make fairness-demo   (prepares the raw census file, then runs this pipeline)
"""

from tfxkit import PipelineBuilder, PipelineConfig


def create_pipeline(config: PipelineConfig) -> PipelineBuilder:
    p = PipelineBuilder(config)
    data = p.ingest()
    checked = p.validate(data)
    trained = p.train(p.transform(data, checked), checked)
    evaluated = p.evaluate(data, trained)
    judged = p.fairness(trained, evaluated)
    if config.explain:  # attributions per sex and race slice, beside the gate (not a gate)
        p.explain(trained, data)
    p.push(trained, evaluated, judged)
    return p
