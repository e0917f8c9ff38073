"""RowFilter: a TFX component (component.py, executor.py and their tests)."""
