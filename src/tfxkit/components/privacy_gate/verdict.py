"""The PrivacyGate's verdict: epsilon at delta of a DP-SGD model, its bound, and the
membership attack's advantage; read by the run summary and the model card (``_privacy``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from tfxkit.components.verdicts import PASSED_PROPERTY, Verdict, register


@register
class PrivacyVerdict(Verdict):
    BLESSING: ClassVar[bool] = True
    BLESSED_PROPERTY: ClassVar[str] = PASSED_PROPERTY  # not TFX's: see verdicts.PASSED_PROPERTY

    kind: Literal["privacy"] = "privacy"
    epsilon: float | None = None  # None: infinite (no noise) or not recorded
    delta: float | None = None
    target_epsilon: float | None = None
    noise_multiplier: float | None = None
    l2_norm_clip: float | None = None
    steps: int | None = None
    sampling_probability: float | None = None
    membership_advantage: float | None = None  # loss-threshold attack: max TPR - FPR

    def lines(self) -> list[str]:
        state = "passed" if self.passed else "FAILED"
        eps = "infinite" if self.epsilon is None else f"{self.epsilon:.3g}"
        bound = f" (bound {self.target_epsilon:g})" if self.target_epsilon is not None else ""
        attack = (
            f"; membership attack advantage {self.membership_advantage:.3f}"
            if self.membership_advantage is not None
            else ""
        )
        reason = f": {'; '.join(self.reasons)}" if self.reasons else ""
        return [f"privacy: {state}: epsilon {eps} at delta {self.delta:g}{bound}{attack}{reason}"]


def judge(facts: dict | None, target_epsilon: float | None = None) -> PrivacyVerdict:
    """The decision from ``ModelRun/privacy.json`` (None: the trainer recorded nothing) and the
    gate's own bound, ``target_epsilon`` (its settings: the Trainer never sees the bound, so a
    new bound re-judges the trained model without retraining it)."""
    if facts is None:
        return PrivacyVerdict(
            passed=False,
            judged=False,
            target_epsilon=target_epsilon,
            reasons=["the trainer recorded no privacy.json: was training.privacy set?"],
        )
    known = {k: facts.get(k) for k in PrivacyVerdict.model_fields if k in facts}
    known["target_epsilon"] = target_epsilon
    eps = facts.get("epsilon")
    reasons = []
    if target_epsilon is not None and (eps is None or eps > target_epsilon):
        shown = "infinite" if eps is None else f"{eps:.4g}"
        reasons.append(
            f"epsilon {shown} exceeds training.privacy.target_epsilon {target_epsilon:g}"
        )
    return PrivacyVerdict(passed=not reasons, reasons=reasons, **known)
