"""Retention: keeping each tier of data only as long as allowed, on the local DuckDB warehouse.

Every model declares its tier in its dbt YAML (`config.meta.retention`), the raw tables here:
- `events`: event-level rows (raw events, rejected rows, quarantine, events_cleaned, ...), by the
  event's date; default 14 months (the Measure.js guide's recommendation for raw events);
- `visitors`: session rows by the session's date, and the per-visitor state (users, user_map,
  visitor_days, ...) by visitor: a visitor not seen since the cut loses every row, a visitor seen
  since keeps its whole state, so first-seen dates stay right across the cut; default 14 months;
- `aggregates`: the marts, which hold no identifier; default kept forever (0).

Each tier's cut is a date: rows before it go. The Dagster asset (defs/privacy/) then rebuilds the
partitions from the event cut on, so a session cut in two by the cut becomes what a full refresh
over the retained events makes of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from measure_dagster.privacy.erasure import LOG_SCHEMA, table_exists

TIERS = ("events", "visitors", "aggregates")
LOG_TABLE = f"{LOG_SCHEMA}.retention_log"
# the tables dbt does not build
RAW_RULES = (("raw", "events", "events", "timestamp"), ("raw", "events_rejected", "events", "loaded_at"))
# the per-visitor activity the `visitors` tier judges a visitor by
VISITOR_ACTIVITY = ("core", "users_incremental", "last_seen")


@dataclass(frozen=True)
class Rule:
    schema: str
    table: str
    tier: str
    column: str | None  # None: by visitor

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (the month's last day where it is shorter)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    return date(year, month, min(day.day, 28))


def cuts(today: date, months: dict[str, int]) -> dict[str, date]:
    """Each tier's cut (0 months: kept forever, no cut)."""
    return {tier: months_before(today, n) for tier, n in months.items() if n > 0}


def rules(manifest_path: Path) -> list[Rule]:
    """The raw tables' rules and every model's `meta.retention` (models without one: never cut)."""
    found = [Rule(*rule) for rule in RAW_RULES]
    for node in json.loads(manifest_path.read_text())["nodes"].values():
        retention = node["config"].get("meta", {}).get("retention")
        if node["resource_type"] != "model" or not retention:
            continue
        if retention.get("tier") not in TIERS or (retention.get("by") != "visitor") == (retention.get("column") is None):
            raise ValueError(f"model {node['name']}: meta.retention must be {{tier: events|visitors|aggregates, "
                             f"column: <date column>}} or {{tier: ..., by: visitor}}; got {retention}")
        found.append(Rule(node["schema"], node["alias"], retention["tier"], retention.get("column")))
    return found


def ensure_log_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {LOG_SCHEMA}")
    con.execute(f"""create table if not exists {LOG_TABLE} (
        applied_at TIMESTAMP, run_id VARCHAR, tier VARCHAR, cut_date DATE, rows_removed VARCHAR)""")


def apply(con: duckdb.DuckDBPyConnection, table_rules: list[Rule], tier_cuts: dict[str, date], run_id: str,
          now: datetime) -> dict[str, int]:
    """Delete every row before its tier's cut and log it per tier, in one transaction; {table: rows}."""
    ensure_log_table(con)
    removed: dict[str, int] = {}
    con.begin()
    try:
        visitors_cut = tier_cuts.get("visitors")
        schema, table, column = VISITOR_ACTIVITY
        con.execute("create or replace temp table expired_visitors (visitor_key VARCHAR)")
        if visitors_cut is not None and table_exists(con, schema, table):
            con.execute(f"insert into expired_visitors select visitor_key from {schema}.{table} "
                        f"group by visitor_key having max(cast({column} as date)) < ?", [visitors_cut])
        by_tier: dict[str, dict[str, int]] = {tier: {} for tier in tier_cuts}
        for rule in table_rules:
            cut = tier_cuts.get(rule.tier)
            if cut is None or not table_exists(con, rule.schema, rule.table):
                continue
            if rule.column is None:
                count = con.execute(f'delete from "{rule.schema}"."{rule.table}" '
                                    "where visitor_key in (select visitor_key from expired_visitors)").fetchall()[0][0]
            else:
                sql = f'delete from "{rule.schema}"."{rule.table}" where cast("{rule.column}" as date) < ?'
                count = con.execute(sql, [cut]).fetchall()[0][0]
            by_tier[rule.tier][rule.name] = count
            if count:
                removed[rule.name] = count
        for tier, counts in by_tier.items():
            con.execute(f"insert into {LOG_TABLE} values (?, ?, ?, ?, ?)",
                        [now, run_id, tier, tier_cuts[tier], json.dumps({k: v for k, v in counts.items() if v}, sort_keys=True)])
        con.execute("drop table expired_visitors")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return removed


def _kept_table(rule: Rule) -> str:
    return f"{LOG_SCHEMA}.retention_kept__{rule.schema}__{rule.table}"


def keep_aggregates(con: duckdb.DuckDBPyConnection, table_rules: list[Rule], first: date, cut: date) -> None:
    """Save the aggregate-tier rows of [first, cut): rebuilding the days from the event cut on
    rewrites the look-back days before it from the retained events, and the aggregates are kept
    as they were computed (restore_aggregates puts them back). Persistent tables: a run killed
    between the two leaves them for the next run to restore."""
    con.begin()
    try:
        for rule in table_rules:
            if rule.tier == "aggregates" and rule.column and table_exists(con, rule.schema, rule.table):
                con.execute(f'create or replace table {_kept_table(rule)} as select * from "{rule.schema}"."{rule.table}" '
                            f'where cast("{rule.column}" as date) >= ? and cast("{rule.column}" as date) < ?', [first, cut])
                con.execute(f"comment on table {_kept_table(rule)} is '{first.isoformat()}/{cut.isoformat()}'")
        con.commit()
    except BaseException:
        con.rollback()
        raise


def restore_aggregates(con: duckdb.DuckDBPyConnection, table_rules: list[Rule]) -> list[str]:
    """Put back the rows keep_aggregates saved (of this run, or of a run killed before it could)."""
    restored = []
    con.begin()
    try:
        for rule in table_rules:
            kept = _kept_table(rule)
            if rule.tier != "aggregates" or not rule.column or not table_exists(con, *kept.split(".")):
                continue
            (span,) = con.execute("select comment from duckdb_tables() where schema_name = ? and table_name = ?",
                                  kept.split(".")).fetchall()[0]
            first, cut = (date.fromisoformat(day) for day in span.split("/"))
            con.execute(f'delete from "{rule.schema}"."{rule.table}" '
                        f'where cast("{rule.column}" as date) >= ? and cast("{rule.column}" as date) < ?', [first, cut])
            con.execute(f'insert into "{rule.schema}"."{rule.table}" select * from {kept}')
            con.execute(f"drop table {kept}")
            restored.append(rule.name)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return restored
