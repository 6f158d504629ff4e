"""Resources, configured from the environment (see settings.py) with local defaults."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field
from dagster_dbt import DbtCliResource

from measure_dagster import settings
from measure_dagster.project import dbt_project

# Every step that writes the DuckDB file takes a slot of this pool; its limit of 1
# (dagster.yaml) makes concurrent runs queue instead of failing on DuckDB's file lock.
DUCKDB_POOL = "duckdb"


class DuckDBWarehouse(dg.ConfigurableResource):
    """The embedded DuckDB file of the local target."""

    path: str | None = Field(default=None, description="DuckDB file; default MEASURE_DUCKDB_PATH, read when used (as dbt does).")

    def database_path(self) -> Path:
        return Path(self.path).resolve() if self.path else settings.duckdb_path()

    @contextmanager
    def connect(self, read_only: bool = False, lock_timeout_seconds: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
        path = self.database_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + lock_timeout_seconds
        while True:
            try:
                con = duckdb.connect(str(path), read_only=read_only)
                break
            except duckdb.IOException as error:
                # another process holds the write lock (e.g. a dbt subprocess outside the pool)
                if "lock" not in str(error).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        try:
            con.execute("set TimeZone = 'UTC'")
            yield con
        finally:
            con.close()


def _dbt_executable() -> str:
    # the dbt next to this interpreter (.venv/bin/dbt), so PATH need not include the venv
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def build_resources() -> dict[str, object]:
    settings.export_for_dbt()
    return {
        "dbt": DbtCliResource(
            project_dir=dbt_project,
            target=settings.target(),
            dbt_executable=_dbt_executable(),
        ),
        "warehouse": DuckDBWarehouse(),
    }
