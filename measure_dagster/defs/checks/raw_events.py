"""Checks on the raw events source that dbt tests cannot express well.

(Every dbt test is already an asset check on the asset it tests, through dagster-dbt.)

- raw_events_freshness: the newest event is not older than its config `max_age_hours`
  (default MEASURE_RAW_MAX_AGE_HOURS, else 26).
- raw_events_volume: a complete UTC day does not have far fewer events than the trailing-week
  average (fails below its config `min_ratio` of it, default MEASURE_RAW_MIN_VOLUME_RATIO, else
  0.5), numbers in the metadata. It judges
  the run's partitions, or without one the last complete UTC day (yesterday): never the newest
  day of the table, which on BigQuery is today, still streaming in (at 02:00 UTC two hours of it).

Both read the local DuckDB file or, on a BigQuery target, the collector's table; they warn
and do not block: a quiet day or a late collector is worth a look, not a stopped pipeline.
The thresholds are check config: the launchpad shows them and a run can set its own.
"""

import functools
from datetime import UTC, date, datetime, timedelta

import dagster as dg
from pydantic import Field

from measure_dagster.defs.resources.raw_event_stats import RawEventStats
from measure_dagster.defs.resources.warehouse import DUCKDB_POOL
from measure_dagster.keys import RAW_EVENTS_KEY
from measure_dagster.settings import MeasureSettings, float_env

TRAILING_DAYS = 7


class FreshnessConfig(dg.Config):
    max_age_hours: float = Field(
        default_factory=lambda: float_env("MEASURE_RAW_MAX_AGE_HOURS", 26.0),
        description="Warn when the newest raw event is older than this (default MEASURE_RAW_MAX_AGE_HOURS, else 26).",
    )


class VolumeConfig(dg.Config):
    min_ratio: float = Field(
        default_factory=lambda: float_env("MEASURE_RAW_MIN_VOLUME_RATIO", 0.5),
        description="Warn when a day has fewer events than this share of the trailing-week average "
        "(default MEASURE_RAW_MIN_VOLUME_RATIO, else 0.5).",
    )


def evaluate_volume(counts: dict[date, int], day: date, min_ratio: float) -> tuple[bool, dict]:
    """Pass unless `day` has fewer than min_ratio x the mean of the TRAILING_DAYS before it."""
    trailing = [counts.get(day - timedelta(days=offset), 0) for offset in range(1, TRAILING_DAYS + 1)]
    average = sum(trailing) / TRAILING_DAYS
    events = counts.get(day, 0)
    metadata = {
        "day": day.isoformat(),
        "events": events,
        "trailing_week_average": round(average, 2),
        "ratio": round(events / average, 4) if average else None,
        "min_ratio": min_ratio,
        # the expected range beside the observed value: at least this many events
        "expected_min_events": round(min_ratio * average, 2),
    }
    # with no history there is nothing to compare against
    return (average == 0 or events >= min_ratio * average), metadata


def volume_days(context: dg.AssetCheckExecutionContext, today: date | None = None) -> list[date]:
    """The days raw_events_volume judges: the run's partitions (a partition run, a backfill), or
    else the last complete UTC day. Never today: the collector streams, so today is partial."""
    if context.has_partition_key or context.has_partition_key_range:
        keys = context.partition_key_range
        first, last = date.fromisoformat(keys.start), date.fromisoformat(keys.end)
        return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    today = today or datetime.now(UTC).date()
    return [today - timedelta(days=1)]


@functools.cache
def build_raw_event_checks(settings: MeasureSettings) -> tuple[dg.AssetChecksDefinition, dg.AssetChecksDefinition]:
    """(raw_events_freshness, raw_events_volume); locally in the `duckdb` pool (they read the file)."""
    pool = DUCKDB_POOL if settings.is_local else None

    @dg.asset_check(
        asset=RAW_EVENTS_KEY,
        name="raw_events_freshness",
        blocking=False,
        pool=pool,
        description="The newest raw event is at most max_age_hours (config; default MEASURE_RAW_MAX_AGE_HOURS, else 26) old.",
    )
    def raw_events_freshness(config: FreshnessConfig, raw_event_stats: RawEventStats) -> dg.AssetCheckResult:
        max_age_hours = config.max_age_hours
        newest = raw_event_stats.newest_event_timestamp()
        if newest is None:
            return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                                       description="raw events are empty", metadata={"max_age_hours": max_age_hours})
        age_hours = (datetime.now(UTC).replace(tzinfo=None) - newest).total_seconds() / 3600
        return dg.AssetCheckResult(
            passed=age_hours <= max_age_hours,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"newest_event": newest.isoformat(sep=" "), "age_hours": round(age_hours, 2),
                      "max_age_hours": max_age_hours},
        )

    @dg.asset_check(
        asset=RAW_EVENTS_KEY,
        name="raw_events_volume",
        blocking=False,
        pool=pool,
        description="The run's days (without partitions: yesterday, the last complete UTC day) have at least "
        "min_ratio (config; default MEASURE_RAW_MIN_VOLUME_RATIO, else 0.5) of the trailing-week average of events.",
    )
    def raw_events_volume(context: dg.AssetCheckExecutionContext, config: VolumeConfig,
                          raw_event_stats: RawEventStats) -> dg.AssetCheckResult:
        min_ratio = config.min_ratio
        days = volume_days(context)
        # one read for the days and the week before the first of them
        counts = raw_event_stats.daily_event_counts(days[0] - timedelta(days=TRAILING_DAYS), days[-1] + timedelta(days=1))
        verdicts = [evaluate_volume(counts, day, min_ratio) for day in days]
        low = [metadata["day"] for passed, metadata in verdicts if not passed]
        # the metadata of the first low day (else the last day): one day's figures, as for one partition
        _, metadata = next(((p, m) for p, m in verdicts if not p), verdicts[-1])
        if len(days) > 1:
            metadata = {**metadata, "days_checked": len(days), "low_days": ", ".join(low) or "none"}
        description = None if not low else (
            f"{metadata['events']} events on {metadata['day']}, expected at least {metadata['expected_min_events']:g} "
            f"({min_ratio:g} x the trailing-week average of {metadata['trailing_week_average']:g})")
        return dg.AssetCheckResult(passed=not low, severity=dg.AssetCheckSeverity.WARN, metadata=metadata,
                                   description=description)

    return raw_events_freshness, raw_events_volume
