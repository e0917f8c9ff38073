"""The metadata store's queries say what happened when the store changes under a run."""

from __future__ import annotations

from pathlib import Path

import pytest
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from tfxkit.errors import MetadataStoreError
from tfxkit.metadata.store import execution_state


def test_an_execution_missing_from_a_replaced_store_is_said_in_words(tmp_path: Path) -> None:
    """Issue 28: deleting the store mid-run gave `not enough values to unpack`."""
    conn = metadata_store_pb2.ConnectionConfig()
    conn.sqlite.filename_uri = str(tmp_path / "metadata.sqlite")
    store = metadata_store.MetadataStore(conn)
    with pytest.raises(MetadataStoreError, match="deleted or replaced while the run was going"):
        execution_state(store, 42)
