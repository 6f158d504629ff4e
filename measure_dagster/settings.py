"""Every setting comes from the environment, with defaults that run the project locally.

| variable                      | default                          | meaning                                    |
|-------------------------------|----------------------------------|--------------------------------------------|
| MEASURE_TARGET                | local                            | local (DuckDB), dev, prod, emulator (BQ)   |
| MEASURE_DUCKDB_PATH           | <repo>/data/measure.duckdb       | the embedded DuckDB file                    |
| MEASURE_EVENTS_PATH           | (unset: built-in generator)      | folder or glob of BigQuery exports          |
| MEASURE_PARTITIONS_START      | 2026-10-01 (first sample day)    | first daily partition                       |
| MEASURE_SAMPLE_EVENTS_PER_DAY | 2000                             | generator volume                            |
| MEASURE_DUCKDB_LOCK_TIMEOUT_SECONDS | 60                         | wait for another process's DuckDB file lock |
| MEASURE_DUCKDB_MEMORY_LIMIT   | 3GB                              | DuckDB memory cap of dbt runs (spills beyond) |
| MEASURE_BQ_PROJECT            | required on dev/prod (emulator: measure-test) | GCP project of models and jobs |
| MEASURE_BQ_LOCATION           | US                               | BigQuery location                           |
| MEASURE_BQ_RAW_PROJECT        | MEASURE_BQ_PROJECT               | project of the collector's table            |
| MEASURE_BQ_RAW_DATASET        | measure_js                       | dataset of the collector's table `events`   |
| MEASURE_BQ_GCP_CREDENTIALS    | (unset: application default)     | base64 service-account key, for Dagster     |
| MEASURE_UI_URL                | http://127.0.0.1:3000            | the Dagster UI, for run links of the CLI    |

dbt's own BigQuery settings (method, key file, dataset, threads, timeout) are documented in
dbt_project/profiles.yml and docs/production.md.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

LOCAL_TARGET = "local"
# `emulator`: BigQuery SQL against the local emulator of the tests (no GCP account needed).
BIGQUERY_TARGETS = ("dev", "prod", "emulator")
EMULATOR_TARGET = "emulator"
EMULATOR_PROJECT = "measure-test"  # the emulator output's default in profiles.yml
RAW_EVENTS_TABLE = "events"
DEFAULT_RAW_DATASET = "measure_js"
# The first day of the built-in sample traffic, and so of the partitions by default.
SAMPLE_START = "2026-10-01"
DEFAULT_EVENTS_PER_DAY = 2000


def target() -> str:
    value = os.environ.get("MEASURE_TARGET", LOCAL_TARGET)
    if value not in (LOCAL_TARGET, *BIGQUERY_TARGETS):
        raise ValueError(f"MEASURE_TARGET must be one of {', '.join((LOCAL_TARGET, *BIGQUERY_TARGETS))}; got {value!r}")
    return value


def is_local() -> bool:
    return target() == LOCAL_TARGET


def bigquery_location() -> str:
    return os.environ.get("MEASURE_BQ_LOCATION") or "US"


def bigquery_project() -> str:
    value = os.environ.get("MEASURE_BQ_PROJECT")
    if value:
        return value
    if target() == EMULATOR_TARGET:
        return EMULATOR_PROJECT
    raise ValueError(f"MEASURE_BQ_PROJECT must be set on the BigQuery target {target()!r}")


def raw_events_table_ref() -> str:
    """`project.dataset.events`: the collector's table, as models/sources.yml resolves it."""
    project = os.environ.get("MEASURE_BQ_RAW_PROJECT") or bigquery_project()
    dataset = os.environ.get("MEASURE_BQ_RAW_DATASET") or DEFAULT_RAW_DATASET
    return f"{project}.{dataset}.{RAW_EVENTS_TABLE}"


def ui_url() -> str:
    """Where the Dagster UI of this instance is served (`make dev` sets it from HOST and PORT)."""
    return (os.environ.get("MEASURE_UI_URL") or "http://127.0.0.1:3000").rstrip("/")


def duckdb_path() -> Path:
    path = Path(os.environ.get("MEASURE_DUCKDB_PATH") or REPO_ROOT / "data" / "measure.duckdb").resolve()
    # dbt-duckdb names the database after the file's stem and puts it into every relation name
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", path.stem):
        raise ValueError(f"MEASURE_DUCKDB_PATH must name a file whose name before .duckdb is a plain identifier "
                         f"(letters, digits, _), as dbt-duckdb uses it as the database name; got {path.name!r}")
    return path


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


def duckdb_lock_timeout_seconds() -> float:
    """How long a connection waits for another process's lock on the DuckDB file."""
    value = os.environ.get("MEASURE_DUCKDB_LOCK_TIMEOUT_SECONDS") or "60"
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise ValueError(f"MEASURE_DUCKDB_LOCK_TIMEOUT_SECONDS must be a number of seconds >= 0; got {value!r}")
    return seconds


# BigQuery names reach SQL as identifiers (dbt renders `project`.`dataset`.`table` from them), never
# as parameters: only values of these forms are accepted, so a crafted one cannot change a query.
_BQ_NAME_FORMS = {
    "MEASURE_BQ_PROJECT": r"([a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]",
    "MEASURE_BQ_RAW_PROJECT": r"([a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]",
    "MEASURE_BQ_DATASET": r"[A-Za-z0-9_]{1,1024}",
    "MEASURE_BQ_RAW_DATASET": r"[A-Za-z0-9_]{1,1024}",
    "MEASURE_BQ_LOCATION": r"[A-Za-z0-9-]{1,64}",
}


def validate_bigquery_names() -> None:
    """Raise ValueError naming the variable when a BigQuery project/dataset/location variable that is
    set is not a plain name (the value itself is not repeated: it may be anything)."""
    for name, form in _BQ_NAME_FORMS.items():
        value = os.environ.get(name)
        if value and not re.fullmatch(form, value):
            raise ValueError(f"{name} is not a valid BigQuery {name.split('_')[-1].lower()} name")


def validate_duckdb_memory_limit() -> None:
    """dbt-duckdb pastes the profile's settings into SET statements: only a size may get there."""
    value = os.environ.get("MEASURE_DUCKDB_MEMORY_LIMIT")
    if value and not re.fullmatch(r"[0-9]+(\.[0-9]+)? ?([KMGT]i?B|B)", value.strip()):
        raise ValueError(f"MEASURE_DUCKDB_MEMORY_LIMIT must be a size such as 3GB or 512MiB; got {value!r}")


def export_for_dbt() -> None:
    """dbt reads the same variables (profiles.yml); make the resolved values explicit for its subprocess."""
    validate_bigquery_names()
    validate_duckdb_memory_limit()
    os.environ["MEASURE_TARGET"] = target()
    os.environ["MEASURE_DUCKDB_PATH"] = str(duckdb_path())
    # A test with several parents (relationships) runs in the invocation that can build all of
    # them, not in the one building its first parent (dbt's default "eager" selection).
    os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")
