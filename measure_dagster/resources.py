"""Resources, configured from the environment (see settings.py) with local defaults."""

from __future__ import annotations

import importlib.metadata
import os
import re
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import dagster as dg
import duckdb
from packaging import version
from pydantic import Field
from dagster_dbt import DbtCliResource

from measure_dagster import settings
from measure_dagster.artifacts import prune_dbt_artifacts
from measure_dagster.project import dbt_project

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


class RawEventStats(dg.ConfigurableResource):
    """Facts about the raw events table for the source checks: newest timestamp, events per day."""

    warehouse: DuckDBWarehouse

    def newest_event_timestamp(self) -> datetime | None:
        with self.warehouse.connect(read_only=True) as con:
            if not _has_raw_events(con):
                return None
            return con.execute("select max(timestamp) from raw.events").fetchall()[0][0]

    def daily_event_counts(self, start: date, end: date) -> dict[date, int]:
        """Events per UTC day in [start, end)."""
        with self.warehouse.connect(read_only=True) as con:
            if not _has_raw_events(con):
                return {}
            rows = con.execute(
                "select cast(timestamp as date), count(*) from raw.events "
                "where timestamp >= ? and timestamp < ? group by 1",
                [datetime.combine(start, datetime.min.time()), datetime.combine(end, datetime.min.time())],
            ).fetchall()
        return {day: count for day, count in rows}


def _has_raw_events(con) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'events'"
    ).fetchall()[0][0])


class ProjectDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource, without what every run pays for nothing here: a `dbt --version`
    subprocess (a dbt start-up, ~5 s; dbt runs from this environment, so its version is the
    installed dbt-core's; another executable is still asked), and locally the in-process adapter."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(importlib.metadata.version("dbt-core"))
        return DbtCliResource._cli_version.func(self)

    def cli(self, args, *, context=None, **kwargs):
        """dagster-dbt's cli, with what dbt needs to know of the Dagster run in its environment:
        the run id (BigQuery job labels, the run-results log) and, on BigQuery, the job limits of
        the run's window (profiles.yml). dagster-dbt passes os.environ to the dbt subprocess it
        starts inside this call; the variables are restored afterwards. Older invocation folders
        in target/ are pruned first (artifacts.py: the newest and the current run's stay)."""
        prune_dbt_artifacts(Path(self.project_dir) / os.environ.get("DBT_TARGET_PATH", "target"),
                            current_run=context.run.run_id if context is not None else None)
        with _environment(dbt_run_environment(context)):
            return super().cli(args, context=context, **kwargs)

    def _initialize_dbt_core_adapter(self, args):
        # the in-process adapter only serves fetch_row_counts/fetch_column_metadata, which run on
        # BigQuery; locally table_metadata.py reads DuckDB itself (loading it costs ~2 s a step)
        if settings.is_local():
            return None
        return super()._initialize_dbt_core_adapter(args)


RUN_ID_VARIABLE = "MEASURE_DAGSTER_RUN_ID"


def window_days(context) -> int:
    """Days of a partitioned asset's run window (a single-run backfill: all of them), else 1."""
    assets_def = getattr(context, "assets_def", None) if context is not None else None
    if assets_def is None or assets_def.partitions_def is None:
        return 1
    if not (context.has_partition_key or context.has_partition_key_range):
        return 1
    return len(context.partition_keys)


def dbt_run_environment(context) -> dict[str, str]:
    env = {RUN_ID_VARIABLE: context.run.run_id} if context is not None else {}
    if not settings.is_local():
        env.update(settings.bigquery_job_limit_env(window_days(context)))
    return env


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _dbt_executable() -> str:
    # the dbt next to this interpreter (.venv/bin/dbt), so PATH need not include the venv
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def _bigquery_resources() -> dict[str, object]:
    """BigQuery targets: dagster-gcp's BigQueryResource, and the source checks' statistics read
    from the collector's table through it (replacing the DuckDB RawEventStats)."""
    from dagster_gcp import BigQueryResource

    from measure_dagster.assets.raw_events_bigquery import BigQueryRawEventStats

    # The key, base64-encoded, as dagster-gcp expects it; kept an EnvVar so the UI shows the
    # variable's name, not the key. Unset: Google's application default credentials, which
    # follow GOOGLE_APPLICATION_CREDENTIALS, pointed at dbt's key file when there is one.
    credentials = dg.EnvVar("MEASURE_BQ_GCP_CREDENTIALS") if os.environ.get("MEASURE_BQ_GCP_CREDENTIALS") else None
    keyfile = os.environ.get("MEASURE_BQ_KEYFILE")
    if credentials is None and keyfile and os.environ.get("MEASURE_BQ_METHOD", "service-account") == "service-account":
        os.environ.setdefault("GOOGLE_APPLICATION_CREDENTIALS", keyfile)
    bigquery = BigQueryResource(
        project=settings.bigquery_project(),
        location=settings.bigquery_location(),
        gcp_credentials=credentials,
    )
    return {
        "bigquery": bigquery,
        "raw_event_stats": BigQueryRawEventStats(bigquery=bigquery, table_ref=settings.raw_events_table_ref()),
    }


def build_resources() -> dict[str, object]:
    settings.export_for_dbt()
    warehouse = DuckDBWarehouse()
    resources = {
        "dbt": ProjectDbtCliResource(
            project_dir=dbt_project,
            target=settings.target(),
            dbt_executable=_dbt_executable(),
        ),
        "warehouse": warehouse,
        "raw_event_stats": RawEventStats(warehouse=warehouse),
    }
    if not settings.is_local():
        resources.update(_bigquery_resources())
    return resources
