"""Explainer: integrated gradients per raw column, overall and per slice, into ML Metadata."""
