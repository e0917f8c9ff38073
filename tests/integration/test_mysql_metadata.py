"""A shared ML Metadata store on MySQL/MariaDB: a real local run records into it and caches from it.

Needs a running MariaDB (``.ci/run`` starts one with ``.ci/start-mariadb.sh``; locally:
``eval "$(bash .ci/start-mariadb.sh)"``) and ``TFXKIT_TEST_MYSQL=host:port/database/user`` with
the password in ``TFXKIT_MYSQL_PASSWORD``. Without them the test is skipped, and says why.
The pipeline is the penguin data through ingest and validation only, to keep it short.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.paths import PENGUIN_CONFIG, PENGUIN_DATA

pytestmark = pytest.mark.slow

SHORT_PIPELINE = """
from tfxkit.pipeline.dsl import PipelineBuilder


def create_pipeline(config):
    p = PipelineBuilder(config)
    p.validate(p.ingest())
    return p
"""


@pytest.fixture
def mysql_overrides() -> list[str]:
    target = os.environ.get("TFXKIT_TEST_MYSQL")
    if not target:
        pytest.skip('no MariaDB: run `eval "$(bash .ci/start-mariadb.sh)"` (CI does)')
    hostport, database, user = target.split("/")
    host, port = hostport.split(":")
    return [
        f"metadata.mysql={{host: '{host}', port: {port}, database: {database}, user: {user}, "
        "password_env: TFXKIT_MYSQL_PASSWORD}",
    ]


def test_runs_record_into_mysql_and_cache_from_it(tmp_path: Path, mysql_overrides) -> None:
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.metadata.store import connection_config, open_store, run_executions
    from tfxkit.pipeline.dsl import load_pipeline
    from tfxkit.runners import local as beam

    pipeline_file = tmp_path / "short.py"
    pipeline_file.write_text(SHORT_PIPELINE)
    name = f"mysql-check-{uuid.uuid4().hex[:8]}"  # the database outlives one CI run
    config = load_config(
        PENGUIN_CONFIG,
        [
            f"name={name}",
            f"workspace={tmp_path / 'ws'}",
            f"data.path={PENGUIN_DATA}",
            *mysql_overrides,
        ],
    )
    assert config.metadata.mysql is not None
    first = beam.run(load_pipeline(pipeline_file, config), progress=lambda _line: None)
    second = beam.run(load_pipeline(pipeline_file, config), progress=lambda _line: None)

    assert first.metadata_store.startswith("mysql://")
    assert not (tmp_path / "ws" / name / "metadata.sqlite").exists()
    store = open_store(connection_config(config))
    nodes = {
        "example_gen",
        "statistics_gen",
        "schema_gen",
        "example_validator",
        "anomaly_gate",
        "leakage_gate",
    }

    def states(run_id: str) -> dict[str, str]:
        executions = run_executions(store, name, run_id)
        return {e.node_id: e.state for e in executions if not e.node_id.endswith("_resolver")}

    cold, warm = states(first.run_id), states(second.run_id)
    assert cold == dict.fromkeys(nodes, "COMPLETE")
    assert warm == dict.fromkeys(nodes, "CACHED")
    # No secret on disk: nothing the runs wrote holds the password.
    password = os.environ["TFXKIT_MYSQL_PASSWORD"].encode()
    written = [p for p in (tmp_path / "ws").rglob("*") if p.is_file()]
    assert written, "the runs wrote artifacts"
    assert [p for p in written if password in p.read_bytes()] == []


def test_wrong_password_fails_before_any_component(
    tmp_path: Path, mysql_overrides, monkeypatch
) -> None:
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.errors import MetadataStoreError
    from tfxkit.pipeline.dsl import load_pipeline
    from tfxkit.runners import local as beam

    monkeypatch.setenv("TFXKIT_MYSQL_PASSWORD", "not-the-password")
    pipeline_file = tmp_path / "short.py"
    pipeline_file.write_text(SHORT_PIPELINE)
    config = load_config(
        PENGUIN_CONFIG, [f"workspace={tmp_path}", f"data.path={PENGUIN_DATA}", *mysql_overrides]
    )
    lines: list[str] = []
    with pytest.raises(MetadataStoreError, match=r"cannot open the ML Metadata store mysql://"):
        beam.run(load_pipeline(pipeline_file, config), progress=lines.append)
    assert lines == [], "no component may start"
