"""An optimization gate's verdict: both models measured side by side, and the bounds' decision.

``reasons`` name every bound the optimized model broke (``tfxkit.optimization.gate``); it is
pushed only when it passed and every gate of the original did.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from tfxkit.components.verdicts import PASSED_PROPERTY, Verdict, register
from tfxkit.optimization.measure import ModelReport

# One model's measurements, stored in the verdict as ``measure`` reports them.
Measured = ModelReport


@register
class OptimizationVerdict(Verdict):
    BLESSING: ClassVar[bool] = True
    BLESSED_PROPERTY: ClassVar[str] = PASSED_PROPERTY  # not TFX's: see verdicts.PASSED_PROPERTY

    kind: Literal["optimization"] = "optimization"
    optimization: str  # quantize | prune | distill
    original: Measured
    optimized: Measured
    comparison: dict[str, Any]  # ``measure.compare``: ratios, speedups, accuracy drop
    sparsity: float | None = None
    eval_rows: int
    bounds: dict[str, Any]  # the gate's configuration (optimize.gate)

    def headline(self) -> str:
        return f"{self.optimization}: {'; '.join(self.reasons) or 'within every bound'}"

    def line(self, tfma: bool | None = None, pushed_to: str | None = None) -> str:
        """Ratios against the original and the gate; with TFMA's verdict on the optimized
        SavedModel and where it was pushed, when known."""

        def ratio(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.2f}x"

        c = self.comparison
        quality = f"{c['metric']} {c['original_quality']:.3f} -> {c['optimized_quality']:.3f}"
        extra = f", sparsity {self.sparsity:.2f}" if self.sparsity is not None else ""
        verdict = "passed" if self.passed else "rejected: " + "; ".join(self.reasons)
        if tfma is not None:
            verdict += "; TFMA vs original: " + ("blessed" if tfma else "not blessed")
        pushed = f" -> {pushed_to}" if pushed_to else " (not pushed)"
        return (
            f"optimized: {self.optimization} ({self.optimized.name}): gzip size "
            f"{ratio(c['gzip_size_ratio'])}, params {ratio(c['params_ratio'])}{extra}, p50 "
            f"latency b1 {ratio(c['latency_ratio_b1'])} b32 {ratio(c['latency_ratio_b32'])}, "
            f"{quality} (drop {c['accuracy_drop_points']:.1f} pt): {verdict}{pushed}"
        )

    def lines(self) -> list[str]:
        return [self.line()]


read = OptimizationVerdict.read
