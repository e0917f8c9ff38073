"""Labels that arrive after the answer, joined to logged rows by request id.

A CSV or Parquet file of ``id_column,label_column``; ids that match no logged row of the window
are counted and named (a few of them) rather than dropped silently: they usually mean labels for
another window or a mistyped id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfxkit.errors import DataError

LABEL = "__label__"  # the joined label's column in a window


@dataclass
class Joined:
    labels: list[Any]  # one per row of the window, None where no label came
    matched: int
    unknown_ids: list[str] = field(default_factory=list)


def read_labels(path: str, id_column: str, label_column: str) -> dict[str, Any]:
    """{request id: label} from a CSV or Parquet file."""
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise DataError(f"monitoring.labels: {path} does not exist")
    try:
        frame = pd.read_parquet(file) if file.suffix == ".parquet" else pd.read_csv(file)
    except Exception as exc:  # noqa: BLE001 - pandas and pyarrow raise many kinds
        raise DataError(f"monitoring.labels: {path} cannot be read: {exc}") from None
    missing = [c for c in (id_column, label_column) if c not in frame.columns]
    if missing:
        raise DataError(
            f"monitoring.labels: {path} has no column {', '.join(missing)} (it has "
            f"{', '.join(map(str, frame.columns))}); set monitoring.id_column / label_column"
        )
    frame = frame.dropna(subset=[label_column])
    return {str(i): v for i, v in zip(frame[id_column], frame[label_column], strict=True)}


def join(request_ids: list[str | None], labels: dict[str, Any], others: set[str]) -> Joined:
    """The label of each row; ``others``: ids logged in other windows (not unknown)."""
    values = [labels.get(rid) if rid is not None else None for rid in request_ids]
    seen = {rid for rid in request_ids if rid is not None}
    unknown = sorted(set(labels) - seen - others)
    return Joined(values, sum(v is not None for v in values), unknown)


def with_labels(batch: Any, values: list[Any]) -> Any:
    """``batch`` with the joined labels as one more column (``LABEL``)."""
    import pyarrow as pa

    if all(v is None for v in values):
        return batch
    numeric = all(isinstance(v, int | float) for v in values if v is not None)
    if numeric:
        column = pa.array(
            [[float(v)] if v is not None else None for v in values], pa.list_(pa.float32())
        )
    else:
        column = pa.array(
            [[str(v).encode()] if v is not None else None for v in values], pa.list_(pa.binary())
        )
    return pa.RecordBatch.from_arrays([*batch.columns, column], [*batch.schema.names, LABEL])


def performance(predictions: list[Any], labels: list[Any]) -> dict[str, float]:
    """Accuracy (class names, or probabilities of a 0/1 label) or RMSE, over labelled rows."""
    both = zip(predictions, labels, strict=True)
    pairs = [(p, y) for p, y in both if p is not None and y is not None]
    if not pairs:
        return {}
    if all(isinstance(p, bytes | str) for p, _ in pairs):
        hits = [str(p.decode() if isinstance(p, bytes) else p) == str(y) for p, y in pairs]
        return {"accuracy": sum(hits) / len(hits), "labelled": float(len(pairs))}
    values = [(float(p), float(y)) for p, y in pairs]
    if {y for _, y in values} <= {0.0, 1.0} and all(0.0 <= p <= 1.0 for p, _ in values):
        hits = [(p >= 0.5) == (y == 1.0) for p, y in values]
        return {"accuracy": sum(hits) / len(hits), "labelled": float(len(pairs))}
    rmse = (sum((p - y) ** 2 for p, y in values) / len(values)) ** 0.5
    return {"rmse": rmse, "labelled": float(len(pairs))}
