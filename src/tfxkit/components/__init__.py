"""Custom TFX components shipped with tfxkit, one folder each (spec + executor + tests)."""
