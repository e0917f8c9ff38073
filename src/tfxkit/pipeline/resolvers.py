"""Baseline resolution for the Evaluator: the latest blessed model that is not the candidate.

Why not TFX's LatestBlessedModelStrategy alone: when nothing changed, the Trainer is cached and
its "new" model is the one blessed last run, so the stock strategy makes the model its own
baseline. The Evaluator then re-executes (its inputs changed) and the Pusher pushes a duplicate
version. Excluding the candidate keeps a no-change re-run fully cached, and a model is never
compared with itself. The resolver takes the Trainer's model as an extra input, which also
orders it after the Trainer.

A person can overrule the choice (``tfxkit baseline pin | reset``, ``pipeline.baseline``): a pin
makes one model the baseline; a reset leaves every model trained before it out, so the next run
has no baseline (as a first run) and later runs compare with models trained since.
"""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.common import resolver
from tfx.types import standard_artifacts

from tfxkit.components.verdicts import gate_passed
from tfxkit.pipeline import baseline

CANDIDATE_KEY = "candidate"
MODEL_KEY = "model"
BLESSING_KEY = "model_blessing"
INFRA_BLESSING_KEY = "infra_blessing"  # the infra check's verdicts (TFX's InfraBlessing)


OPTIMIZATION_PROPERTY = "optimization"


class PreviousBlessedModelStrategy(resolver.ResolverStrategy):
    """Resolve {model, model_blessing} to the newest model other than the candidate that every
    gate blessed."""

    def resolve_artifacts(
        self, store, input_dict: dict[str, list[types.Artifact]]
    ) -> dict[str, list[types.Artifact]] | None:
        pipeline = baseline.pipeline_of(store, input_dict.get(CANDIDATE_KEY, []))
        decision = baseline.in_force(store, pipeline) if pipeline else None
        candidate_ids = {a.id for a in input_dict.get(CANDIDATE_KEY, [])}
        # Every gate writes a ModelBlessing (the Evaluator's, the fairness gate's) or, the infra
        # check, an InfraBlessing: a model is a baseline only if all of them blessed it, i.e.
        # only if it could have been pushed. The blessing returned is always a ModelBlessing.
        verdicts: dict[int, list[types.Artifact]] = {}
        gates = [*input_dict.get(BLESSING_KEY, []), *input_dict.get(INFRA_BLESSING_KEY, [])]
        for blessing in gates:
            verdicts.setdefault(blessing.get_int_custom_property("current_model_id"), []).append(
                blessing
            )
        blessed_by_model = {
            model_id: model_blessings[0]
            for model_id, blessings in verdicts.items()
            if all(gate_passed(b) for b in blessings)
            and (model_blessings := [b for b in blessings if b.type_name == "ModelBlessing"])
        }
        result: dict[str, list[types.Artifact]] = {
            CANDIDATE_KEY: list(input_dict.get(CANDIDATE_KEY, [])),
            MODEL_KEY: [],
            BLESSING_KEY: [],
        }
        if INFRA_BLESSING_KEY in input_dict:  # every input key is an output; nobody reads it
            result[INFRA_BLESSING_KEY] = []
        # Optimized models (quantized, pruned, distilled: tagged "optimization" by their
        # component) are Models with blessings too, but never a baseline or a warm start.
        models = [
            m
            for m in input_dict.get(MODEL_KEY, [])
            if isinstance(m, standard_artifacts.Model)
            and m.id not in candidate_ids
            and not m.has_custom_property(OPTIMIZATION_PROPERTY)
        ]
        if decision is not None and decision.action == "pin":  # that model, blessed or not
            for model in models:
                if model.id == decision.model_id:
                    result[MODEL_KEY] = [model]
                    result[BLESSING_KEY] = [b for b in [blessed_by_model.get(model.id)] if b]
            return result
        if decision is not None and decision.action == "reset":
            models = [m for m in models if m.id > decision.model_id]
        for model in sorted(models, key=lambda a: a.id, reverse=True):
            if model.id in blessed_by_model:
                result[MODEL_KEY] = [model]
                result[BLESSING_KEY] = [blessed_by_model[model.id]]
                break
        return result


STATISTICS_KEY = "statistics"
SCHEMA_KEY = "schema"
# Set by tfxkit's anomaly gate on the schema it passes on: the statistics it approved.
APPROVED_STATISTICS_PROPERTY = "approved_statistics_uri"


class PreviousApprovedSchemaStrategy(resolver.ResolverStrategy):
    """Resolve {schema} to the newest schema the anomaly gate approved for *other* statistics.

    Why "other": an unchanged re-run reuses the cached statistics; excluding the schema that
    approved them leaves the gate's inputs as they were, so the re-run stays fully cached,
    while new data (new statistics) is validated against the schema of the last good run.
    """

    def resolve_artifacts(
        self, store, input_dict: dict[str, list[types.Artifact]]
    ) -> dict[str, list[types.Artifact]] | None:
        del store
        current = {a.uri for a in input_dict.get(STATISTICS_KEY, [])}
        approved = [
            s
            for s in input_dict.get(SCHEMA_KEY, [])
            if s.has_custom_property(APPROVED_STATISTICS_PROPERTY)
            and s.get_string_custom_property(APPROVED_STATISTICS_PROPERTY) not in current
        ]
        newest = max(approved, key=lambda a: a.id, default=None)
        return {
            STATISTICS_KEY: list(input_dict.get(STATISTICS_KEY, [])),
            SCHEMA_KEY: [newest] if newest else [],
        }
