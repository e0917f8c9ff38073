"""Attribution drift (issue 26): this run's importance against the explanation recorded for the
previous blessed model: found by the model's URI among the Explainer's earlier outputs, compared
by rank correlation and share changes, printed in the run summary and on the model card."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfxkit.components.explainer import attributions as A
from tfxkit.components.explainer.executor import baseline_explanation, drift
from tfxkit.components.explainer.verdict import ExplanationVerdict


def _verdict(importance: dict[str, float], model_uri: str = "", **kw) -> ExplanationVerdict:
    return ExplanationVerdict(
        passed=True, method="integrated_gradients", examples=100, importance=importance,
        model_uri=model_uri, **kw,
    )  # fmt: skip


def _record(parent: Path, execution: str, verdict: ExplanationVerdict) -> str:
    folder = parent / execution
    folder.mkdir(parents=True)
    (folder / "verdict.json").write_text(verdict.model_dump_json())
    return str(folder)


def test_largest_changes_are_in_share_of_the_total_over_common_columns() -> None:
    before = {"a": 6.0, "b": 3.0, "c": 1.0, "gone": 5.0}
    after = {"a": 0.2, "b": 0.6, "c": 0.2, "new": 1.0}  # another output scale

    rows = A.largest_changes(before, after)

    # shares over {a, b, c}: before .6/.3/.1, after .2/.6/.2
    assert [r[0] for r in rows] == ["a", "b", "c"]
    assert rows[0][3] == pytest.approx(-0.4) and rows[1][3] == pytest.approx(0.3)
    assert rows[2][1:] == (1.0, 0.2, pytest.approx(0.1))


def test_drift_against_a_recorded_baseline_and_without_one() -> None:
    now = _verdict({"a": 3.0, "b": 2.0, "c": 1.0, "d": 0.5})
    same_order = _verdict({"a": 30.0, "b": 20.0, "c": 10.0, "d": 1.0})
    reversed_order = _verdict({"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0})

    assert drift(now, same_order, "/m/1").rank_correlation == pytest.approx(1.0)
    measured = drift(now, reversed_order, "/m/1")
    assert measured.rank_correlation == pytest.approx(-1.0) and measured.common == 4
    before, after = A.shares(reversed_order.importance), A.shares(now.importance)
    moved = sorted(after, key=lambda n: -abs(after[n] - before[n]))
    assert [c.feature for c in measured.changes] == moved  # a: 0.1 of the total before, 0.46 now
    missing = drift(now, None, "/m/1")
    assert missing.rank_correlation is None and "no explanation" in missing.line()


def test_the_baseline_explanation_is_the_newest_one_of_that_model(tmp_path: Path) -> None:
    parent = tmp_path / "explainer" / "explanation"
    _record(parent, "7", _verdict({"a": 1.0}, "/root/trainer/model/5"))
    _record(parent, "12", _verdict({"a": 2.0}, "/root/trainer/model/5/"))
    _record(parent, "9", _verdict({"a": 3.0}, "/root/trainer/model/8"))
    failed = _verdict({}, "/root/trainer/model/5").model_copy(update={"passed": False})
    _record(parent, "13", failed)
    own = _record(parent, "14", _verdict({"a": 4.0}, "/root/trainer/model/5"))
    (parent / "15").mkdir()  # an execution that wrote nothing

    found = baseline_explanation(own, "/root/trainer/model/5")

    assert found is not None and found.importance == {"a": 2.0}  # 12: newest, passed, not own
    assert baseline_explanation(own, "/root/trainer/model/99") is None
    assert baseline_explanation(str(tmp_path / "nowhere" / "1"), "/root/trainer/model/5") is None


def test_the_summary_line_and_the_model_card_show_the_drift(tmp_path: Path) -> None:
    from tests.unit.test_model_card import _execution, _store
    from tfxkit.metadata import run_history
    from tfxkit.report import model_card

    before = _verdict({"planted": 0.30, "medium": 0.10, "noise": 0.02})
    now = _verdict({"planted": 0.20, "medium": 0.15, "noise": 0.01}, "/root/model/9")
    now.drift = drift(now, before, "/root/model/5")
    store = _store(tmp_path)
    _execution(store, "run-2", "explainer")
    summary = {"verdicts": {"explainer": now.model_dump(mode="json")}}
    run_history.record_run(store, "census", "run-2", {}, summary)

    line = now.lines()[-1]
    card = Path(model_card.write(store, "census", "run-2", tmp_path / "c.md")).read_text()

    assert line.startswith("attribution drift vs the previous blessed model: rank correlation 1.00")
    share_before, share_after = A.shares(before.importance), A.shares(now.importance)
    assert f"planted {share_after['planted'] - share_before['planted']:+.0%}" in line
    assert "Attribution drift against the previous blessed model (`/root/model/5`)" in card
    assert "rank correlation 1 over 3 features." in card
    changes = {c.feature: c for c in now.drift.changes}
    row = changes["planted"]
    expected = f"| planted | {model_card.num(row.before)} | {model_card.num(row.after)} | "
    assert expected + f"{100 * row.share_change:+.1f}% |" in card


def test_the_standard_pipeline_explains_against_evaluate_s_baseline() -> None:
    from tests.paths import CONFIGS
    from tfxkit.config.loading import load_yaml
    from tfxkit.config.pipeline_config import validate_config
    from tfxkit.pipeline.dsl import standard_pipeline
    from tfxkit.pipeline.stages import node_ids
    from tfxkit.pipeline.stages.explain import EXPLAINER

    data = load_yaml((CONFIGS / "census_fairness.yaml").read_text())
    builder = standard_pipeline(validate_config({**data, "explain": {}}))
    [node] = [c for c in builder.components if c.id == EXPLAINER]

    assert node.inputs["baseline_model"].producer_component_id == node_ids.BASELINE_RESOLVER
