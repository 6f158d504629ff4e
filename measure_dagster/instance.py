"""Which Dagster instance the project's commands use (MEASURE_DAGSTER_INSTANCE).

- `sqlite` (default): dagster_home/ — SQLite files beside dagster.yaml, for a laptop.
- `postgres`: dagster_home/postgres/ — runs, event logs and schedules in PostgreSQL
  (dagster-postgres) at MEASURE_DAGSTER_PG_URL; `make postgres` starts a local server.

An explicit DAGSTER_HOME wins over both (as for every Dagster tool).
"""

import os
from pathlib import Path

from measure_dagster.settings import REPO_ROOT

INSTANCES = {"sqlite": REPO_ROOT / "dagster_home", "postgres": REPO_ROOT / "dagster_home" / "postgres"}


def default_dagster_home() -> Path:
    name = os.environ.get("MEASURE_DAGSTER_INSTANCE") or "sqlite"
    if name not in INSTANCES:
        raise ValueError(f"MEASURE_DAGSTER_INSTANCE must be one of {', '.join(INSTANCES)}; got {name!r}")
    if name == "postgres" and not os.environ.get("MEASURE_DAGSTER_PG_URL"):
        raise ValueError("MEASURE_DAGSTER_INSTANCE=postgres needs MEASURE_DAGSTER_PG_URL "
                         "(`make postgres` starts a local server; `bash scripts/postgres.sh url` prints its URL)")
    return INSTANCES[name]
