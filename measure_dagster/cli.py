"""`measure-dagster`: run the pipeline through Dagster from a shell.

    measure-dagster materialize [--start YYYY-MM-DD --end YYYY-MM-DD]

Runs in this process, recorded in the Dagster instance of DAGSTER_HOME (the project's
dagster_home/ by default), so the runs show in the UI. Exits non-zero when the run fails,
including when a blocking asset check fails.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, datetime, timedelta, timezone

from measure_dagster import settings

DEFAULT_DAGSTER_HOME = settings.REPO_ROOT / "dagster_home"


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {value!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="measure-dagster", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    materialize = commands.add_parser(
        "materialize",
        help="materialize raw events and the whole dbt graph for a range of UTC days",
        description="Materialize raw events and every dbt model for the days from --start to --end "
        "(inclusive) as one run; without dates, every partition from MEASURE_PARTITIONS_START to yesterday.",
    )
    materialize.add_argument("--start", type=_date, help="first UTC day (default: the first partition)")
    materialize.add_argument("--end", type=_date, help="last UTC day, inclusive (default: yesterday)")
    commands.add_parser(
        "load-sample",
        help="materialize only raw/events for every partition (what `make dev` loads before the UI starts)",
    )
    return parser


def _partition_range(start: date | None, end: date | None) -> tuple[str, str]:
    first = date.fromisoformat(settings.partitions_start())
    yesterday = datetime.now(timezone.utc).date() - timedelta(days=1)
    start, end = start or first, end or yesterday
    if start > end:
        raise SystemExit(f"measure-dagster: --start {start} is after --end {end}")
    if start < first:
        raise SystemExit(f"measure-dagster: --start {start} is before the first partition {first} (MEASURE_PARTITIONS_START)")
    if end > yesterday:
        raise SystemExit(f"measure-dagster: --end {end} is not a complete day yet (the latest partition is {yesterday})")
    return start.isoformat(), end.isoformat()


def materialize(start: date | None, end: date | None, only_raw_events: bool = False) -> int:
    import dagster as dg
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from measure_dagster.assets.raw_events import RAW_EVENTS_KEY
    from measure_dagster.definitions import defs
    from measure_dagster.jobs import measure_daily_job
    from measure_dagster.recovery import release_runs_of_dead_processes

    first, last = _partition_range(start, end)
    os.environ.setdefault("DAGSTER_HOME", str(DEFAULT_DAGSTER_HOME))
    os.makedirs(os.environ["DAGSTER_HOME"], exist_ok=True)
    job = defs.resolve_job_def(measure_daily_job.name)
    what = "raw events" if only_raw_events else "raw events and every dbt model"
    print(f"measure-dagster: materializing {what}, {first} .. {last} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})", flush=True)
    with dg.DagsterInstance.get() as instance:
        # a run killed with its process still holds the duckdb pool's slot: this run would wait forever
        for run_id in release_runs_of_dead_processes(instance):
            print(f"measure-dagster: run {run_id} was killed with its process; marked failed, its pool slot released", flush=True)
        result = job.execute_in_process(
            instance=instance,
            tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
            asset_selection=[RAW_EVENTS_KEY] if only_raw_events else None,
            raise_on_error=False,
        )
    failed_checks = [
        evaluation.asset_check_key.to_user_string()
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed
    ]
    if failed_checks:
        print(f"measure-dagster: failed checks: {', '.join(sorted(failed_checks))}", file=sys.stderr)
    if not result.success:
        failed_steps = [event.step_key for event in result.all_events if event.is_step_failure]
        print(f"measure-dagster: run {result.run_id} failed (steps: {', '.join(failed_steps) or 'none'})", file=sys.stderr)
        # the reason, last and alone (a dagster.Failure's description is one sentence naming the problem)
        for event in result.all_events:
            if event.is_step_failure and event.event_specific_data.error is not None:
                reason = event.event_specific_data.error.message.strip().splitlines()[0]
                print(f"measure-dagster: {event.step_key}: {reason.removeprefix('dagster._core.definitions.events.Failure: ')}",
                      file=sys.stderr)
        return 1
    print(f"measure-dagster: run {result.run_id} succeeded")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "materialize":
        return materialize(args.start, args.end)
    if args.command == "load-sample":
        if not settings.is_local():
            # on BigQuery raw/events is the collector's table: observed, never loaded by us
            raise SystemExit(f"measure-dagster: load-sample loads the local DuckDB; MEASURE_TARGET is {settings.target()!r}")
        return materialize(None, None, only_raw_events=True)
    return 2


if __name__ == "__main__":
    sys.exit(main())
