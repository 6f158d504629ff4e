"""Test set-up: every test gets an empty DuckDB file and its own Dagster instance.

The DuckDB path is the same for the whole session (the file is deleted between tests): dbt's
partial parsing is only valid for the profile it was parsed with, and the path is part of the
profile, so one path keeps every dbt invocation of the suite from re-parsing the project.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SESSION_DIR = Path(tempfile.mkdtemp(prefix="measure-tests-"))
# The stem stays `measure`: dbt-duckdb names the database after it, as in the manifest.
WAREHOUSE = SESSION_DIR / "warehouse" / "measure.duckdb"

# Read by measure_dagster.partitions at import: fixed here so tests do not depend on the date.
os.environ["MEASURE_PARTITIONS_START"] = "2026-10-01"
os.environ["MEASURE_DUCKDB_PATH"] = str(WAREHOUSE)
os.environ.pop("MEASURE_EVENTS_PATH", None)
os.environ.pop("MEASURE_TARGET", None)
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
# dbt's artifacts (manifest, partial-parse state, dagster-dbt's invocation folders) of the test
# session in its own folder, not in dbt_project/target/ where a `make dev` beside it reads and
# writes. dbt, dagster-dbt and the code location (settings.dbt_target_path) read DBT_TARGET_PATH.
os.environ["DBT_TARGET_PATH"] = str(SESSION_DIR / "dbt_target")


def pytest_configure(config):
    # the manifest and partial-parse state the code location and every dbt invocation start from
    subprocess.run(
        # --target as Dagster passes it: dbt's partial-parse state holds only for the same target
        [str(Path(sys.executable).with_name("dbt")), "parse", "--quiet", "--profiles-dir", ".", "--target", "local"],
        cwd=REPO_ROOT / "dbt_project",
        check=True,
    )


# The fast layer (`make test-fast`, under 90 s): every test but those that run the pipeline
# (a warehouse or a Dagster instance), a server (GoogleSQL analyzer, BigQuery emulator,
# PostgreSQL, the UI) or fresh interpreters. They are marked `slow` here, by what they use.
SLOW_FIXTURES = {"warehouse_path", "dagster_instance", "googlesql_analyzer"}
SLOW_MODULES = {"test_module_imports", "test_ui_browser", "test_bigquery", "test_bigquery_production",
                "test_postgres_instance", "test_faults", "test_disk_bounds", "test_cli_output", "test_injection_and_secrets",
                "test_upstream_parity", "test_googlesql_gate", "test_bigquery_anomaly", "test_privacy_bigquery"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


def wipe_warehouse() -> None:
    WAREHOUSE.parent.mkdir(parents=True, exist_ok=True)
    for path in (WAREHOUSE, WAREHOUSE.with_name(WAREHOUSE.name + ".wal")):
        path.unlink(missing_ok=True)


@pytest.fixture
def warehouse_path(monkeypatch) -> Path:
    """An empty DuckDB file, seen by Dagster and dbt alike (MEASURE_DUCKDB_PATH)."""
    wipe_warehouse()
    monkeypatch.setenv("MEASURE_DUCKDB_PATH", str(WAREHOUSE))
    monkeypatch.delenv("MEASURE_EVENTS_PATH", raising=False)
    yield WAREHOUSE
    wipe_warehouse()


@pytest.fixture
def dagster_instance():
    """An in-memory Dagster instance: runs, event log, asset state. (On-disk storage and compute
    log capture would add ~20 % to every run; the tests that need an instance on disk, the
    concurrency and CLI tests, make their own DAGSTER_HOME.)"""
    import dagster as dg

    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


# --- the GoogleSQL gate (googlesql.py, sql_gate.py) ----------------------------------------------

GOOGLESQL_SUMMARIES: list[str] = []


@pytest.fixture(scope="session")
def googlesql_analyzer():
    """Google's GoogleSQL analyzer, one server for the session. A gate that skips proves
    nothing: without the analyzer the gate's tests fail (`make test` installs it)."""
    from measure_dagster_tests import googlesql

    if reason := googlesql.skip_reason():
        pytest.fail(reason)
    with googlesql.running_analyzer() as analyzer:
        yield analyzer


@pytest.fixture(scope="session")
def googlesql_summaries() -> list[str]:
    """Lines `N of M statements passed`, printed at the end of the test output."""
    return GOOGLESQL_SUMMARIES


def pytest_terminal_summary(terminalreporter):
    for line in GOOGLESQL_SUMMARIES:
        terminalreporter.write_line(line)
