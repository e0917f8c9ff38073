"""Node ids of the standard pipeline, defined once.

Why constants: an id is a contract between the pipeline graph, ML Metadata (contexts are named
``<pipeline>.<node id>``), runner profiles (per-component ``resources`` keys), the run summary
and the tests. Renaming one in a single place keeps them all in step.
"""

from __future__ import annotations

EXAMPLE_GEN = "example_gen"
STATISTICS_GEN = "statistics_gen"
SCHEMA_GEN = "schema_gen"
SCHEMA_IMPORTER = "schema_importer"
EXAMPLE_VALIDATOR = "example_validator"
SCHEMA_BASELINE_RESOLVER = "latest_approved_schema_resolver"
ANOMALY_GATE = "anomaly_gate"
LEAKAGE_GATE = "leakage_gate"  # unless validation.leakage is off
TRANSFORM = "transform"
TUNER = "tuner"  # only with a tuning section
TRAINER = "trainer"
WARM_START_RESOLVER = "warm_start_model_resolver"  # only with training.warm_start
BASELINE_RESOLVER = "latest_blessed_model_resolver"
EVALUATOR = "evaluator"
FAIRNESS_GATE = "fairness_gate"  # only with a fairness section
INFRA_CHECK = "infra_check"  # unless push.infra_check is false
PUSHER = "pusher"
RUN_REPORT = "run_report"  # Kubeflow/Vertex only: the report as UI outputs

# Nodes that run an executor in the standard pipeline with an inferred schema (no resolver).
STANDARD_EXECUTOR_NODES = (
    EXAMPLE_GEN,
    STATISTICS_GEN,
    SCHEMA_GEN,
    EXAMPLE_VALIDATOR,
    ANOMALY_GATE,
    LEAKAGE_GATE,
    TRANSFORM,
    TRAINER,
    EVALUATOR,
    INFRA_CHECK,
    PUSHER,
)

# Only with an optimize section: each optimization and the push of its model.
MODEL_QUANTIZER = "model_quantizer"
MODEL_PRUNER = "model_pruner"
DISTILLER = "distiller"
QUANTIZED_PUSHER = "quantized_pusher"
PRUNED_PUSHER = "pruned_pusher"
DISTILLED_PUSHER = "distilled_pusher"
PRUNED_EVALUATOR = "pruned_evaluator"  # TFMA: the pruned SavedModel against the original
DISTILLED_EVALUATOR = "distilled_evaluator"
OPTIMIZATION_EVALUATORS = (PRUNED_EVALUATOR, DISTILLED_EVALUATOR)
# Gates that judge an optimized model, not the trained one: the run's "blessed" ignores them.
OPTIMIZED_MODEL_GATES = (MODEL_QUANTIZER, MODEL_PRUNER, DISTILLER, *OPTIMIZATION_EVALUATORS)
OPTIMIZED_PUSHERS = (QUANTIZED_PUSHER, PRUNED_PUSHER, DISTILLED_PUSHER)
