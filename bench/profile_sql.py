"""One compiled model's SQL, profiled on DuckDB: `python -m bench.profile_sql WAREHOUSE COMPILED.sql [--repeat N]`.

Runs `create or replace table scratch.profiled as <sql>` on the warehouse (a copy: it writes),
with the dbt profile's settings, and prints wall and process CPU seconds per repetition (CPU is
the steadier figure on a shared machine), then the last repetition's operator tree from DuckDB's
JSON profiler (operator, its own seconds summed over threads, rows out). Compile the model first,
e.g. `cd dbt_project && dbt compile --select events_cleaned --profiles-dir . --target local`
(the SQL is then under target/compiled/measure_js/models/...).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time

import duckdb


def operator_lines(node: dict, depth: int = 0) -> list[str]:
    extra = node.get("extra_info", {})
    hint = next((f" {key}={str(extra[key])[:80]}" for key in ("CTE Name", "Table", "Join Type", "Aggregates", "Projections")
                 if key in extra), "")
    lines = [f"{'  ' * depth}{node['name']} {node.get('timing', 0):.2f}s rows={node.get('intermediate_rows', '')}{hint}"]
    for child in node.get("children", []):
        lines += operator_lines(child, depth + 1)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse")
    parser.add_argument("sql")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    sql = open(args.sql).read()
    con = duckdb.connect(args.warehouse)
    for setting in ("set TimeZone = 'UTC'", "set preserve_insertion_order = false", "set enable_progress_bar = false",
                    f"set memory_limit = '{os.environ.get('MEASURE_DUCKDB_MEMORY_LIMIT', '3GB')}'",
                    "create schema if not exists scratch"):
        con.execute(setting)
    with tempfile.TemporaryDirectory() as tmp:
        profile = os.path.join(tmp, "profile.json")
        for repetition in range(args.repeat):
            if repetition == args.repeat - 1:
                con.execute("set enable_profiling = 'json'")
                con.execute(f"set profiling_output = '{profile}'")
            before, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
            con.execute(f"create or replace table scratch.profiled as {sql}")
            wall, after = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
            cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            print(f"repetition {repetition + 1}: wall {wall:.2f} s, CPU {cpu:.2f} s, load {os.getloadavg()[0]:.1f}", flush=True)
        con.execute("set enable_profiling = 'no_output'")
        tree = json.load(open(profile))
    rows = con.execute("select count(*) from scratch.profiled").fetchone()[0]
    print(f"{rows} rows")
    for operator in tree["operator"]:
        print("\n".join(operator_lines(operator)))


if __name__ == "__main__":
    main()
