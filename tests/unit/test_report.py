"""The run report: its SVG helpers, and ``report.write`` on a real SQLite ML Metadata store
with a StatisticsGen output, checked for the run's content, escaping and no external fetches."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tensorflow_metadata.proto.v0 import statistics_pb2

from tfxkit import report
from tfxkit.components.run_report import sections, svg
from tfxkit.metadata import run_history
from tfxkit.report.stats import load_split

EVIL = '<script>alert("x")</script>'


def test_bars_scale_to_the_largest_value_and_escape_labels() -> None:
    chart = svg.bars([1, 4, 2], ["a", "<b>", "c"], width=90, height=41)
    heights = [float(h) for h in re.findall(r'height="([\d.]+)"', chart)[1:]]
    assert heights == [10, 40, 20]
    assert "&lt;b&gt;: 4" in chart and "<b>" not in chart
    assert svg.bars([]) == "" and 'height="0"' in svg.bars([0, 0], width=10, height=10)


def test_histogram_titles_each_bucket_by_its_range() -> None:
    chart = svg.histogram([(0.0, 1.0, 3), (1.0, 2.5, 6)])
    assert chart.count("<rect") == 2 and "1 to 2.5: 6" in chart


def test_timeline_lays_nodes_end_to_end_on_one_scale() -> None:
    bars = svg.timeline([("a", "finished", 1.0), ("b", "cached", 3.0)], width=100)
    assert 'x="0" width="25"' in bars[0] and 'x="25" width="75"' in bars[1]
    assert svg.COLORS["cached"] in bars[1]
    assert "1" in svg.timeline([("z", "skipped", 0.0)])[0]  # a zero-second node still shows


def test_hbar_clamps_its_share() -> None:
    assert 'width="120" height="12" fill="#4c78a8"' in svg.hbar(3, 1)
    assert 'width="0" height' in svg.hbar(-1, 1)


def test_sections_escape_every_string() -> None:
    html = sections.table(("a",), [(EVIL,)]) + sections.anomalies([{"feature": EVIL}])
    assert "<script>" not in html and "&lt;script&gt;" in html


# ------------------------------------------------------------------ a real store


def _store(tmp_path: Path) -> metadata_store.MetadataStore:
    conn = metadata_store_pb2.ConnectionConfig()
    conn.sqlite.filename_uri = str(tmp_path / "metadata.sqlite")
    conn.sqlite.connection_mode = 3
    return metadata_store.MetadataStore(conn)


def _execution(store, pipeline: str, run_id: str, node: str, output_uri: str | None = None):
    """What TFX records for one node: the execution in its contexts, and its output artifact."""
    contexts = []
    for kind, name in (
        ("pipeline", pipeline),
        ("pipeline_run", run_id),
        ("node", f"{pipeline}.{node}"),
    ):
        found = store.get_context_by_type_and_name(kind, name)
        if found is None:
            type_id = store.put_context_type(metadata_store_pb2.ContextType(name=kind))
            [cid] = store.put_contexts([metadata_store_pb2.Context(type_id=type_id, name=name)])
            found = store.get_contexts_by_id([cid])[0]
        contexts.append(found)
    type_id = store.put_execution_type(metadata_store_pb2.ExecutionType(name=node))
    state = metadata_store_pb2.Execution.COMPLETE
    [eid] = store.put_executions(
        [metadata_store_pb2.Execution(type_id=type_id, last_known_state=state)]
    )
    store.put_attributions_and_associations(
        [], [metadata_store_pb2.Association(context_id=c.id, execution_id=eid) for c in contexts]
    )
    if output_uri:
        art_type = store.put_artifact_type(
            metadata_store_pb2.ArtifactType(name="ExampleStatistics")
        )
        [aid] = store.put_artifacts([metadata_store_pb2.Artifact(type_id=art_type, uri=output_uri)])
        event = metadata_store_pb2.Event(
            artifact_id=aid, execution_id=eid, type=metadata_store_pb2.Event.OUTPUT
        )
        store.put_events([event])


def _statistics(folder: Path) -> None:
    """A train split as StatisticsGen writes it: one number with a histogram, one string."""
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    data = stats.datasets.add(num_examples=10)
    number = data.features.add(type=statistics_pb2.FeatureNameStatistics.FLOAT)
    number.path.step.append("bill_length_mm")
    number.num_stats.common_stats.num_non_missing = 8
    number.num_stats.common_stats.num_missing = 2
    number.num_stats.mean, number.num_stats.std_dev = 43.5, 5.25
    number.num_stats.min, number.num_stats.max = 32.1, 59.6
    histogram = number.num_stats.histograms.add(type=statistics_pb2.Histogram.STANDARD)
    histogram.buckets.add(low_value=32.1, high_value=45.0, sample_count=5)
    histogram.buckets.add(low_value=45.0, high_value=59.6, sample_count=3)
    text = data.features.add(type=statistics_pb2.FeatureNameStatistics.STRING)
    text.path.step.append("island")
    text.string_stats.common_stats.num_non_missing = 10
    text.string_stats.unique = 2
    text.string_stats.top_values.add(value=EVIL, frequency=7)
    text.string_stats.top_values.add(value="Dream", frequency=3)
    (folder / "Split-train").mkdir(parents=True)
    (folder / "Split-train" / "FeatureStats.pb").write_bytes(stats.SerializeToString())


def _summary(run_id: str, accuracy: float, pushed: str | None) -> dict:
    return {
        "pipeline_name": "penguin",
        "run_id": run_id,
        "nodes": [
            {"node_id": "statistics_gen", "status": "finished", "seconds": 2.5},
            {"node_id": "trainer", "status": "cached", "seconds": 0.5},
        ],
        "blessed": pushed is not None,
        "pushed_path": pushed,
        "metrics": {"sparse_categorical_accuracy": accuracy, "example_count": 103.0},
        "per_class": {"Adelie": {"examples": 47.0, "precision": 0.97, "recall": 1.0}},
        "anomalies": [{"feature": "sex", "description": EVIL}],
        "verdicts": {
            "evaluator": {
                "kind": "evaluation",
                "passed": pushed is not None,
                "judged": True,
                "reasons": [] if pushed else [f"accuracy {accuracy} < 0.9 {EVIL}"],
            }
        },
    }


def test_write_shows_the_run_its_statistics_gates_and_recent_runs(tmp_path: Path) -> None:
    store = _store(tmp_path)
    stats_uri = tmp_path / "statistics_gen" / "statistics" / "2"
    _statistics(stats_uri)
    for run_id, accuracy, pushed in (("run-1", 0.5, None), ("run-2", 0.98, "/serving/p/7")):
        _execution(store, "penguin", run_id, "statistics_gen", str(stats_uri))
        _execution(store, "penguin", run_id, "trainer")
        config = {"training": {"epochs": 3 if run_id == "run-1" else 5}}
        assert run_history.record_run(
            store, "penguin", run_id, config, _summary(run_id, accuracy, pushed)
        )
    config = SimpleNamespace(name="penguin", run_dir=str(tmp_path / "ws" / "penguin"))

    path = report.write(store, config, "latest")
    assert path == tmp_path / "ws" / "penguin" / "reports" / "run-2.html"
    html = path.read_text()
    for text in ("run-2", "run-1", "blessed", "statistics_gen", "trainer", "cached", "island"):
        assert text in html
    assert "bill_length_mm" in html and "20.0%" in html and "mean 43.5" in html  # 2 of 10 missing
    assert "Dream (3)" in html and "sparse_categorical_accuracy" in html and "0.98" in html
    assert "Adelie" in html and "/serving/p/7" in html and "v7" in html
    assert "ExampleStatistics #" in html and str(stats_uri) in html  # lineage: what it wrote
    assert "<script" not in html and "&lt;script&gt;" in html  # every user string escaped
    assert "http://" not in html and "https://" not in html and "<link" not in html

    older = report.write(store, config, "run-1", tmp_path / "one.html", last=1).read_text()
    assert "accuracy 0.5 &lt; 0.9" in older and "FAILED" in older and "nothing pushed" in older
    assert "run-2" not in older  # the compare table stops at the run itself


def test_write_without_statistics_or_summary_still_writes(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _execution(store, "penguin", "old-run", "trainer")  # recorded before tfxkit kept summaries
    config = SimpleNamespace(name="penguin", run_dir=str(tmp_path))
    html = report.write(store, config, "old-run").read_text()
    assert "no statistics in this run" in html and "trainer" in html
    assert load_split(str(tmp_path / "nowhere")) is None
    try:
        report.write(store, config, "nope")
    except LookupError as exc:
        assert "nope" in str(exc)
    else:
        raise AssertionError("a missing run must raise")


def test_a_run_ends_with_its_report_and_a_broken_one_never_fails_it(
    tmp_path: Path, monkeypatch
) -> None:
    from tfxkit.runners import local
    from tfxkit.runners.report import summary_lines
    from tfxkit.runners.summary import RunSummary

    store = _store(tmp_path)
    _execution(store, "penguin", "run-9", "trainer")
    config = SimpleNamespace(
        name="penguin", run_dir=str(tmp_path / "penguin"), model_dump=lambda mode: {"a": 1}
    )
    summary = RunSummary.from_dict(_summary("run-9", 0.9, "/serving/p/1"))
    local._remember(store, config, summary)
    assert summary.report_path == str(tmp_path / "penguin" / "reports" / "run-9.html")
    assert "0.9" in Path(summary.report_path).read_text()
    assert f"report:    {summary.report_path}" in summary_lines(summary)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(report, "write", broken)
    again = RunSummary.from_dict(_summary("run-9", 0.9, None))
    local._remember(store, config, again)  # logs a warning, raises nothing
    assert again.report_path is None and not any("report:" in x for x in summary_lines(again))


def test_optimized_models_show_their_ratios_and_gate() -> None:
    found = [
        {
            "kind": "quantize",
            "comparison": {"size_ratio": 0.26, "latency_ratio_b1": None, "original": "m"},
            "sparsity": None,
            "gate": {"passed": False, "reasons": ["accuracy drop 0.08 > 0.02"]},
        }
    ]
    html = sections.optimizations(found)
    assert "quantize" in html and "size_ratio 0.26" in html and "accuracy drop 0.08" in html
    assert sections.optimizations([]) == ""


def test_statistics_show_the_eval_split_beside_train(tmp_path: Path) -> None:
    _statistics(tmp_path)
    (tmp_path / "Split-eval").mkdir()
    train = load_split(str(tmp_path))
    data = statistics_pb2.DatasetFeatureStatisticsList()
    data.ParseFromString((tmp_path / "Split-train" / "FeatureStats.pb").read_bytes())
    data.datasets[0].num_examples = 4
    data.datasets[0].features[0].num_stats.mean = 51.25
    (tmp_path / "Split-eval" / "FeatureStats.pb").write_bytes(data.SerializeToString())
    html = sections.statistics([train, load_split(str(tmp_path), "eval")])
    assert "split &#x27;train&#x27;: 10 examples" in html and "&#x27;eval&#x27;: 4 examples" in html
    assert "mean 43.5" in html and "mean 51.25" in html
    assert html.count(">bill_length_mm<") == 1  # named once, its splits in the rows under it


def test_schema_diff_lists_the_changes_or_says_there_are_none() -> None:
    from tfxkit.pipeline.schema_evolution import SchemaChange

    change = SchemaChange("island", "values", f"new categories {EVIL}")
    html = sections.schema_diff([change], "/schemas/7")
    assert "island" in html and "/schemas/7" in html and "&lt;script&gt;" in html
    assert "no change against it" in sections.schema_diff([], "/schemas/7")
    assert "no schema of record" in sections.schema_diff(None)


def test_training_curves_draw_train_and_eval_per_metric() -> None:
    history = {
        "train": [{"step": 10, "loss": 1.2, "accuracy": 0.5}, {"step": 20, "loss": 0.6}],
        "eval": [{"step": 20, "epoch": 1, "loss": 0.7, "accuracy": 0.75}],
    }
    html = sections.curves(history)
    assert html.count("<figure") == 2  # loss and accuracy; step and epoch are axes
    assert "loss (last: train 0.6; eval 0.7)" in html and "<polyline" in html
    assert "eval at step 20: 0.75" in html  # an eval point's hover text
    assert "no training history" in sections.curves(None)
    assert svg.lines({}) == ""


def test_schema_diff_compares_this_runs_schema_with_the_gates_reference(tmp_path: Path) -> None:
    from tensorflow_metadata.proto.v0 import schema_pb2

    from tfxkit.report.write import _schema_diff

    def schema(folder: str, islands: list[str], extra: str | None = None) -> str:
        made = schema_pb2.Schema()
        feature = made.feature.add(name="island", type=schema_pb2.BYTES)
        feature.string_domain.name = "island"
        feature.string_domain.value.extend(islands)
        if extra:
            made.feature.add(name=extra, type=schema_pb2.FLOAT)
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "schema.pbtxt").write_text(str(made))
        return str(tmp_path / folder)

    def step(node: str, inputs: dict | None = None, outputs: dict | None = None):
        def arts(found: dict | None) -> dict:
            return {k: [SimpleNamespace(uri=v)] for k, v in (found or {}).items()}

        return SimpleNamespace(node_id=node, inputs=arts(inputs), outputs=arts(outputs))

    approved = schema("approved", ["Biscoe", "Dream"])
    inferred = schema("inferred", ["Biscoe", "Dream", "Atlantis"], extra="wing_mm")
    steps = [
        step("schema_gen", outputs={"schema": inferred}),
        step("anomaly_gate", inputs={"schema": inferred, "baseline_schema": approved}),
    ]
    changes, reference = _schema_diff(steps)
    assert reference == approved
    assert {(c.feature, c.change) for c in changes} == {("wing_mm", "added"), ("island", "values")}
    assert "Atlantis" in sections.schema_diff(changes, reference)
    first_run = [steps[0], step("anomaly_gate", inputs={"schema": inferred})]
    assert _schema_diff(first_run) == (None, "")  # no schema of record yet
