"""CsvExampleGen component: its spec, and its executor as compiled pipelines reference it."""

from __future__ import annotations

import json
from pathlib import Path

from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.components.example_gen.driver import FileBasedDriver
from tfx.types import standard_artifacts

from tfxkit.components.content_fingerprint import ContentFingerprintDriver
from tfxkit.components.csv_example_gen import component, executor
from tfxkit.config.pipeline_config import CsvDialect
from tfxkit.fingerprint import code_fingerprint

EXECUTOR_PATH = "tfxkit.components.csv_example_gen.executor.Executor"


def test_spec_carries_dialect_and_fingerprint() -> None:
    dialect = CsvDialect(delimiter=";", header=False, column_names=["a", "b"])
    gen = component.CsvExampleGen(input_base="/data/in", dialect=dialect)
    props = gen.exec_properties
    assert props["input_base"] == "/data/in"
    assert executor.dialect_from_json(props["csv_dialect"]) == dialect
    assert props["code_fingerprint"] == code_fingerprint(executor.__name__)
    assert json.loads(props["output_config"])["split_config"]["splits"][0]["name"] == "train"
    assert gen.outputs["examples"].type == standard_artifacts.Examples
    assert not gen.inputs


def test_default_dialect_is_the_config_default() -> None:
    gen = component.CsvExampleGen(input_base="/data/in")
    assert executor.dialect_from_json(gen.exec_properties["csv_dialect"]) == CsvDialect()


def test_it_is_a_file_based_example_gen() -> None:
    """Spans, versions and the Kubeflow V2 driver hook are chosen by this isinstance."""
    gen = component.CsvExampleGen(input_base="/data/in")
    assert isinstance(gen, FileBasedExampleGen)
    # TFX's span/version resolution; the input fingerprinted by content (`touch`: no change)
    assert issubclass(gen.driver_class, FileBasedDriver)
    assert gen.driver_class is ContentFingerprintDriver


def test_executor_is_importable_by_path_from_the_package() -> None:
    spec = component.CsvExampleGen.EXECUTOR_SPEC
    cls = spec.executor_class
    assert f"{cls.__module__}.{cls.__qualname__}" == EXECUTOR_PATH


def test_kubeflow_v2_spec_runs_this_executor_after_the_example_gen_driver(tmp_path: Path) -> None:
    from tfx import v1 as tfx

    gen = component.CsvExampleGen(input_base="/data/in", dialect=CsvDialect(delimiter="\t"))
    pipeline = tfx.dsl.Pipeline(
        pipeline_name="csv-gen", pipeline_root=str(tmp_path / "root"), components=[gen]
    )
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(default_image="img"),
        output_dir=str(tmp_path),
        output_filename="spec.json",
    )
    runner.run(pipeline, write_out=True)
    spec = json.loads((tmp_path / "spec.json").read_text())["pipelineSpec"]
    (container,) = [e["container"] for e in spec["deploymentSpec"]["executors"].values()]
    args = container["args"]
    assert args[args.index("--executor_class_path") + 1] == EXECUTOR_PATH
    driver = container["lifecycle"]["preCacheCheck"]["command"]
    assert driver[-1] == "tfx.orchestration.kubeflow.v2.file_based_example_gen.driver"
    (task,) = spec["root"]["dag"]["tasks"].values()
    parameters = task["inputs"]["parameters"]
    dialect = parameters["csv_dialect"]["runtimeValue"]["constantValue"]["stringValue"]
    assert json.loads(dialect)["delimiter"] == "\t"
    assert "code_fingerprint" in parameters
