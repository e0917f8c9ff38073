"""Runners: where a compiled pipeline executes. ``beam`` runs locally; remote ones compile IR."""
