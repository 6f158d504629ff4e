"""Every setting comes from the environment, with defaults that run the project locally.

| variable                      | default                          | meaning                                    |
|-------------------------------|----------------------------------|--------------------------------------------|
| MEASURE_TARGET                | local                            | dbt target: local (DuckDB), dev, prod (BQ) |
| MEASURE_DUCKDB_PATH           | <repo>/data/measure.duckdb       | the embedded DuckDB file                    |
| MEASURE_EVENTS_PATH           | (unset: built-in generator)      | folder or glob of BigQuery exports          |
| MEASURE_PARTITIONS_START      | 2026-10-01 (first sample day)    | first daily partition                       |
| MEASURE_SAMPLE_EVENTS_PER_DAY | 2000                             | generator volume                            |
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

LOCAL_TARGET = "local"
BIGQUERY_TARGETS = ("dev", "prod")
# The first day of the built-in sample traffic, and so of the partitions by default.
SAMPLE_START = "2026-10-01"
DEFAULT_EVENTS_PER_DAY = 2000


def target() -> str:
    value = os.environ.get("MEASURE_TARGET", LOCAL_TARGET)
    if value not in (LOCAL_TARGET, *BIGQUERY_TARGETS):
        raise ValueError(f"MEASURE_TARGET must be one of local, dev, prod; got {value!r}")
    return value


def is_local() -> bool:
    return target() == LOCAL_TARGET


def duckdb_path() -> Path:
    return Path(os.environ.get("MEASURE_DUCKDB_PATH") or REPO_ROOT / "data" / "measure.duckdb").resolve()


def events_path() -> str | None:
    return os.environ.get("MEASURE_EVENTS_PATH") or None


def partitions_start() -> str:
    value = os.environ.get("MEASURE_PARTITIONS_START") or SAMPLE_START
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"MEASURE_PARTITIONS_START must be a date YYYY-MM-DD; got {value!r}") from None
    return value


def sample_events_per_day() -> int:
    value = os.environ.get("MEASURE_SAMPLE_EVENTS_PER_DAY") or str(DEFAULT_EVENTS_PER_DAY)
    if not value.isdigit() or int(value) <= 0:
        raise ValueError(f"MEASURE_SAMPLE_EVENTS_PER_DAY must be a positive integer; got {value!r}")
    return int(value)


def export_for_dbt() -> None:
    """dbt reads the same variables (profiles.yml); make the resolved values explicit for its subprocess."""
    os.environ["MEASURE_TARGET"] = target()
    os.environ["MEASURE_DUCKDB_PATH"] = str(duckdb_path())
    # A test with several parents (relationships) runs in the invocation that can build all of
    # them, not in the one building its first parent (dbt's default "eager" selection).
    os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")
