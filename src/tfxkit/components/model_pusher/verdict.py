"""The ModelPusher's verdict: was the model pushed, where, and was it already there.

``passed`` is "pushed": a push that did not happen says why (a gate did not bless the model).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from tfxkit.components.verdicts import Verdict, register

NOT_BLESSED = "model not blessed: nothing pushed"


@register
class PushVerdict(Verdict):
    ARTIFACT_TYPE: ClassVar[str] = "PushedModel"

    kind: Literal["push"] = "push"
    destination: str | None = None  # the version's folder, e.g. <serving base>/<model>/3
    version: int | None = None
    digest: str | None = None  # sha256 of the model's files: equal digests, equal models
    already_pushed: bool = False  # this content was there already: nothing copied
    serving_labels: dict[str, int] = {}  # TF Serving version labels after the push
    warmup: bool = False  # the pushed version holds TF Serving's warm-up requests

    @property
    def pushed(self) -> bool:
        return self.passed

    def lines(self) -> list[str]:
        pushed = self.destination if self.pushed and self.destination else "nothing pushed"
        if self.pushed and self.already_pushed:
            pushed += " (this model was already there: not copied again)"
        elif self.pushed and self.warmup:
            pushed += " (with warm-up requests)"
        if self.pushed and self.serving_labels:
            labels = sorted(self.serving_labels.items())
            pushed += "  [" + ", ".join(f"{k}={v}" for k, v in labels) + "]"
        return [f"pushed:    {pushed}"]


read = PushVerdict.read
