"""The penguin pipeline with two steps of your own (``pipelines/penguin_steps``).

ExampleGen -> ... -> CountRows (a container step: rows per split) -> Trainer -> Evaluator ->
SizeGate (a function step used as a gate: model size and training rows) -> Pusher, which
pushes only when the Evaluator, the infra check and SizeGate all blessed the model.

Run it:      run-pipeline pipelines/custom_steps.py --config configs/penguin.yaml
Compile it:  tfxkit compile pipelines/custom_steps.py -c configs/penguin.yaml --format kfp \
                 -p configs/kubeflow.yaml
See docs/your-steps.md.
"""

from penguin_steps.steps import CountRows, SizeGate

from tfxkit import PipelineBuilder, PipelineConfig


def create_pipeline(config: PipelineConfig) -> PipelineBuilder:
    p = PipelineBuilder(config)
    data = p.ingest()
    checked = p.validate(data)
    counted = p.add(CountRows(examples=data.examples), "count_rows")
    trained = p.train(p.transform(data, checked), checked)
    evaluated = p.evaluate(data, trained)
    gate = p.add(
        SizeGate(model=trained.model, counts=counted.outputs["counts"], max_model_mb=20.0),
        "size_gate",
    )
    p.push(trained, evaluated, gate)
    return p
