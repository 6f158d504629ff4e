"""Schedules.

- measure_daily_at_0200_utc: at 02:00 UTC (the specification's `0 2 * * *`), yesterday's
  partition of raw events and every model downstream of it, then the full-history aggregates.
- observe_raw_events_hourly (BigQuery targets only): at minute 30 of every hour, observes the last
  MEASURE_BQ_OBSERVE_DAYS (default 3) complete days of the collector's table. A day whose row count
  changed (late rows) gets a new data version, and declarative automation (automation.py)
  re-materializes the partitions built from it, as the late-export sensor does locally. Today is
  not observed: it is still streaming in, and its partition does not exist yet.
"""

import functools
from datetime import date, timedelta

import dagster as dg

from measure_dagster.defs.schedules.jobs import measure_daily_job, measure_whole_table_tests
from measure_dagster.keys import RAW_EVENTS_KEY
from measure_dagster.partitions import partition_range_tags
from measure_dagster.settings import MeasureSettings

daily_schedule = dg.build_schedule_from_partitioned_job(
    measure_daily_job,
    hour_of_day=2,
    minute_of_hour=0,
    name="measure_daily_at_0200_utc",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


@functools.cache
def build_observe_raw_events_schedule(settings: MeasureSettings) -> dg.ScheduleDefinition:
    """Hourly: the last settings.observe_days complete days of the collector's table."""
    # The observation alone: in a run with materializations of its downstream assets those would
    # be skipped (defs/raw_events/bigquery.py), and the daily job leaves external assets out.
    observe_raw_events_job = dg.define_asset_job(
        name="observe_raw_events",
        selection=dg.AssetSelection.assets(RAW_EVENTS_KEY),
        description="Observes raw/events (the collector's BigQuery table) for a range of days: rows per day.",
    )

    @dg.schedule(
        name="observe_raw_events_hourly",
        job=observe_raw_events_job,
        cron_schedule="30 * * * *",
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Observes the last MEASURE_BQ_OBSERVE_DAYS complete UTC days of raw/events, so that late rows "
        "re-materialize the partitions built from them (declarative automation).",
    )
    def observe_raw_events_schedule(context: dg.ScheduleEvaluationContext):
        last = context.scheduled_execution_time.date() - timedelta(days=1)
        first = max(last - timedelta(days=settings.observe_days - 1), date.fromisoformat(settings.partitions_start))
        if first > last:
            return dg.SkipReason(f"no complete day since the first partition ({settings.partitions_start}) yet")
        return dg.RunRequest(
            tags={**partition_range_tags(first.isoformat(), last.isoformat()), "measure/trigger": "observe_raw_events_hourly"},
        )

    return observe_raw_events_schedule


# Sundays at 04:00 UTC, after that day's 02:00 run: every dbt test over whole tables.
weekly_whole_table_tests_schedule = dg.ScheduleDefinition(
    name="measure_whole_table_tests_weekly",
    job=measure_whole_table_tests,
    cron_schedule="0 4 * * 0",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


def schedules(settings: MeasureSettings) -> list[dg.ScheduleDefinition]:
    """The daily run everywhere; the observation only where raw/events is the observable table."""
    if settings.is_local:
        return [daily_schedule, weekly_whole_table_tests_schedule]
    return [daily_schedule, weekly_whole_table_tests_schedule, build_observe_raw_events_schedule(settings)]
