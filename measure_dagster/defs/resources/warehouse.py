"""The embedded DuckDB file of the local target, as a resource."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field

from measure_dagster import settings

# Every step that writes the DuckDB file takes a slot of this pool; its limit of 1
# (dagster.yaml) makes concurrent runs queue instead of failing on DuckDB's file lock.
DUCKDB_POOL = "duckdb"


class WarehouseUnavailableError(RuntimeError):
    """The DuckDB file cannot be opened: locked by another process, or not a DuckDB database."""


def _lock_holder(message: str) -> str:
    found = re.search(r"held in (.+?) \(PID (\d+)\)", message)
    return f"PID {found.group(2)}, {found.group(1)}" if found else "another process"


class DuckDBWarehouse(dg.ConfigurableResource):
    """The embedded DuckDB file of the local target."""

    path: str | None = Field(default=None, description="DuckDB file; default MEASURE_DUCKDB_PATH, read when used (as dbt does).")

    def database_path(self) -> Path:
        return Path(self.path).resolve() if self.path else settings.duckdb_path()

    @contextmanager
    def connect(self, read_only: bool = False, lock_timeout_seconds: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the file; waits while another process holds DuckDB's file lock
        (default MEASURE_DUCKDB_LOCK_TIMEOUT_SECONDS, 60 s), then raises WarehouseUnavailableError,
        as for a file that is not a DuckDB database: one sentence naming the file and the problem."""
        path = self.database_path()
        if lock_timeout_seconds is None:
            lock_timeout_seconds = settings.duckdb_lock_timeout_seconds()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WarehouseUnavailableError(
                f"cannot create the folder of the DuckDB file {path} (MEASURE_DUCKDB_PATH): {error.strerror}") from None
        deadline = time.monotonic() + lock_timeout_seconds
        while True:
            try:
                con = duckdb.connect(str(path), read_only=read_only)
                break
            except duckdb.Error as error:
                message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                if "lock" in message.lower():
                    # another process holds the write lock (e.g. a dbt subprocess outside the pool)
                    if time.monotonic() <= deadline:
                        time.sleep(0.5)
                        continue
                    raise WarehouseUnavailableError(
                        f"the DuckDB file {path} (MEASURE_DUCKDB_PATH) is locked by {_lock_holder(message)} and stayed "
                        f"locked for {lock_timeout_seconds:g} s; DuckDB allows one writing process per file: let that "
                        "process finish or stop it, then re-run") from None
                raise WarehouseUnavailableError(
                    f"cannot open the DuckDB file {path} (MEASURE_DUCKDB_PATH): {message.removeprefix('IO Error: ')}") from None
        try:
            con.execute("set TimeZone = 'UTC'")
            yield con
        finally:
            con.close()
