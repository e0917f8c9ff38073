"""Keras training code the TFX Trainer runs, driven by the config."""
