"""Test set-up: every test gets its own DuckDB file and Dagster instance; the dbt manifest is
prepared once (`make test` runs `dbt parse` first; this does it when pytest is run alone)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Read by measure_dagster.partitions at import: fixed here so tests do not depend on the date.
os.environ["MEASURE_PARTITIONS_START"] = "2026-10-01"
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = REPO_ROOT / "dbt_project" / "target" / "manifest.json"


def pytest_configure(config):
    if not MANIFEST.exists():
        subprocess.run(
            [str(Path(sys.executable).with_name("dbt")), "parse", "--quiet", "--profiles-dir", "."],
            cwd=REPO_ROOT / "dbt_project",
            check=True,
        )


@pytest.fixture
def warehouse_path(tmp_path, monkeypatch) -> Path:
    """A fresh DuckDB file for the test, seen by Dagster and dbt alike (MEASURE_DUCKDB_PATH).
    The file stem stays `measure`: dbt-duckdb names the database after it, as in the manifest."""
    path = tmp_path / "warehouse" / "measure.duckdb"
    path.parent.mkdir()
    monkeypatch.setenv("MEASURE_DUCKDB_PATH", str(path))
    monkeypatch.delenv("MEASURE_EVENTS_PATH", raising=False)
    return path


@pytest.fixture
def dagster_instance(tmp_path):
    import dagster as dg

    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        yield instance
