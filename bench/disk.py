"""Disk after rewriting the same partitions many times: `make bench-disk DISK_ARGS="--rewrites 100"`.

One DuckDB file of generated traffic (`--days` days, `--events-per-day`); the daily job
materializes the same `--days` partitions once (the baseline), then rewrites them `--rewrites`
times, each a run of the daily job through Dagster (raw events, every model, their checks) on an
ephemeral instance. Every `--every` rewrites it records the DuckDB file (+ WAL) size and the
size and number of dagster-dbt's invocation folders in dbt_project/target/ (pruned before each
dbt invocation, measure_dagster/artifacts.py: MEASURE_DBT_ARTIFACTS_KEEP newest kept).
Prints a table and writes bench/results/disk.json.
"""

import argparse
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"


def _mib(size: int) -> float:
    return round(size / 2**20, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rewrites", type=int, default=100)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--first-day", default="2026-10-01")
    parser.add_argument("--events-per-day", type=int, default=2000)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--work", type=Path, default=RESULTS / "disk")
    args = parser.parse_args(argv)

    args.work.mkdir(parents=True, exist_ok=True)
    duckdb_path = args.work / "measure.duckdb"  # the stem stays `measure` (dbt-duckdb's database name)
    for stale in (duckdb_path, duckdb_path.with_name("measure.duckdb.wal")):
        stale.unlink(missing_ok=True)
    os.environ.update({"MEASURE_DUCKDB_PATH": str(duckdb_path), "MEASURE_PARTITIONS_START": args.first_day,
                       "MEASURE_SAMPLE_EVENTS_PER_DAY": str(args.events_per_day)})
    os.environ.pop("MEASURE_EVENTS_PATH", None)

    import dagster as dg

    from measure_dagster.artifacts import (
        directory_bytes,
        invocation_folders,
        keep_setting,
    )
    from measure_dagster_tests.pipeline import assert_success, run_days

    target = REPO / "dbt_project" / "target"
    first = date.fromisoformat(args.first_day)
    last = (first + timedelta(days=args.days - 1)).isoformat()

    def sample(rewrite: int, seconds: float) -> dict:
        duckdb_bytes = sum(p.stat().st_size for p in (duckdb_path, duckdb_path.with_name("measure.duckdb.wal")) if p.exists())
        row = {"rewrite": rewrite, "duckdb_mib": _mib(duckdb_bytes), "target_mib": _mib(directory_bytes(target)),
               "invocation_folders": len(invocation_folders(target)), "run_seconds": round(seconds, 1)}
        print(f"{row['rewrite']:>8} {row['duckdb_mib']:>12} {row['target_mib']:>12} {row['invocation_folders']:>8} "
              f"{row['run_seconds']:>8}", flush=True)
        return row

    print(f"{'rewrite':>8} {'duckdb MiB':>12} {'target MiB':>12} {'folders':>8} {'run s':>8}", flush=True)
    rows = []
    with dg.DagsterInstance.ephemeral() as instance:
        for rewrite in range(args.rewrites + 1):
            started = time.monotonic()
            assert_success(run_days(instance, args.first_day, last))
            if rewrite % args.every == 0 or rewrite == args.rewrites:
                rows.append(sample(rewrite, time.monotonic() - started))
    report = {"days": args.days, "events_per_day": args.events_per_day, "rewrites": args.rewrites,
              "keep": keep_setting(), "samples": rows, "python": sys.version.split()[0]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "disk.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
