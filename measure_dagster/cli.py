"""`measure-dagster`: run the pipeline through Dagster from a shell.

    measure-dagster materialize [--start YYYY-MM-DD --end YYYY-MM-DD] [--if-missing] [--verbose]
    measure-dagster erase (--client-id ID | --user-id ID | --hash HASH)

Runs in this process, recorded in the Dagster instance of DAGSTER_HOME (the project's
dagster_home/ by default), so the runs show in the UI. Prints one line per step and per asset
as it is materialized, the checks that failed or warned, and a summary with the run's link in
the UI; `--verbose` prints Dagster's full event log and dbt's output instead. Exits non-zero
when the run fails, including when a blocking asset check fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import warnings
from datetime import UTC, date, datetime, timedelta

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
    materialize.add_argument(
        "--if-missing", action="store_true",
        help="only the days some asset has no materialization of in the instance (first to last such day); "
        "nothing when every partition of every asset is materialized (what `make dev` runs)",
    )
    materialize.add_argument("-v", "--verbose", action="store_true",
                             help="Dagster's full event log, dbt's output and library warnings instead of the concise view")
    erase = commands.add_parser(
        "erase",
        help="erase a person from every table and rebuild the days that counted them (docs/privacy.md)",
        description="Run the Dagster job erase_visitor for one identifier: every row about that person goes "
        "from every table, the affected days are rebuilt, and the check erased_visitors_absent proves it. "
        "Re-running finishes an erasure that failed halfway.",
    )
    identifier = erase.add_mutually_exclusive_group(required=True)
    identifier.add_argument("--client-id", help="the consent cookie's client_id")
    identifier.add_argument("--user-id", help="a login's user_id (every visitor key linked to it goes too)")
    identifier.add_argument("--hash", help="the daily fingerprint of a visitor without consent")
    identifier.add_argument("--pending", action="store_true", help="only finish the erasures a failed run left pending "
                            "(on BigQuery also rows that were still in the collector's streaming buffer)")
    erase.add_argument("-v", "--verbose", action="store_true", help="Dagster's full event log")
    load_sample = commands.add_parser(
        "load-sample",
        help="materialize only raw/events for every partition",
    )
    load_sample.add_argument("-v", "--verbose", action="store_true", help="Dagster's full event log")
    return parser


def _partition_range(start: date | None, end: date | None) -> tuple[str, str]:
    first = date.fromisoformat(settings.partitions_start())
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    start, end = start or first, end or yesterday
    if start > end:
        raise SystemExit(f"measure-dagster: --start {start} is after --end {end}")
    if start < first:
        raise SystemExit(f"measure-dagster: --start {start} is before the first partition {first} (MEASURE_PARTITIONS_START)")
    if end > yesterday:
        raise SystemExit(f"measure-dagster: --end {end} is not a complete day yet (the latest partition is {yesterday})")
    return start.isoformat(), end.isoformat()


def missing_range(instance, asset_graph, first: str, last: str) -> tuple[str, str] | None:
    """The days first..last that some materializable asset has no materialization of in the
    instance, as (first missing, last missing); the last day alone when only an unpartitioned
    asset is missing (it reads every partition anyway); None when nothing is."""
    if settings.is_local() and not settings.duckdb_path().exists():
        return first, last  # the instance remembers tables that are gone
    days = [d.isoformat() for d in _days(date.fromisoformat(first), date.fromisoformat(last))]
    missing_days: set[str] = set()
    unpartitioned_missing = False
    from measure_dagster.keys import PRIVACY_LOG_KEYS

    for key in asset_graph.materializable_asset_keys - set(PRIVACY_LOG_KEYS):
        if asset_graph.get(key).partitions_def is None:
            unpartitioned_missing |= instance.get_latest_materialization_event(key) is None
        else:
            done = instance.get_materialized_partitions(key)
            missing_days.update(day for day in days if day not in done)
    if missing_days:
        return min(missing_days), max(missing_days)
    return (last, last) if unpartitioned_missing else None


def _days(first: date, last: date):
    while first <= last:
        yield first
        first += timedelta(days=1)


@contextlib.contextmanager
def _terminal_for_the_report(verbose: bool):
    """The stream the concise report writes to. Without --verbose, what Dagster and dbt write to
    stdout during the run (dagster-dbt re-emits every dbt log line there) still reaches the
    run's compute logs (Dagster captures fd 1 per step; the UI's stdout tab), but not the
    terminal: fd 1 points to /dev/null while the report writes to a copy of the original."""
    sys.stdout.flush()
    if verbose:
        yield sys.stdout
        return
    saved = os.dup(1)
    report = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8", errors="replace")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    try:
        yield report
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        report.close()


def _use_dagster_home() -> None:
    """DAGSTER_HOME, default the project's instance (MEASURE_DAGSTER_INSTANCE), created if missing."""
    from measure_dagster.instance import default_dagster_home

    if "DAGSTER_HOME" not in os.environ:
        os.environ["DAGSTER_HOME"] = str(default_dagster_home())
    os.makedirs(os.environ["DAGSTER_HOME"], exist_ok=True)


def _print_step_failures(result) -> None:
    """Each failed step's reason, last and alone (a dagster.Failure's description is one sentence
    naming the problem)."""
    for event in result.all_events:
        if event.is_step_failure and event.event_specific_data.error is not None:
            reason = event.event_specific_data.error.message.strip().splitlines()[0]
            print(f"measure-dagster: {event.step_key}: {reason.removeprefix('dagster._core.definitions.events.Failure: ')}",
                  file=sys.stderr)


def materialize(start: date | None, end: date | None, only_raw_events: bool = False, *,
                if_missing: bool = False, verbose: bool = False) -> int:
    import uuid

    import dagster as dg

    from measure_dagster.definitions import build_defs
    from measure_dagster.defs.dbt.assets import dbt_model_keys
    from measure_dagster.defs.schedules.jobs import measure_daily_job
    from measure_dagster.keys import RAW_EVENTS_KEY
    from measure_dagster.partitions import partition_range_tags
    from measure_dagster.recovery import release_runs_of_dead_processes
    from measure_dagster.run_report import RunReport

    first, last = _partition_range(start, end)
    _use_dagster_home()
    measure_settings = settings.MeasureSettings.from_env()
    defs = build_defs(measure_settings)
    job = defs.resolve_job_def(measure_daily_job.name)
    what = "raw events" if only_raw_events else "raw events and every dbt model"
    with dg.DagsterInstance.get() as instance:
        if if_missing:
            todo = missing_range(instance, defs.resolve_asset_graph(), first, last)
            if todo is None:
                print(f"measure-dagster: every partition {first} .. {last} of every asset is materialized "
                      f"(DAGSTER_HOME={os.environ['DAGSTER_HOME']}); nothing to do", flush=True)
                return 0
            first, last = todo
        print(f"measure-dagster: materializing {what}, {first} .. {last} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})", flush=True)
        # a run killed with its process still holds the duckdb pool's slot: this run would wait forever
        for run_id in release_runs_of_dead_processes(instance):
            print(f"measure-dagster: run {run_id} was killed with its process; marked failed, its pool slot released", flush=True)
        dbt_models = set() if only_raw_events else dbt_model_keys(measure_settings)
        run_id = str(uuid.uuid4())
        started_at = datetime.now(UTC)
        is_terminal = sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
        with _terminal_for_the_report(verbose) as out:
            report = RunReport(dbt_models, out=out, progress_bar=is_terminal and not verbose, show_lines=not verbose,
                               partition_count=(date.fromisoformat(last) - date.fromisoformat(first)).days + 1)
            instance.add_event_listener(run_id, report)
            try:
                result = job.execute_in_process(
                    instance=instance,
                    run_id=run_id,
                    tags=partition_range_tags(first, last),
                    asset_selection=[RAW_EVENTS_KEY] if only_raw_events else None,
                    # the concise report replaces Dagster's console log (the event log is stored all the same)
                    run_config=None if verbose else {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
                    raise_on_error=False,
                )
            finally:
                report.close()
            for line in report.summary(run_id, result.success, settings.ui_url(), started_at):
                print(line, file=out, flush=True)
    failed_checks = [
        evaluation.asset_check_key.to_user_string()
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]
    if failed_checks:
        print(f"measure-dagster: failed checks: {', '.join(sorted(failed_checks))}", file=sys.stderr)
    if not result.success:
        failed_steps = [event.step_key for event in result.all_events if event.is_step_failure]
        print(f"measure-dagster: run {result.run_id} failed (steps: {', '.join(failed_steps) or 'none'})", file=sys.stderr)
        _print_step_failures(result)
        return 1
    return 0


def erase(identifier: dict[str, str], verbose: bool = False) -> int:
    """Run the job erase_visitor for one identifier (none: finish pending erasures)."""
    import dagster as dg

    from measure_dagster.definitions import build_defs
    from measure_dagster.defs.privacy.erasure import ERASE_VISITOR_JOB
    from measure_dagster.keys import ERASURE_LOG_KEY

    _use_dagster_home()
    job = build_defs(settings.MeasureSettings.from_env()).resolve_job_def(ERASE_VISITOR_JOB)
    op = "__".join(ERASURE_LOG_KEY.path)
    with dg.DagsterInstance.get() as instance, _terminal_for_the_report(verbose) as out:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"ops": {op: {"config": identifier}},
                        **({} if verbose else {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})},
        )
        _report_erasure(result, out)
    if not result.success:
        _print_step_failures(result)
        return 1
    return 0


def _report_erasure(result, out) -> None:
    from measure_dagster.keys import ERASURE_LOG_KEY

    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if materialization.asset_key != ERASURE_LOG_KEY:
            continue
        metadata = {key: value.value for key, value in materialization.metadata.items()}
        print(f"measure-dagster: erased {metadata.get('rows_removed_total', 0)} rows "
              f"{json.dumps(metadata.get('rows_removed', {}), sort_keys=True)}; erasures completed: "
              f"{metadata.get('erasures_completed')}; days rebuilt: "
              f"{metadata.get('rebuilt_from', 'none')} .. {metadata.get('rebuilt_to', 'none')}", file=out, flush=True)
        if metadata.get("rows_in_streaming_buffer"):
            print(f"measure-dagster: {metadata['rows_in_streaming_buffer']} rows are still in BigQuery's streaming buffer; "
                  "the next run (schedule finish_pending_erasures_schedule, or `erase --pending`) deletes them",
                  file=out, flush=True)
    for evaluation in result.get_asset_check_evaluations():
        verdict = "passed" if evaluation.passed else "FAILED"
        print(f"measure-dagster: check {evaluation.asset_check_key.name} {verdict}", file=out, flush=True)
    print(f"measure-dagster: run {result.run_id} {'succeeded' if result.success else 'failed'} "
          f"({settings.ui_url()}/runs/{result.run_id})", file=out, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.verbose:
        # library warnings (Dagster's BetaWarning at import, deprecations) are for --verbose
        warnings.simplefilter("ignore")
    if args.command == "materialize":
        return materialize(args.start, args.end, if_missing=args.if_missing, verbose=args.verbose)
    if args.command == "erase":
        identifier = {name: value for name in ("client_id", "user_id", "hash") if (value := getattr(args, name))}
        return erase(identifier, verbose=args.verbose)
    if args.command == "load-sample":
        if not settings.is_local():
            # on BigQuery raw/events is the collector's table: observed, never loaded by us
            raise SystemExit(f"measure-dagster: load-sample loads the local DuckDB; MEASURE_TARGET is {settings.target()!r}")
        return materialize(None, None, only_raw_events=True, verbose=args.verbose)
    return 2


if __name__ == "__main__":
    sys.exit(main())
