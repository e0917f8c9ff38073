"""LeakageGate: stop (or warn about) a feature that alone predicts the label: target leakage."""
