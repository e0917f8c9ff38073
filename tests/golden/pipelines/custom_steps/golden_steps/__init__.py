"""The golden corpus's steps of each kind: a function step, a container step and a full
component (``row_filter``, as ``tfxkit new component RowFilter`` writes it)."""
