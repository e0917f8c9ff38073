"""The portable rehearsal (runner.beam.mode portable) on the standard and census pipelines.

One portable run of the penguin pipeline per session, compared with the session's in-process
cold run (``penguin_cold_run``): same schema, the same transformed examples (floats within
1e-5), metrics within a stated tolerance. One portable run of the census fairness example on
1,500 raw rows: its vocabularies, sliced evaluation and fairness verdict come out of the
rehearsal's workers. Then a Beam job whose function lives in a module that is not staged fails
on the rehearsal's workers, and the message names the module.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.paths import PENGUIN_CONFIG, REPO
from tests.pipeline_runs import run_pipeline

pytestmark = pytest.mark.slow

# Training and evaluation run in-process in both modes; only the Beam components moved. The
# examples reach the trainer in the same order here, so the metrics agree to float noise; the
# tolerance allows for a different file order, which would change the shuffle.
METRIC_TOLERANCE = 0.02


@pytest.fixture(scope="session")
def portable_run(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("portable")
    summary = root / "summary.json"
    result = run_pipeline(root / "ws", "--beam-mode", "portable", summary=summary)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"ws": root / "ws", "stdout": result.stdout, "summary": json.loads(summary.read_text())}


def _first_output(
    workspace: Path, component: str, artifact: str, pipeline: str = "penguin"
) -> Path:
    """The output folder of the workspace's first execution of ``component`` (its cold run)."""
    root = workspace / pipeline / "pipeline_root" / component / artifact
    runs = sorted((p for p in root.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
    return runs[0]


def _examples(folder: Path) -> list[tuple]:
    import tensorflow as tf

    rows = []
    for path in sorted(folder.glob("Split-*/*")):
        for record in tf.data.TFRecordDataset(str(path), compression_type="GZIP"):
            example = tf.train.Example.FromString(record.numpy())
            row = []
            for name, feature in sorted(example.features.feature.items()):
                kind = feature.WhichOneof("kind")
                row.append((path.parent.name, name, tuple(getattr(feature, kind).value)))
            rows.append(tuple(row))
    return sorted(rows)


def test_portable_run_used_the_rehearsal(portable_run: dict) -> None:
    out = portable_run["stdout"]
    assert "[tfxkit] beam: portable, PortableRunner" in out
    assert "[tfxkit] portable rehearsal: job service localhost:" in out
    assert "portable-workers" in out  # the workers' own interpreter, not this one
    assert portable_run["summary"]["blessed"] is True


def test_same_schema(portable_run: dict, penguin_cold_run: dict, penguin_workspace: Path) -> None:
    here = _first_output(penguin_workspace, "schema_gen", "schema") / "schema.pbtxt"
    there = _first_output(portable_run["ws"], "schema_gen", "schema") / "schema.pbtxt"
    assert there.read_text() == here.read_text()


def test_same_transformed_examples(
    portable_run: dict, penguin_cold_run: dict, penguin_workspace: Path
) -> None:
    here = _examples(_first_output(penguin_workspace, "transform", "transformed_examples"))
    there = _examples(_first_output(portable_run["ws"], "transform", "transformed_examples"))
    assert len(there) == len(here) > 300
    for a, b in zip(here, there, strict=True):
        assert [(s, n) for s, n, _ in a] == [(s, n) for s, n, _ in b]
        for (_, _, x), (_, _, y) in zip(a, b, strict=True):
            assert x == pytest.approx(y, abs=1e-5) if x and isinstance(x[0], float) else x == y


def test_same_metrics(portable_run: dict, penguin_cold_run: dict) -> None:
    here = penguin_cold_run["summary"]["metrics"]
    there = portable_run["summary"]["metrics"]
    assert set(there) == set(here) and here
    for name, value in here.items():
        assert there[name] == pytest.approx(value, abs=METRIC_TOLERANCE), name


# The census vocabulary features (configs/census_fairness.yaml): Transform's analyzers for
# them run as Beam jobs, so on the rehearsal's workers.
CENSUS_VOCABULARIES = ("education", "class_of_worker", "marital_stat", "tax_filer_stat")


def test_census_pipeline_runs_in_portable_mode(tmp_path: Path) -> None:
    """The census fairness example (raw CSV read through data.csv, string vocabularies, a
    derived label, TFMA slices on sex and race, the fairness gate) with every Beam job on the
    rehearsal's workers. Small: 1,500 rows, 100 training steps, no explainer or infra check (CI
    time); the worker venv built for the penguin run is reused (same wheel, same cache key)."""
    from tfxkit.datasets import census

    data = tmp_path / "census"
    census.prepare(data, rows=1500)
    summary_path = tmp_path / "summary.json"
    result = run_pipeline(
        tmp_path / "ws",
        "--beam-mode",
        "portable",
        "--set",
        "training.train_steps=100",
        "--set",  # in-process steps, not Beam (nothing to rehearse there): CI time
        "explain=null",
        "--set",
        "push.infra_check=false",
        pipeline=REPO / "pipelines" / "census_fairness.py",
        config=REPO / "configs" / "census_fairness.yaml",
        data=data,
        summary=summary_path,
    )
    out = result.stdout + result.stderr
    (tmp_path / "stdout.txt").write_text(result.stdout)  # kept with the test's folder
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "[tfxkit] beam: portable, PortableRunner" in result.stdout
    assert "[tfxkit] portable rehearsal: job service localhost:" in result.stdout
    assert "Traceback" not in out
    run_dir = tmp_path / "ws" / "census-fairness"
    # ExampleGen, StatisticsGen, Transform and the Evaluator each ran one job through the job
    # service, and the pool started an SDK worker (the worker venv's python) for each.
    logs = run_dir / "portable-logs"
    jobs = (logs / "job_service.log").read_text(errors="replace")
    assert jobs.count("with state DONE") >= 4, jobs[-2000:]
    pool = (logs / "worker_pool.log").read_text(errors="replace")
    assert pool.count("Starting worker with command ['python'") >= 4, pool[-2000:]
    schema = _first_output(tmp_path / "ws", "schema_gen", "schema", "census-fairness")
    assert 'name: "education"' in (schema / "schema.pbtxt").read_text()
    graph = _first_output(tmp_path / "ws", "transform", "transform_graph", "census-fairness")
    assets = {p.name for p in (graph / "transform_fn" / "assets").iterdir()}
    for feature in CENSUS_VOCABULARIES:
        assert any(feature in name for name in assets), (feature, assets)
    summary = json.loads(summary_path.read_text())
    verdict = summary["fairness"]
    slices = {row["slice"] for row in verdict["rows"]}
    assert {"overall", "sex=Female", "sex=Male"} <= slices, slices
    decision = "passed" if verdict["blessed"] else "FAILED"
    assert f"fairness:  {decision}: {verdict['reason']}" in result.stdout
    assert (summary["pushed_path"] is not None) == (summary["blessed"] is True)


def test_unstaged_module_fails_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A function from a module next to the pipeline (importable here, not staged): the
    rehearsal's workers cannot unpickle it, and tfxkit's message names the module."""
    import apache_beam as beam

    from tfxkit.config.pipeline_config import BeamMode
    from tfxkit.runners import portable
    from tfxkit.runners.beam_settings import BeamChoice

    (tmp_path / "planted_helper.py").write_text("def double(x):\n    return 2 * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import planted_helper

    choice = BeamChoice(BeamMode.PORTABLE, 1, "test")
    with portable.rehearsal(log_dir=tmp_path / "logs") as running:
        with pytest.raises(Exception) as failed:  # noqa: PT011 - whatever Beam raises
            with beam.Pipeline(argv=running.args()) as pipeline:
                _ = pipeline | beam.Create([1, 2]) | beam.Map(planted_helper.double)
    error = portable.explain("planted_step", failed.value, choice)
    assert error is not None, str(failed.value)[-2000:]
    assert "module 'planted_helper'" in str(error) and "'planted_step'" in str(error)
    sys.modules.pop("planted_helper", None)


PLANTED_PIPELINE = """
import apache_beam as beam
from tfx import v1 as tfx

import planted_rows
from tfxkit.pipeline.dsl import PipelineBuilder


@tfx.dsl.components.component(use_beam=True)
def PlantedStep(
    examples: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.Examples],
    beam_pipeline: tfx.dsl.components.BeamComponentParameter[beam.Pipeline] = None,
) -> None:
    with beam_pipeline as pipeline:
        _ = pipeline | beam.Create([1, 2]) | beam.Map(planted_rows.double)


def create_pipeline(config):
    p = PipelineBuilder(config)
    p.add(PlantedStep(examples=p.ingest().examples), "planted_step")
    return p
"""


def test_unstaged_module_fails_the_run_naming_it(tmp_path: Path) -> None:
    """Through run-pipeline: a step's Beam code uses a module next to the pipeline file
    (importable where the pipeline is built, not staged); the run stops at that step with one
    paragraph naming the module, exit 2, no traceback."""
    folder = tmp_path / "pipe"
    folder.mkdir()
    (folder / "planted_rows.py").write_text("def double(x):\n    return 2 * x\n")
    (folder / "pipeline.py").write_text(PLANTED_PIPELINE)
    result = run_pipeline(
        tmp_path / "ws",
        "--beam-mode",
        "portable",
        pipeline=folder / "pipeline.py",
        config=PENGUIN_CONFIG,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 2, out[-3000:]
    assert "example_gen: finished" in result.stdout  # tfxkit's own Beam code ran on the workers
    assert "component 'planted_step'" in out and "module 'planted_rows'" in out, out[-3000:]
    assert "Traceback" not in out
