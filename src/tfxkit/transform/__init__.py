"""TF Transform code driven by the config; baked into the serving graph by the Trainer."""
