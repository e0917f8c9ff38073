"""The infra check's verdict: did the model load in a fresh process and answer every request as
the Evaluator's model does, and if not, which signature and which example said otherwise."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from tfxkit.components.verdicts import Verdict, register


class SignatureCheck(BaseModel):
    """One request: a signature, the API that called it, and what its answer showed."""

    model_config = ConfigDict(extra="forbid")

    signature: str
    method: str  # predict, classify, regress
    status: str  # matches | answered (nothing to compare) | mismatch | error
    compared: str | None = None  # the output compared with the Evaluator's predictions
    max_difference: float | None = None
    seconds: float | None = None
    detail: str = ""


@register
class InfraCheckVerdict(Verdict):
    ARTIFACT_TYPE: ClassVar[str] = "InfraBlessing"  # TFX's type, as the InfraValidator's
    BLESSING: ClassVar[bool] = True

    kind: Literal["infra_check"] = "infra_check"
    examples: int = 0  # evaluation examples in every request
    evaluator_signature: str = ""  # what the Evaluator (TFMA) called: the reference
    tolerance: dict[str, float] = {}  # {atol, rtol}: |served - reference| <= atol + rtol*|ref|
    load_seconds: float | None = None  # the fresh process's model load
    seconds: float | None = None  # the whole check, the fresh process's start included
    checks: list[SignatureCheck] = []
    skipped: dict[str, str] = {}  # signatures not called, with why
    warmup_requests: int = 0  # records in the warm-up file the pusher writes (0: none)

    def headline(self) -> str:
        if self.reasons:
            return "not blessed: " + "; ".join(self.reasons)
        return (
            f"blessed: {len(self.checks)} signature(s) served {self.examples} evaluation "
            "examples as the Evaluator's model predicts them"
        )

    def lines(self) -> list[str]:
        state = "passed" if self.passed else "FAILED"
        timing = f" in {self.seconds:.1f}s" if self.seconds is not None else ""
        load = f" (model load {self.load_seconds:.1f}s)" if self.load_seconds is not None else ""
        said = "; ".join(self.reasons) if self.reasons else self._passed_text()
        lines = [f"serves:    {state}{timing}{load}: {said}"]
        failed = [c for c in self.checks if c.status not in ("matches", "answered")]
        for check in failed[1:]:  # the first is the reason, on the line above
            lines.append(f"  also {check.signature} ({check.method}): {check.detail}")
        lines += [f"  not called: {name}: {why}" for name, why in sorted(self.skipped.items())]
        return lines

    def _passed_text(self) -> str:
        return (
            f"{len(self.checks)} signature(s) answered {self.examples} evaluation examples in "
            "a fresh process as the Evaluator's model predicts them"
        )


read = InfraCheckVerdict.read
