#!/usr/bin/env bash
# The effect of Measure.js's session definition (dbt vars split_session_on_new_source and
# require_pageview) on the sample traffic: sessions, sessions without a pageview, mean duration,
# in the default definition and in upstream's; and the effect of the other deviations the README's
# parity table measures on the sample (streamed duplicates, the two bot patterns, hash-only
# sessions under upstream's '' client_id). README, parity section.
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
touch "$work/dagster_home/dagster.yaml"
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
deviations() {
  .venv/bin/python - <<'PY'
import os, duckdb
UPSTREAM_BOTS = r"[Bb]ot|[sS]ite|measure|Adwords|censys|jsdom|python|http|[Tt]ask|[Tt]est|[Hh]eadless|[Ss]pider"
with duckdb.connect(os.environ["MEASURE_DUCKDB_PATH"], read_only=True) as con:
    ours = os.environ["BOT_PATTERN"]  # the dbt var bot_user_agent_pattern (case-insensitive)
    raw, distinct = con.execute(
        "select count(*), (select count(*) from (select distinct * exclude (ab_test), to_json(ab_test) from raw.events)) "
        "from raw.events").fetchone()
    print(f"raw events {raw}  exact duplicate rows {raw - distinct}")
    bot = "coalesce(device.is_bot, false) or regexp_matches({}, ?)"
    up, here, only_up, only_here = con.execute(f"""
        select count(*) filter (where up), count(*) filter (where here),
               count(*) filter (where up and not here), count(*) filter (where here and not up)
        from (select {bot.format('user_agent')} as up, {bot.format('lower(user_agent)')} as here from raw.events)""",
        [UPSTREAM_BOTS, ours.lower()]).fetchone()
    print(f"bot events: upstream's pattern {up}  ours {here}  only upstream's {only_up}  only ours {only_here}")
PY
}
anonymous() {
  .venv/bin/python - <<'PY'
import os, duckdb
with duckdb.connect(os.environ["MEASURE_DUCKDB_PATH"], read_only=True) as con:
    direct, inherit, same = con.execute("""
        with anonymous as (select * from core.sessions where client_id is null)
        select
          count(*) filter (where source = '(direct)'),
          count(*) filter (where source = '(direct)' and exists (
              select 1 from anonymous other
              where other.visitor_key != anonymous.visitor_key and other.source != '(direct)'
                and not other.is_inherited_source and other.session_start < anonymous.session_start
                and other.session_start > anonymous.session_start - interval 30 day)),
          count(*) filter (where exists (
              select 1 from anonymous other
              where other.session_start = anonymous.session_start and other.visitor_key != anonymous.visitor_key))
        from anonymous""").fetchone()
    print(f"hash-only sessions: direct {direct}, of which another visitor's source within 30 days {inherit}; "
          f"sharing a start instant with another visitor {same}")
PY
}
.venv/bin/measure-dagster materialize --start "$first" --end "$last" > "$work/materialize.log"
BOT_PATTERN=$(sed -n 's/^  bot_user_agent_pattern: "\(.*\)"$/\1/p' dbt_project/dbt_project.yml) deviations
stats default
vars='{split_session_on_new_source: true, require_pageview: false}'
(cd dbt_project && ../.venv/bin/dbt run --quiet --profiles-dir . --full-refresh --vars "$vars" --select events_sessionated+)
stats split
vars='{split_session_on_new_source: true, require_pageview: true}'
(cd dbt_project && ../.venv/bin/dbt run --quiet --profiles-dir . --full-refresh --vars "$vars" --select events_sessionated+)
stats upstream
anonymous
