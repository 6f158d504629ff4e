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
| MEASURE_BQ_LOCATION           | required on dev/prod (emulator: US) | location of the raw dataset and ours, e.g. europe-west1 (Measure.js's default) |
| MEASURE_BQ_MAXIMUM_BYTES_BILLED | 107374182400 (100 GiB)         | cap of one query job's billed bytes (dbt's maximum_bytes_billed), per day of the window |
| MEASURE_BQ_TIMEOUT_SECONDS    | 300                              | one query job's timeout (dbt's job_execution_timeout_seconds), per day of the window |
| MEASURE_BQ_BACKFILL_MAXIMUM_BYTES_BILLED | 1099511627776 (1 TiB) | the most a multi-day window raises the bytes cap to |
| MEASURE_BQ_BACKFILL_TIMEOUT_SECONDS | 21600 (BigQuery's 6 h limit) | the most a multi-day window raises the timeout to |
| MEASURE_BQ_RAW_PROJECT        | MEASURE_BQ_PROJECT               | project of the collector's table            |
| MEASURE_BQ_RAW_DATASET        | measure_js                       | dataset of the collector's table `events`   |
| MEASURE_BQ_GCP_CREDENTIALS    | (unset: application default)     | base64 service-account key, for Dagster     |
| MEASURE_BQ_OBSERVE_DAYS       | 3                                | complete days the hourly observation of raw/events reads (defs/schedules) |
| MEASURE_BQ_DATASET            | analytics_dev (dev), analytics   | dataset of our models (dbt's profiles.yml)  |
| MEASURE_BQ_KEYFILE            | (unset)                          | dbt's service-account key file; also Dagster's credentials when MEASURE_BQ_GCP_CREDENTIALS is unset |
| MEASURE_BQ_METHOD             | service-account                  | dbt's BigQuery auth method (profiles.yml)   |
| MEASURE_RAW_MAX_AGE_HOURS     | 26                               | raw_events_freshness: default of its check config `max_age_hours` |
| MEASURE_RAW_MIN_VOLUME_RATIO  | 0.5                              | raw_events_volume: default of its check config `min_ratio` |
| MEASURE_ANOMALY_*             | see defs/checks/anomaly.py (AnomalySettings) | the anomaly checks' bands: defaults of their check config |
| MEASURE_DBT_ARTIFACTS_KEEP    | 20                               | dbt invocation folders kept in target/ (artifacts.py) |
| MEASURE_DBT_ARTIFACTS_KEEP_DAYS | 0 (off)                        | and every folder younger than this many days |
| MEASURE_DAGSTER_RUN_RETENTION_DAYS | 90 (0: all)                 | days of run history the instance keeps (defs/schedules/retention.py) |
| MEASURE_RETENTION_<TIER>_MONTHS | events 14, visitors 14, aggregates 0 (forever) | apply_retention's defaults (docs/privacy.md) |
| MEASURE_ERASURE_SALT          | (unset: one kept beside the DuckDB file; required on BigQuery) | salt of the erasure log's hashes |
| MEASURE_DAGSTER_INSTANCE      | sqlite                           | the instance of the CLI: sqlite or postgres (instance.py) |
| MEASURE_DAGSTER_RUN_ID        | (set by the dbt resource)        | the Dagster run, for dbt's job labels and run-results log |
| MEASURE_UI_URL                | http://127.0.0.1:3000            | the Dagster UI, for run links of the CLI    |
| DBT_TARGET_PATH               | target                           | dbt's own: its target folder, where the code location reads the manifest of its target |

A partitioned dbt run of N days (a single-run backfill is one query per model) gets N times the
per-day bytes cap and timeout, at most the BACKFILL values: bigquery_job_limits() computes them,
the dbt resource passes them to dbt (MEASURE_BQ_WINDOW_*), profiles.yml reads them.

dbt's own BigQuery settings (method, key file, dataset, threads) are documented in
dbt_project/profiles.yml and docs/production.md.

Two kinds of setting:

- What shapes the code location (target, DuckDB file, first partition, BigQuery project,
  location and raw table, observed days) is read once, into the frozen MeasureSettings, when
  the definitions are built (`MeasureSettings.from_env()`; definitions.build_defs takes one),
  and validated there: a bad value fails the load, not the first run. Nothing is read or
  written at import.
- What a run reads when it starts (MEASURE_EVENTS_PATH, the sample volume, the lock timeout,
  the BigQuery job limits of the run's window, the check thresholds as their config defaults)
  is read then, by the functions below, as dbt reads profiles.yml when it starts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
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


# The emulator's datasets are created in US (measure_dagster_tests/bigquery_emulator.py).
EMULATOR_LOCATION = "US"


def bigquery_location() -> str:
    """Required on dev and prod: a wrong location fails every join with the raw table (BigQuery does
    not query across locations), and Measure.js creates its dataset in europe-west1, not US."""
    value = os.environ.get("MEASURE_BQ_LOCATION")
    if value:
        return value
    if target() == EMULATOR_TARGET:
        return EMULATOR_LOCATION
    raise ValueError(
        f"MEASURE_BQ_LOCATION must be set on the BigQuery target {target()!r}: the location of the raw dataset "
        "(e.g. europe-west1, where Measure.js creates it by default, or US / EU); see docs/production.md")


DEFAULT_MAXIMUM_BYTES_BILLED = 100 * 2**30  # 100 GiB: about 0.6 USD at on-demand prices
DEFAULT_TIMEOUT_SECONDS = 300
DEFAULT_BACKFILL_MAXIMUM_BYTES_BILLED = 2**40  # 1 TiB
DEFAULT_BACKFILL_TIMEOUT_SECONDS = 6 * 3600  # BigQuery's own limit for a query job


def _positive_int_env(name: str, default: int) -> int:
    value = (os.environ.get(name) or str(default)).strip()
    if not value.isdigit() or int(value) <= 0:
        raise ValueError(f"{name} must be a positive whole number; got {value!r}")
    return int(value)


def whole_number_env(name: str, default: int) -> int:
    """A whole number >= 0 from the environment; unset or empty: `default`."""
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number >= 0; got {value!r}")
    return int(value)


def number_env(name: str, default: float, *, minimum: float = 0.0) -> float:
    """A number >= minimum from the environment; unset or empty: `default`."""
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number >= minimum:
        raise ValueError(f"{name} must be a number >= {minimum:g}; got {value!r}")
    return number


# dagster-dbt's invocation folders kept in target/ (measure_dagster/artifacts.py)
DEFAULT_DBT_ARTIFACTS_KEEP = 20


def dbt_artifacts_keep() -> int:
    keep = whole_number_env("MEASURE_DBT_ARTIFACTS_KEEP", DEFAULT_DBT_ARTIFACTS_KEEP)
    if keep < 1:
        raise ValueError("MEASURE_DBT_ARTIFACTS_KEEP must be at least 1 (the latest run's artifacts always stay)")
    return keep


def dbt_artifacts_keep_days() -> int:
    return whole_number_env("MEASURE_DBT_ARTIFACTS_KEEP_DAYS", 0)


# Finished Dagster runs kept (defs/schedules/retention.py); 0 keeps all.
DEFAULT_RUN_RETENTION_DAYS = 90


def run_retention_days() -> int:
    value = (os.environ.get("MEASURE_DAGSTER_RUN_RETENTION_DAYS") or str(DEFAULT_RUN_RETENTION_DAYS)).strip()
    if not value.isdigit():
        raise ValueError(f"MEASURE_DAGSTER_RUN_RETENTION_DAYS must be a whole number of days >= 0; got {value!r}")
    return int(value)


def bigquery_credentials() -> tuple[bool, str | None]:
    """(MEASURE_BQ_GCP_CREDENTIALS is set, the service-account key file dbt uses or None)."""
    method = os.environ.get("MEASURE_BQ_METHOD", "service-account")
    keyfile = os.environ.get("MEASURE_BQ_KEYFILE") if method == "service-account" else None
    return bool(os.environ.get("MEASURE_BQ_GCP_CREDENTIALS")), keyfile or None


# How long apply_retention keeps each tier (docs/privacy.md); 0 keeps it forever.
RETENTION_MONTHS_DEFAULTS = {"events": 14, "visitors": 14, "aggregates": 0}


def retention_months(tier: str) -> int:
    name = f"MEASURE_RETENTION_{tier.upper()}_MONTHS"
    value = (os.environ.get(name) or str(RETENTION_MONTHS_DEFAULTS[tier])).strip()
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number of months >= 0 (0: kept forever); got {value!r}")
    return int(value)


def erasure_salt() -> str | None:
    """MEASURE_ERASURE_SALT: the salt of the erasure log's hashes (unset: one kept beside the DuckDB file)."""
    return (os.environ.get("MEASURE_ERASURE_SALT") or "").strip() or None


def bigquery_job_limits(window_days: int = 1) -> dict[str, int]:
    """maximum_bytes_billed and job_execution_timeout_seconds of each dbt query job for a run over
    `window_days` days: the per-day settings times the days, at most the backfill settings."""
    per_day_bytes = _positive_int_env("MEASURE_BQ_MAXIMUM_BYTES_BILLED", DEFAULT_MAXIMUM_BYTES_BILLED)
    per_day_seconds = _positive_int_env("MEASURE_BQ_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)
    max_bytes = _positive_int_env("MEASURE_BQ_BACKFILL_MAXIMUM_BYTES_BILLED", DEFAULT_BACKFILL_MAXIMUM_BYTES_BILLED)
    max_seconds = _positive_int_env("MEASURE_BQ_BACKFILL_TIMEOUT_SECONDS", DEFAULT_BACKFILL_TIMEOUT_SECONDS)
    if max_bytes < per_day_bytes:
        raise ValueError("MEASURE_BQ_BACKFILL_MAXIMUM_BYTES_BILLED must be at least MEASURE_BQ_MAXIMUM_BYTES_BILLED "
                         f"({max_bytes} < {per_day_bytes})")
    if max_seconds < per_day_seconds:
        raise ValueError("MEASURE_BQ_BACKFILL_TIMEOUT_SECONDS must be at least MEASURE_BQ_TIMEOUT_SECONDS "
                         f"({max_seconds} < {per_day_seconds})")
    days = max(1, window_days)
    return {
        "maximum_bytes_billed": min(per_day_bytes * days, max_bytes),
        "job_execution_timeout_seconds": min(per_day_seconds * days, max_seconds),
    }


def bigquery_job_limit_env(window_days: int = 1) -> dict[str, str]:
    """The variables profiles.yml reads for bigquery_job_limits(window_days)."""
    limits = bigquery_job_limits(window_days)
    return {
        "MEASURE_BQ_WINDOW_MAXIMUM_BYTES_BILLED": str(limits["maximum_bytes_billed"]),
        "MEASURE_BQ_WINDOW_TIMEOUT_SECONDS": str(limits["job_execution_timeout_seconds"]),
    }


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


DEFAULT_OBSERVE_DAYS = 3


def observe_days() -> int:
    """MEASURE_BQ_OBSERVE_DAYS: complete days the hourly observation of raw/events reads."""
    value = os.environ.get("MEASURE_BQ_OBSERVE_DAYS") or str(DEFAULT_OBSERVE_DAYS)
    if not value.isdigit() or int(value) <= 0:
        raise ValueError(f"MEASURE_BQ_OBSERVE_DAYS must be a positive whole number of days; got {value!r}")
    return int(value)


def dbt_target_path() -> str:
    return os.environ.get("DBT_TARGET_PATH") or "target"


def float_env(name: str, default: float) -> float:
    value = os.environ.get(name)
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{name} must be a number; got {value!r}") from None


@dataclass(frozen=True)
class MeasureSettings:
    """What shapes the code location, resolved once (from_env) and passed to what needs it."""

    target: str = LOCAL_TARGET
    duckdb_path: Path = REPO_ROOT / "data" / "measure.duckdb"
    partitions_start: str = SAMPLE_START
    # BigQuery targets only (None locally)
    bigquery_project: str | None = None
    bigquery_location: str | None = None
    raw_events_table_ref: str | None = None
    observe_days: int = DEFAULT_OBSERVE_DAYS
    # dbt's target folder (DBT_TARGET_PATH, as dbt reads it): where the manifest of this target is
    dbt_target_path: str = "target"

    @property
    def is_local(self) -> bool:
        return self.target == LOCAL_TARGET

    @classmethod
    def from_env(cls) -> MeasureSettings:
        """The environment's settings, every one validated (a bad value names its variable)."""
        validate_bigquery_names()
        validate_duckdb_memory_limit()
        current = target()
        if current == LOCAL_TARGET:
            return cls(target=current, duckdb_path=duckdb_path(), partitions_start=partitions_start(),
                       dbt_target_path=dbt_target_path())
        bigquery_job_limits()  # bad limits fail the load, not the first query
        return cls(
            target=current,
            duckdb_path=duckdb_path(),
            partitions_start=partitions_start(),
            bigquery_project=bigquery_project(),
            bigquery_location=bigquery_location(),
            raw_events_table_ref=raw_events_table_ref(),
            observe_days=observe_days(),
            dbt_target_path=dbt_target_path(),
        )

    def dbt_environment(self) -> dict[str, str]:
        """The variables profiles.yml reads, as these settings resolved them: dbt's partial parsing
        holds only for the profile it parsed with, the DuckDB path included."""
        return {"MEASURE_TARGET": self.target, "MEASURE_DUCKDB_PATH": str(self.duckdb_path)}


# The settings of the definitions being built: definitions.build_defs sets them around Dagster's
# loading of defs/, whose @dg.definitions functions read them (they take no argument of ours).
_active: ContextVar[MeasureSettings | None] = ContextVar("measure_settings", default=None)


@contextmanager
def using(measure_settings: MeasureSettings) -> Iterator[MeasureSettings]:
    token = _active.set(measure_settings)
    try:
        yield measure_settings
    finally:
        _active.reset(token)


def active_settings() -> MeasureSettings:
    """The settings build_defs is loading with; outside it (`dg` loading defs/ alone), the environment's."""
    return _active.get() or MeasureSettings.from_env()
