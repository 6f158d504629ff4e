"""Dagster's overhead over plain dbt, on the SQLite and on the PostgreSQL instance, in one run:
`make bench-instance INSTANCE_ARGS="--days 3 --events-per-day 2000 --repeat 2"`.

Generated traffic for `--days` days (MEASURE_PARTITIONS_START = the first), loaded once. Then,
interleaved, `--repeat` times (the minimum is reported):

  dbt_plain          the two `dbt build` invocations a range run makes (partitioned models with
                     --event-time-start/--event-time-end, then the full-history models), no Dagster
  dagster_sqlite     `measure-dagster materialize --start --end` on a SQLite instance (dagster_home/dagster.yaml)
  dagster_postgres   the same on the PostgreSQL instance (dagster_home/postgres/dagster.yaml), on a
                     server scripts/postgres.sh starts in a temporary folder

A Dagster run also reloads the raw events of its days (the generator, well under a second here)
and runs the source and anomaly checks; overhead = run - dbt_plain. The event-log entries of
the run are counted from the instance. Writes bench/results/instance_overhead.json.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from measure_dagster.defs.resources.dbt import dbt_run_environment

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
BIN = Path(sys.executable).parent


def _timed(command: list[str], env: dict, cwd: Path = REPO) -> float:
    started = time.monotonic()
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{completed.stdout[-2000:]}\n{completed.stderr[-2000:]}")
    return time.monotonic() - started


def _event_count(home: Path, env: dict) -> int:
    code = ("import dagster as dg; from dagster._core.instance.ref import InstanceRef; import sys;"
            "i = dg.DagsterInstance.from_ref(InstanceRef.from_dir(sys.argv[1]));"
            "r = i.get_runs(limit=1)[0]; print(len(i.all_logs(r.run_id)))")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code, str(home)], env=env, capture_output=True, text=True,
                         check=True)
    return int(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--first-day", default="2026-10-01")
    parser.add_argument("--events-per-day", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="measure-instance-bench-"))
    work.chmod(0o755)  # the PostgreSQL server runs as the postgres user
    last = (date.fromisoformat(args.first_day) + timedelta(days=args.days - 1)).isoformat()
    end = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    env = {**os.environ, "MEASURE_DUCKDB_PATH": str(work / "measure.duckdb"), "MEASURE_PARTITIONS_START": args.first_day,
           "MEASURE_SAMPLE_EVENTS_PER_DAY": str(args.events_per_day), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           # what the code location sets for its dbt, so plain dbt does the same work
           **dbt_run_environment(None, "local"),
           "PATH": f"{BIN}:{os.environ['PATH']}"}
    env.pop("MEASURE_EVENTS_PATH", None)
    pg_env = {**env, "MEASURE_PG_DATA": str(work / "pg"), "MEASURE_PG_PORT": ""}
    script = str(REPO / "scripts" / "postgres.sh")
    subprocess.run(["bash", script, "start"], env=pg_env, check=True)
    url = subprocess.run(["bash", script, "url"], env=pg_env, check=True, capture_output=True, text=True).stdout.strip()
    homes = {"dagster_sqlite": (work / "home_sqlite", REPO / "dagster_home" / "dagster.yaml", {}),
             "dagster_postgres": (work / "home_postgres", REPO / "dagster_home" / "postgres" / "dagster.yaml",
                                  {"MEASURE_DAGSTER_PG_URL": url})}
    for home, config, _ in homes.values():
        home.mkdir()
        shutil.copy(config, home / "dagster.yaml")
    try:
        from measure_dagster.defs.dbt.assets import full_history_selection

        dbt = [str(BIN / "dbt"), "build", "--profiles-dir", ".", "--target", "local"]
        plain = [[*dbt, "--event-time-start", args.first_day, "--event-time-end", end, "--select", "tag:partitioned"],
                 [*dbt, "--select", *full_history_selection(REPO / "dbt_project" / "target" / "manifest.json").split()]]
        # the raw events and every model once (parse state, tables), through Dagster on SQLite
        home, _, extra = homes["dagster_sqlite"]
        materialize = [str(BIN / "measure-dagster"), "materialize", "--start", args.first_day, "--end", last]
        _timed(materialize, {**env, "DAGSTER_HOME": str(home)})
        times: dict[str, list[float]] = {"dbt_plain": [], "dagster_sqlite": [], "dagster_postgres": []}
        events: dict[str, int] = {}
        for _ in range(args.repeat):
            times["dbt_plain"].append(sum(_timed(command, env, cwd=REPO / "dbt_project") for command in plain))
            for name, (home, _, extra) in homes.items():
                run_env = {**env, "DAGSTER_HOME": str(home), **extra}
                times[name].append(_timed(materialize, run_env))
                events[name] = _event_count(home, run_env)
            print({name: round(values[-1], 1) for name, values in times.items()}, flush=True)
        best = {name: round(min(values), 1) for name, values in times.items()}
        report = {"days": args.days, "events_per_day": args.events_per_day, "repeat": args.repeat,
                  "seconds_min": best, "seconds_all": {k: [round(v, 1) for v in vs] for k, vs in times.items()},
                  "overhead_seconds": {name: round(best[name] - best["dbt_plain"], 1) for name in homes},
                  "event_log_entries_per_run": events}
        print(json.dumps(report, indent=2))
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "instance_overhead.json").write_text(json.dumps(report, indent=2) + "\n")
    finally:
        subprocess.run(["bash", script, "stop"], env=pg_env, check=False)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
