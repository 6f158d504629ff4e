#!/usr/bin/env bash
# The effect of Measure.js's session definition (dbt vars split_session_on_new_source and
# require_pageview) on the sample traffic: sessions, sessions without a pageview, mean duration,
# in the default definition and in upstream's. README, parity section.
#
#   scripts/session_modes_effect.sh [WORK_DIR] [FIRST_DAY] [LAST_DAY]
#
# Materializes the sample (MEASURE_SAMPLE_EVENTS_PER_DAY, default 2000) through Dagster into a
# DuckDB file of its own under WORK_DIR, then rebuilds the session models with the vars on.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/measure-session-modes}
first=${2:-2026-10-01}
last=${3:-2026-10-14}
mkdir -p "$work/dagster_home"
export MEASURE_DUCKDB_PATH="$work/measure.duckdb" DAGSTER_HOME="$work/dagster_home"
rm -f "$MEASURE_DUCKDB_PATH"
stats() {
  .venv/bin/python - "$1" <<'PY'
import os, sys, duckdb
with duckdb.connect(os.environ["MEASURE_DUCKDB_PATH"], read_only=True) as con:
    n, no_pageview, mean = con.execute(
        "select count(*), count(*) filter (where pageviews = 0), avg(session_duration) from core.sessions").fetchone()
    print(f"{sys.argv[1]:9} sessions {n:6d}  without a pageview {no_pageview:5d}  mean duration {mean:7.1f} s")
PY
}
.venv/bin/measure-dagster materialize --start "$first" --end "$last" > "$work/materialize.log"
stats default
vars='{split_session_on_new_source: true, require_pageview: false}'
(cd dbt_project && ../.venv/bin/dbt run --quiet --profiles-dir . --full-refresh --vars "$vars" --select events_sessionated+)
stats split
vars='{split_session_on_new_source: true, require_pageview: true}'
(cd dbt_project && ../.venv/bin/dbt run --quiet --profiles-dir . --full-refresh --vars "$vars" --select events_sessionated+)
stats upstream
