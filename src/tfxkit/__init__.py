"""tfxkit: TFX-native production ML pipelines."""

__version__ = "0.1.0"
