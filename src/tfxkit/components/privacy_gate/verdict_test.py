"""The privacy gate's decision and what the summary and model card read (issue 26 #2)."""

from __future__ import annotations

from tfxkit.components import verdicts
from tfxkit.components.privacy_gate.verdict import PrivacyVerdict, judge

FACTS = {
    "epsilon": 2.5,
    "delta": 1e-5,
    "noise_multiplier": 1.1,
    "l2_norm_clip": 1.0,
    "steps": 100,
    "sampling_probability": 0.1,
    "membership_advantage": 0.04,
    "train_rows": 320,  # not a verdict field: left out
}


def test_under_the_bound_passes() -> None:
    verdict = judge(FACTS, target_epsilon=3.0)
    assert verdict.passed and verdict.judged and not verdict.reasons
    assert verdict.lines() == [
        "privacy: passed: epsilon 2.5 at delta 1e-05 (bound 3); membership attack advantage 0.040"
    ]


def test_over_the_bound_or_infinite_is_refused_with_the_reason() -> None:
    over = judge({**FACTS, "epsilon": 4.25}, target_epsilon=3.0)
    assert not over.passed
    assert over.reasons == ["epsilon 4.25 exceeds training.privacy.target_epsilon 3"]
    infinite = judge({**FACTS, "epsilon": None}, target_epsilon=3.0)
    assert not infinite.passed and "epsilon infinite exceeds" in infinite.reasons[0]


def test_no_bound_passes_and_no_record_is_not_judged_so_not_blessed() -> None:
    assert judge(FACTS).passed
    missing = verdicts.nothing_judged_never_blesses(judge(None))
    assert not missing.passed and not missing.judged


def test_the_gate_is_registered_as_a_blessing_on_the_passed_property() -> None:
    cls = verdicts.registered()["privacy"]
    assert cls is PrivacyVerdict and cls.BLESSING
    assert cls.BLESSED_PROPERTY == verdicts.PASSED_PROPERTY


def test_the_bound_is_the_gate_s_own_not_one_the_trainer_recorded() -> None:
    """A model trained under one bound is judged by the bound the gate is given now (no
    retraining when the bound changes): an older privacy.json's bound does not count."""
    recorded = {**FACTS, "target_epsilon": 100.0}
    refused = judge(recorded, target_epsilon=2.0)
    assert not refused.passed and refused.target_epsilon == 2.0
    assert refused.reasons == ["epsilon 2.5 exceeds training.privacy.target_epsilon 2"]
    assert judge({**FACTS, "target_epsilon": 1.0}).passed  # no bound given: none applies
