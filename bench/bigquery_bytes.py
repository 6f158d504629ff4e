"""Estimated BigQuery bytes per model of one daily run: `make bigquery-bytes` =
`python -m bench.bigquery_bytes [--events-per-day 1000000] [--history-days 365]`.

- Which columns and which days each model reads come from Google's GoogleSQL analyzer
  (measure_dagster_tests/googlesql.py) over the SQL compiled offline for the prod target in
  partition-window form (one daily window): per table scan, the columns it references (unused
  columns pruned) and the days its `column >= literal and column < literal` filter keeps. A scan
  without such a filter reads the whole table: every day of history.
- How many bytes a column holds per row comes from the local warehouse after `make run` (the
  sample traffic), in BigQuery's logical sizes (STRING 2 + UTF-8 bytes, INT64 / FLOAT64 /
  TIMESTAMP / DATE 8, BOOL 1, STRUCT and ARRAY the sum of their parts, NULL 0), scaled linearly
  from the sample's events per day to --events-per-day.

- The per-visitor state models (incremental `merge` on BigQuery: user_map, users_incremental,
  users, sessions, experiment_visitors) also read their own table in the MERGE, which BigQuery
  bills as every column of the target: added as a scan of the model's own table, all columns,
  all history.

An upper bound per scan: through `select *` in a CTE the analyzer keeps columns that BigQuery's
optimizer may still prune; clustering (the state and its partials are clustered by visitor_key)
prunes blocks only at run time, which no offline estimate sees; and tables that grow with
history (sessions, users) are assumed to grow linearly, which overstates visitor tables for
returning visitors.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

from measure_dagster.settings import DBT_PROJECT_DIR, REPO_ROOT
from measure_dagster_tests.bigquery_offline import compile_offline
from measure_dagster_tests.googlesql import running_analyzer
from measure_dagster_tests.sql_gate import dag_order, raw_catalog, run_gate

WINDOW = {"partition_start": "2026-10-30", "partition_end": "2026-10-31"}


def _bytes_expression(column: str, duck_type: str) -> str:
    """BigQuery's logical size of a DuckDB value, as a DuckDB SQL expression."""
    duck_type = duck_type.strip()
    if duck_type.endswith("[]"):
        return f"coalesce(list_sum(list_transform({column}, lambda x: {_bytes_expression('x', duck_type[:-2])})), 0)"
    if duck_type.startswith("STRUCT("):
        fields = _struct_fields(duck_type[len("STRUCT("):-1])
        return "(" + " + ".join(f"coalesce({_bytes_expression(f'{column}.{name}', t)}, 0)" for name, t in fields) + ")"
    if duck_type == "VARCHAR":
        return f"coalesce(2 + strlen({column}), 0)"
    if duck_type == "BOOLEAN":
        return f"(case when {column} is null then 0 else 1 end)"
    return f"(case when {column} is null then 0 else 8 end)"


def _struct_fields(body: str) -> list[tuple[str, str]]:
    fields, depth, current = [], 0, ""
    for ch in body + ",":
        if ch == "," and depth == 0:
            name, _, type_ = current.strip().partition(" ")
            fields.append((name.strip('"'), type_))
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    return fields


def column_bytes(con, schema: str, table: str) -> tuple[dict[str, float], int]:
    """Average bytes per row of each column, and the table's row count."""
    columns = con.execute("select column_name, data_type from information_schema.columns "
                          "where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
    quoted = f'"{schema}"."{table}"'
    sums = ", ".join(f'sum({_bytes_expression(chr(34) + name + chr(34), type_)})' for name, type_ in columns)
    row = con.execute(f"select count(*), {sums} from {quoted}").fetchone()
    rows = row[0] or 0
    return {name: (total or 0) / max(rows, 1) for (name, _), total in zip(columns, row[1:], strict=True)}, rows


def _sizes_or_empty(con, relation: tuple[str, str]) -> tuple[dict[str, float], int]:
    try:
        return column_bytes(con, *relation)
    except duckdb.CatalogException:
        return {}, 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events-per-day", type=int, default=1_000_000)
    parser.add_argument("--history-days", type=int, default=365)
    parser.add_argument("--warehouse", default=os.environ.get("MEASURE_DUCKDB_PATH", str(REPO_ROOT / "data" / "measure.duckdb")))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        project = work / "dbt_project"
        shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
        manifest = compile_offline(project, work, "prod", ["--vars", json.dumps(WINDOW)])

    con = duckdb.connect(args.warehouse, read_only=True)
    raw_days, raw_rows = con.execute("select count(distinct cast(timestamp as date)), count(*) from raw.events").fetchone()
    scale = args.events_per_day / (raw_rows / raw_days)
    sample_days = raw_days
    # local relation of each BigQuery table name: sources and models
    local = {"events": ("raw", "events")}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model":
            local[node["alias"]] = (node["schema"], node["alias"])
    sizes = {}

    def size_of(table: str) -> tuple[dict[str, float], int]:
        if table not in sizes:
            sizes[table] = _sizes_or_empty(con, local[table])
        return sizes[table]

    with running_analyzer() as analyzer:
        catalog = raw_catalog(manifest)
        gate = run_gate(analyzer, manifest, catalog)
        if gate.failed:
            sys.exit(f"the GoogleSQL analyzer rejected: {sorted(gate.failed)}")
        lines = []
        total = 0.0
        for uid in dag_order(manifest):
            node = manifest["nodes"][uid]
            if node["resource_type"] != "model":
                continue
            if node["config"].get("materialized") == "view":
                # CREATE VIEW reads nothing; whoever queries the view pays for what it reads
                lines.append(f"| {node['name']} | (a view) | 0.00 | no |")
                continue
            reads, parts = 0.0, []
            for scan in analyzer.table_scans(node["compiled_code"], catalog):
                table = scan.table.split(".")[-1]
                if table not in local:
                    continue
                per_column, rows = size_of(table)
                per_row = sum(per_column.get(column, 0) for column in scan.columns)
                days = scan.days if scan.days is not None else args.history_days
                scanned = per_row * rows / sample_days * scale * days
                reads += scanned
                parts.append(f"{table}: {len(scan.columns)} col × {'all ' + str(days) if scan.days is None else days} d")
            if node["config"].get("materialized") == "incremental" and node["config"].get("incremental_strategy") == "merge":
                # the MERGE reads the target table whole, every column (BigQuery's DML billing)
                per_column, rows = size_of(node["alias"])
                reads += sum(per_column.values()) * rows / sample_days * scale * args.history_days
                parts.append(f"{node['alias']} (MERGE target): {len(per_column)} col × all {args.history_days} d")
            total += reads
            history = any("all " in part for part in parts)
            lines.append(f"| {node['name']} | {'; '.join(parts)} | {reads / 1e9:,.2f} | {'**yes**' if history else 'no'} |")

    print(f"Estimated bytes read per model, one daily run at {args.events_per_day:,} events/day with "
          f"{args.history_days} days of history (sample: {raw_rows:,} events over {raw_days} days, scaled ×{scale:,.0f}):\n")
    print("| model | scans (columns × days read) | GB read | reads all history |")
    print("|---|---|---:|---|")
    print("\n".join(lines))
    print(f"| **total** | | **{total / 1e9:,.2f}** | |")


if __name__ == "__main__":
    main()
