"""Checks on the raw events source that dbt tests cannot express well.

(Every dbt test is already an asset check on the asset it tests, through dagster-dbt.)

- raw_events_freshness: the newest event is not older than MEASURE_RAW_MAX_AGE_HOURS.
- raw_events_volume: the latest day does not have far fewer events than the trailing-week
  average (fails below MEASURE_RAW_MIN_VOLUME_RATIO of it), numbers in the metadata.

Both read the local DuckDB file or, on a BigQuery target, the collector's table; they warn
and do not block: a quiet day or a late collector is worth a look, not a stopped pipeline.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone

import dagster as dg

from measure_dagster.assets.raw_events import RAW_EVENTS_KEY
from measure_dagster.resources import DUCKDB_POOL, RawEventStats

TRAILING_DAYS = 7


def _float_env(name: str, default: float) -> float:
    value = os.environ.get(name)
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{name} must be a number; got {value!r}") from None


@dg.asset_check(
    asset=RAW_EVENTS_KEY,
    name="raw_events_freshness",
    blocking=False,
    pool=DUCKDB_POOL,
    description="The newest raw event is at most MEASURE_RAW_MAX_AGE_HOURS (default 26) old.",
)
def raw_events_freshness(raw_event_stats: RawEventStats) -> dg.AssetCheckResult:
    max_age_hours = _float_env("MEASURE_RAW_MAX_AGE_HOURS", 26.0)
    newest = raw_event_stats.newest_event_timestamp()
    if newest is None:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                                   description="raw events are empty", metadata={"max_age_hours": max_age_hours})
    age_hours = (datetime.now(timezone.utc).replace(tzinfo=None) - newest).total_seconds() / 3600
    return dg.AssetCheckResult(
        passed=age_hours <= max_age_hours,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"newest_event": newest.isoformat(sep=" "), "age_hours": round(age_hours, 2), "max_age_hours": max_age_hours},
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
    }
    # with no history there is nothing to compare against
    return (average == 0 or events >= min_ratio * average), metadata


@dg.asset_check(
    asset=RAW_EVENTS_KEY,
    name="raw_events_volume",
    blocking=False,
    pool=DUCKDB_POOL,
    description="The latest day has at least MEASURE_RAW_MIN_VOLUME_RATIO (default 0.5) of the trailing-week average of events.",
)
def raw_events_volume(raw_event_stats: RawEventStats) -> dg.AssetCheckResult:
    min_ratio = _float_env("MEASURE_RAW_MIN_VOLUME_RATIO", 0.5)
    newest = raw_event_stats.newest_event_timestamp()
    if newest is None:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, description="raw events are empty")
    day = newest.date()
    counts = raw_event_stats.daily_event_counts(day - timedelta(days=TRAILING_DAYS), day + timedelta(days=1))
    passed, metadata = evaluate_volume(counts, day, min_ratio)
    return dg.AssetCheckResult(passed=passed, severity=dg.AssetCheckSeverity.WARN, metadata=metadata)


raw_event_checks = [raw_events_freshness, raw_events_volume]
