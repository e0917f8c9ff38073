"""tfxkit's Evaluator: TFX's Evaluator plus a minimum slice size for slice thresholds."""
