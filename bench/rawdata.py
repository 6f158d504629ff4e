"""Raw events for the benchmark: generated once per (events, days, seed, start), cached in bench/results.

The generator is pure Python (~40k events/s on one core), so the days are split into one
contiguous chunk per worker process (`generate_days` simulates every start day once within a
chunk; the chunk's first day re-simulates the day before it, as `generate_day` does), each day
written to Parquet, then loaded into `raw.events` of a DuckDB file in one insert.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SEED = 42


def _chunk(args: tuple[str, str, int, int, str]) -> int:
    start, end, per_day, seed, out = args
    import pyarrow.parquet as pq

    from measure_dagster.raw import generator

    day, rows = date.fromisoformat(start), 0
    for table in generator.generate_days(day, date.fromisoformat(end), per_day, seed):
        pq.write_table(table, os.path.join(out, f"{day.isoformat()}.parquet"), compression="zstd")
        rows += table.num_rows
        day += timedelta(days=1)
    return rows


def raw_file(events: int, days: int, start: date, seed: int = SEED, workers: int | None = None) -> tuple[Path, float, bool]:
    """The cached DuckDB file holding raw.events; (path, seconds spent now, was cached)."""
    path = RESULTS / f"raw_{events}_{days}d_{start.isoformat()}_seed{seed}.duckdb"
    if path.exists():
        return path, 0.0, True
    import duckdb

    from measure_dagster.raw import files

    t0 = time.perf_counter()
    per_day = max(1, round(events / days))
    workers = workers or max(1, min(os.cpu_count() or 1, days))
    tmp = RESULTS / f"tmp_parquet_{events}_{days}_{seed}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    bounds = [start + timedelta(days=round(i * days / workers)) for i in range(workers + 1)]
    jobs = [(bounds[i].isoformat(), bounds[i + 1].isoformat(), per_day, seed, str(tmp))
            for i in range(workers) if bounds[i] < bounds[i + 1]]
    with mp.get_context("fork").Pool(len(jobs)) as pool:
        pool.map(_chunk, jobs)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    con = duckdb.connect(str(partial))
    try:
        files.ensure_raw_tables(con)
        con.execute(f"insert into raw.events by name select * from read_parquet('{tmp}/*.parquet') order by timestamp")
        con.execute("checkpoint")
    finally:
        con.close()
    partial.rename(path)
    shutil.rmtree(tmp, ignore_errors=True)
    return path, time.perf_counter() - t0, False
