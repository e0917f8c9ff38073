"""Executors of the optimization components: optimize, measure side by side, gate.

Each executor rebuilds the trained Keras model (``tfxkit.optimization.pipeline_io``), makes
its optimized model, then measures both on the same eval-split rows with the same code
(``measure``): bytes and gzip bytes, parameters and sparsity, CPU latency p50/p95 at batch 1
and 32, accuracy (or MAE). ``gate`` turns the comparison into the blessing; the report is the
gate's verdict (``verdict.OptimizationVerdict``), stored in the blessing for the run summary.
"""

from __future__ import annotations

import os
from typing import Any

from absl import logging
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils
from tfx.utils import path_utils

from tfxkit.components.model_optimizer.verdict import Measured, OptimizationVerdict
from tfxkit.components.verdicts import Artifacts, GateExecutor, load_settings

MODEL_KEY = "model"
TRANSFORM_GRAPH_KEY = "transform_graph"
EXAMPLES_KEY = "examples"
BASELINE_MODEL_KEY = "baseline_model"
OPTIMIZED_MODEL_KEY = "optimized_model"
BLESSING_KEY = "blessing"
SETTINGS_KEY = "settings"
TFLITE_FILE = "model.tflite"
EVAL_ROWS = 2000


class Executor(GateExecutor, base_executor.BaseExecutor):
    """The shared flow (optimize, measure both, gate, report); subclasses only optimize."""

    VERDICT_OUTPUT = BLESSING_KEY
    kind = ""

    def optimize(self, context: dict[str, Any]) -> dict[str, Any]:
        """Build the optimized model under ``context['out_dir']``; return how to measure it."""
        raise NotImplementedError

    def decide(
        self, input_dict: Artifacts, output_dict: Artifacts, properties: dict[str, Any]
    ) -> OptimizationVerdict:
        import tensorflow_transform as tft

        from tfxkit.optimization import gate, measure, pipeline_io

        settings = load_settings(properties, SETTINGS_KEY)
        model_artifact = artifact_utils.get_single_instance(input_dict[MODEL_KEY])
        tft_output = tft.TFTransformOutput(
            artifact_utils.get_single_uri(input_dict[TRANSFORM_GRAPH_KEY])
        )
        examples_uri = artifact_utils.get_single_uri(input_dict[EXAMPLES_KEY])
        original_dir = path_utils.serving_model_path(model_artifact.uri)
        original, cfg = pipeline_io.load_trained(
            original_dir, settings["custom_config"], tft_output
        )
        names = list(original.input.keys())
        eval_inputs, eval_labels = pipeline_io.arrays(
            pipeline_io.dataset(examples_uri, "eval", tft_output, cfg, names, 256, False),
            EVAL_ROWS,
        )
        out = artifact_utils.get_single_instance(output_dict[OPTIMIZED_MODEL_KEY])
        context = {
            "settings": settings,
            "cfg": cfg,
            "original": original,
            "tft_output": tft_output,
            "examples_uri": examples_uri,
            "names": names,
            "out_dir": path_utils.serving_model_path(out.uri),
            "train": lambda batch, repeat=True: pipeline_io.dataset(
                examples_uri, "train", tft_output, cfg, names, batch, repeat
            ),
        }
        built = self.optimize(context)
        baseline, baseline_dir = original, original_dir
        if input_dict.get(BASELINE_MODEL_KEY):
            baseline_artifact = artifact_utils.get_single_instance(input_dict[BASELINE_MODEL_KEY])
            baseline_dir = path_utils.serving_model_path(baseline_artifact.uri)
            baseline, _ = pipeline_io.load_trained(
                baseline_dir, settings["custom_config"], tft_output
            )
        task = pipeline_io.task(cfg)
        b1, b32 = pipeline_io.first_rows(eval_inputs, 1), pipeline_io.first_rows(eval_inputs, 32)
        before = measure.make_report(
            "original",
            predict=measure.keras_predictor(baseline),
            size=measure.saved_model_size(baseline_dir),
            params=measure.parameter_count(baseline),
            eval_inputs=eval_inputs,
            eval_labels=eval_labels,
            task=task,
            inputs_batch1=b1,
            inputs_batch32=b32,
        )
        after = measure.make_report(
            built["name"],
            predict=built["predict"],
            size=built["size"],
            params=built["params"],
            eval_inputs=eval_inputs,
            eval_labels=eval_labels,
            task=task,
            inputs_batch1=b1,
            inputs_batch32=b32,
        )
        comparison = measure.compare(before, after)
        bounds = settings["gate"]
        passed, reasons = gate.gate(
            comparison,
            max_accuracy_drop=bounds["max_accuracy_drop"],
            min_speedup=bounds.get("min_speedup"),
            max_size_ratio=bounds.get("max_size_ratio"),
        )
        tolerance = built.get("max_prediction_diff")
        if tolerance is not None:  # answers row by row, not only the accuracy they add up to
            import numpy as np

            expected = np.asarray(measure.keras_predictor(baseline)(eval_inputs))
            got = np.asarray(built["predict"](eval_inputs)).reshape(expected.shape)
            comparison["max_prediction_diff"] = float(np.abs(got - expected).max())
            if comparison["max_prediction_diff"] > tolerance:
                passed = False
                reasons.append(
                    f"max prediction difference {comparison['max_prediction_diff']:.4g} on the "
                    f"eval rows > allowed {tolerance:g}"
                )
        blessing = artifact_utils.get_single_instance(output_dict[BLESSING_KEY])
        blessing.set_string_custom_property("optimization", self.kind)
        blessing.set_string_custom_property("current_model", out.uri)
        out.set_string_custom_property("optimization", self.kind)
        logging.info("%s: %s", self.kind, "passed the gate" if passed else "; ".join(reasons))
        judged = len(eval_labels) > 0  # no eval rows: quality was compared on nothing
        if not judged:
            reasons.append("the evaluation split has no rows: the models' quality was not compared")
        return OptimizationVerdict(
            passed=passed and judged,
            judged=judged,
            reasons=reasons,
            optimization=self.kind,
            original=Measured(**before.to_dict()),
            optimized=Measured(**after.to_dict()),
            comparison=comparison,
            sparsity=built.get("sparsity"),
            eval_rows=int(len(eval_labels)),
            bounds=bounds,
        )


class QuantizerExecutor(Executor):
    kind = "quantize"

    def optimize(self, context: dict[str, Any]) -> dict[str, Any]:
        import tf_keras as keras

        from tfxkit.optimization import measure, pipeline_io, quantize

        settings = context["settings"]["quantize"]
        mode = settings["mode"]
        model = pipeline_io.tflite_ready(context["original"])
        qat = settings.get("aware_training_steps", 0)
        if qat:  # fine-tune with fake-quant ops first: the model learns the int8 ranges
            model = quantize.quantization_aware(
                model, dense_only=True, custom_objects={"OneHot": pipeline_io.OneHot}
            )
            original = context["original"]
            model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=original.loss)
            batch = context["cfg"].get("training", {}).get("batch_size", 32)
            model.fit(context["train"](batch), epochs=1, steps_per_epoch=qat, verbose=0)
        calibration = None
        if mode == "int8":
            rows, _ = pipeline_io.arrays(
                context["train"](64, repeat=False), settings["representative_examples"]
            )
            calibration = lambda: pipeline_io.representative(  # noqa: E731
                rows, settings["representative_examples"]
            )
        tflite = quantize.to_tflite(model, mode, calibration)
        os.makedirs(context["out_dir"], exist_ok=True)
        with open(os.path.join(context["out_dir"], TFLITE_FILE), "wb") as handle:
            handle.write(tflite)
        predictor = quantize.TFLitePredictor(tflite)
        return {
            "name": f"tflite-{mode}"
            + ("-qat" if qat else "")
            + ("-after-pruning" if settings.get("after_pruning") else ""),
            "predict": predictor,
            "size": measure.tflite_size(tflite),
            "params": measure.parameter_count(context["original"]),
            "max_prediction_diff": settings.get("max_prediction_diff"),
        }


class PrunerExecutor(Executor):
    kind = "prune"

    def optimize(self, context: dict[str, Any]) -> dict[str, Any]:
        from tfxkit.optimization import measure, pipeline_io, prune

        settings = context["settings"]["prune"]
        batch = context["cfg"].get("training", {}).get("batch_size", 32)
        epochs = 2
        pruned = prune.prune(
            context["original"],
            context["train"](batch),
            target_sparsity=settings["sparsity"],
            schedule=settings["schedule"],
            epochs=epochs,
            steps_per_epoch=max(1, settings["steps"] // epochs),
        )
        pipeline_io.export(pruned, context["tft_output"], context["cfg"], context["out_dir"])
        return {
            "name": f"pruned-{settings['sparsity']:g}",
            "predict": measure.keras_predictor(pruned),
            "size": measure.saved_model_size(context["out_dir"]),
            "params": measure.parameter_count(pruned),
            "sparsity": prune.sparsity(pruned),
        }


class DistillerExecutor(Executor):
    kind = "distill"

    def optimize(self, context: dict[str, Any]) -> dict[str, Any]:
        from tfxkit.optimization import distill, measure, pipeline_io

        settings = context["settings"]["distill"]
        cfg = context["cfg"]
        hidden = settings.get("hidden_units") or distill.student_like(
            cfg["model"]["hidden_units"], 0.5
        )
        student = pipeline_io.build_like(cfg, context["tft_output"], hidden)
        batch = cfg.get("training", {}).get("batch_size", 32)
        epochs = 2
        trained = distill.distill(
            context["original"],
            student,
            context["train"](batch),
            temperature=settings["temperature"],
            alpha=settings["alpha"],
            epochs=epochs,
            steps_per_epoch=max(1, settings["steps"] // epochs),
        )
        pipeline_io.export(trained, context["tft_output"], cfg, context["out_dir"])
        return {
            "name": f"student-{'x'.join(map(str, hidden))}",
            "predict": measure.keras_predictor(trained),
            "size": measure.saved_model_size(context["out_dir"]),
            "params": measure.parameter_count(trained),
        }
