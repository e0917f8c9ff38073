"""Monitoring (issue 24): logged serving traffic judged against training data and the last
window (``tfxkit monitor``), with late labels, verdicts and alert sinks. docs/monitoring.md."""
