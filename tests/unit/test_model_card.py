"""The model card (issue 26): written from a real SQLite ML Metadata store beside the pushed
version; every number on it is read back from the store and found on the card."""

from __future__ import annotations

from pathlib import Path

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tensorflow_metadata.proto.v0 import statistics_pb2

from tfxkit.components.evaluator.verdict import EvaluationVerdict
from tfxkit.components.fairness_gate.verdict import FairnessRow, FairnessVerdict
from tfxkit.components.model_pusher.verdict import PushVerdict
from tfxkit.metadata import run_history
from tfxkit.report import model_card


def _store(tmp_path: Path) -> metadata_store.MetadataStore:
    conn = metadata_store_pb2.ConnectionConfig()
    conn.sqlite.filename_uri = str(tmp_path / "metadata.sqlite")
    conn.sqlite.connection_mode = 3
    return metadata_store.MetadataStore(conn)


def _context(store: metadata_store.MetadataStore, kind: str, name: str) -> int:
    found = store.get_context_by_type_and_name(kind, name)
    if found is not None:
        return found.id
    type_id = store.put_context_type(metadata_store_pb2.ContextType(name=kind))
    [cid] = store.put_contexts([metadata_store_pb2.Context(type_id=type_id, name=name)])
    return cid


def _execution(store, run_id: str, node: str, artifact: tuple[str, str] | None = None) -> int:
    """What TFX records for one node: the execution in its contexts, and one output artifact."""
    contexts = [
        _context(store, kind, name)
        for kind, name in (
            ("pipeline", "census"),
            ("pipeline_run", run_id),
            ("node", f"census.{node}"),
        )
    ]
    type_id = store.put_execution_type(metadata_store_pb2.ExecutionType(name=node))
    state = metadata_store_pb2.Execution.COMPLETE
    [eid] = store.put_executions(
        [metadata_store_pb2.Execution(type_id=type_id, last_known_state=state)]
    )
    store.put_attributions_and_associations(
        [], [metadata_store_pb2.Association(context_id=c, execution_id=eid) for c in contexts]
    )
    if artifact:
        art_type = store.put_artifact_type(metadata_store_pb2.ArtifactType(name=artifact[0]))
        [aid] = store.put_artifacts(
            [metadata_store_pb2.Artifact(type_id=art_type, uri=artifact[1])]
        )
        event = metadata_store_pb2.Event(
            artifact_id=aid, execution_id=eid, type=metadata_store_pb2.Event.OUTPUT
        )
        store.put_events([event])
    return eid


def _statistics(folder: Path, examples: int) -> None:
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    data = stats.datasets.add(num_examples=examples)
    age = data.features.add(type=statistics_pb2.FeatureNameStatistics.FLOAT)
    age.path.step.append("age")
    age.num_stats.common_stats.num_non_missing = examples
    age.num_stats.mean, age.num_stats.std_dev = 38.58, 13.64
    (folder / "Split-train").mkdir(parents=True)
    (folder / "Split-train" / "FeatureStats.pb").write_bytes(stats.SerializeToString())


def _verdicts(destination: str) -> dict[str, dict]:
    evaluation = EvaluationVerdict(passed=True, metrics={"AUC": 0.9012, "BinaryAccuracy": 0.8431})
    fairness = FairnessVerdict(
        passed=True,
        reason="every judged slice within bounds",
        decision_threshold=0.5,
        min_slice_size=30,
        metrics={"false_positive_rate": {"max_difference": 0.1}},
        rows=[
            FairnessRow(
                feature="sex",
                slice="sex=Female",
                examples=512.0,
                rates={"false_positive_rate": 0.0312},
                gaps={"false_positive_rate": {"difference": 0.0457, "ratio": 0.41}},
                status="pass",
                reference="overall",
            )
        ],
    )
    push = PushVerdict(passed=True, destination=destination, version=4, digest="ab" * 32)
    return {
        "evaluator": evaluation.model_dump(mode="json"),
        "fairness_gate": fairness.model_dump(mode="json"),
        "pusher": push.model_dump(mode="json"),
    }


def _blessed_run(tmp_path: Path, store) -> str:
    destination = str(tmp_path / "serving" / "census" / "4")
    stats = tmp_path / "statistics"
    _statistics(stats, 21_000)
    _execution(store, "run-1", "statistics_gen", ("ExampleStatistics", str(stats)))
    _execution(store, "run-1", "trainer")
    config = {
        "data": {"path": "data/census", "format": "csv"},
        "label": {"name": "income", "task": "binary"},
        "features": [{"name": "age"}, {"name": "education"}],
        "model": {"type": "dnn"},
        "model_card": {
            "intended_use": "Research on income prediction; not for credit decisions.",
            "limitations": ["Census data from 1994 only."],
            "owners": ["ml-team@example.org"],
        },
    }
    summary = {"blessed": True, "verdicts": _verdicts(destination)}
    assert run_history.record_run(store, "census", "run-1", config, summary)
    return destination


def test_the_card_lists_the_numbers_ml_metadata_holds_for_its_run(tmp_path: Path) -> None:
    store = _store(tmp_path)
    destination = _blessed_run(tmp_path, store)

    path = model_card.write(store, "census", "latest")

    assert path == str(tmp_path / "serving" / "census" / ".tfxkit-cards" / "4" / "model_card.md")
    assert model_card.recorded_card(store, "run-1") == path  # recorded in ML Metadata
    card = Path(path).read_text()
    record = run_history.load_run(store, "census", "run-1")  # the numbers, read back
    for node, data in record.summary["verdicts"].items():
        for name, value in data.get("metrics", {}).items():
            if node == "evaluator":
                assert f"| {name} | {model_card.num(value)} |" in card
    row = record.summary["verdicts"]["fairness_gate"]["rows"][0]
    rate, gap = row["rates"]["false_positive_rate"], row["gaps"]["false_positive_rate"]
    assert f"{model_card.num(rate)} (diff {model_card.num(gap['difference'])})" in card
    assert f"| {row['slice']} | {model_card.num(row['examples'])} |" in card
    for execution in record.executions:  # lineage ids
        assert f"| {execution.node_id} | {execution.execution_id} | COMPLETE |" in card
    assert record.config["model_card"]["intended_use"] in card
    assert "Census data from 1994 only." in card and "ml-team@example.org" in card
    assert "train: 21000 examples" in card and "| age | FLOAT | 0.0% | 38.58 | 13.64 |" in card
    assert destination in card and "version 4" in card
    assert "Not trained with differential privacy" in card


def test_a_run_that_pushed_nothing_gets_no_card_unless_asked_for(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _execution(store, "run-2", "trainer")
    refused = PushVerdict(passed=False, reasons=["model not blessed: nothing pushed"])
    summary = {"blessed": False, "verdicts": {"pusher": refused.model_dump(mode="json")}}
    run_history.record_run(store, "census", "run-2", {"label": {"name": "income"}}, summary)

    assert model_card.write(store, "census", "run-2") is None
    assert model_card.recorded_card(store, "run-2") is None
    asked = model_card.write(store, "census", "run-2", tmp_path / "card.md")
    card = Path(asked).read_text()
    assert "Not stated (set model_card.intended_use" in card and "No fairness gate" in card
    try:
        model_card.write(store, "census", "no-such-run")
    except LookupError as exc:
        assert "no-such-run" in str(exc)
    else:
        raise AssertionError("an unknown run must raise")


def test_cli_prints_the_card_of_a_run_or_of_the_run_that_pushed_a_version(
    tmp_path: Path, capsys
) -> None:
    from tfxkit.cli import app

    config = tmp_path / "census.yaml"
    config.write_text(
        f"name: census\nworkspace: {tmp_path / 'ws'}\ndata: {{path: {tmp_path}}}\n"
        "features: [{name: age, type: int, transform: zscore}]\n"
        "label: {name: income, type: int, task: binary}\nevaluation: {bless: always}\n"
    )
    (tmp_path / "ws" / "census").mkdir(parents=True)
    _blessed_run(tmp_path, _store(tmp_path / "ws" / "census"))

    assert app.main(["model-card", "4", "-c", str(config)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("# Model card: census version 4") and "| AUC | 0.9012 |" in printed
    target = tmp_path / "out.md"
    assert app.main(["model-card", "run-1", "-c", str(config), "-o", str(target)]) == 0
    assert target.read_text() == printed
    assert app.main(["model-card", "9", "-c", str(config)]) == 2  # no run pushed version 9
    assert "pushed version 9" in capsys.readouterr().err


def test_the_report_section_shows_the_intended_use_escaped_and_where_the_card_is(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    _blessed_run(tmp_path, store)
    path = model_card.write(store, "census", "run-1")
    record = run_history.load_run(store, "census", "run-1")

    html = model_card.html_section(store, record)

    assert html.startswith('<section id="model-card">') and path in html
    assert "Research on income prediction; not for credit decisions." in html
    assert "ml-team@example.org" in html and "not trained with differential privacy" in html


def test_per_slice_metrics_render_one_row_per_slice(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _blessed_run(tmp_path, store)
    values = model_card.facts(store, run_history.load_run(store, "census", "run-1"))
    values["slice_metrics"] = [{"slice": "sex=Male", "metrics": {"auc": 0.91, "recall": 0.5}}]
    values["slice_metric_names"] = ["auc", "recall"]

    card = model_card.render(values)

    assert "| slice | auc | recall |\n|---|---|---|\n| sex=Male | 0.91 | 0.5 |\n" in card


def test_a_failed_explanation_is_a_limitation_on_the_card(tmp_path: Path) -> None:
    from tfxkit.components.explainer.verdict import ExplanationVerdict

    store = _store(tmp_path)
    _execution(store, "run-3", "explainer")
    failed = ExplanationVerdict(
        passed=False,
        judged=False,
        reasons=["could not explain the model: OSError: no model"],
        method="integrated_gradients",
        examples=0,
        importance={},
    )
    summary = {"verdicts": {"explainer": failed.model_dump(mode="json")}}
    run_history.record_run(store, "census", "run-3", {}, summary)

    card = Path(model_card.write(store, "census", "run-3", tmp_path / "c.md")).read_text()

    assert "No explanations in this run" in card
    assert "- could not explain the model: OSError: no model" in card


def test_per_slice_explanations_show_how_many_examples_each_slice_had(tmp_path: Path) -> None:
    from tfxkit.components.explainer.verdict import ExplanationVerdict

    store = _store(tmp_path)
    _execution(store, "run-4", "explainer")
    verdict = ExplanationVerdict(
        passed=True,
        method="integrated_gradients",
        examples=40,
        importance={"age": 0.2, "education": 0.1},
        per_slice={"race=Other": {"age": 0.1, "education": 0.3}, "sex=Male": {"age": 0.4}},
        slice_examples={"race=Other": 3, "sex=Male": 37},
    )
    summary = {"verdicts": {"explainer": verdict.model_dump(mode="json")}}
    run_history.record_run(store, "census", "run-4", {}, summary)

    card = Path(model_card.write(store, "census", "run-4", tmp_path / "c.md")).read_text()

    assert "- slice race=Other (3 examples): education, age\n" in card
    assert "- slice sex=Male (37 examples): age\n" in card
