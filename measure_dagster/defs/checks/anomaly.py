"""Anomaly checks: a broken tracker, not a quiet day.

A site deploy that drops the snippet, a collector down for three hours, a bot wave: the tables
are fresh and every dbt test holds, but the numbers are wrong. These checks compare each day
with the same weekday of the four weeks before it (weekly seasonality: a Saturday is judged
against Saturdays, so an ordinary weekend dip is not an anomaly), using only what the tables
hold (monitoring.traffic_profile, one row per day; staging.event_blocks, events per hour):

- events / visitors / pageviews_vs_same_weekday: outside median ± max(k·MAD, ratio·median);
- hours_without_events: an hour with no event at all where that hour usually has at least
  MEASURE_ANOMALY_MIN_HOURLY_EVENTS (median of the same hour on the same weekdays);
- bot_share_jump / quarantined_share_jump: the share above median + max(k·MAD, share band);
- top_page_dominates / top_country_dominates: one page (country) carries more than
  MEASURE_ANOMALY_DOMINANT_SHARE of the traffic and more than its usual share's band.

They warn and never block (blocking=False, severity WARN): each result's metadata carries the
observed value, the expected range and the history it came from, so the UI shows why. A run
of several days (a backfill) judges each day; the metadata is the first anomalous day's (else
the last day's), with the list of anomalous days. A day with fewer than
MEASURE_ANOMALY_MIN_HISTORY_WEEKS earlier same weekdays in the table is not judged.

The figures are computed by dbt (one SQL source for both engines: the model traffic_profile
and event_blocks); this module reads them back with one plain select per table, through DuckDB
locally and dagster-gcp's BigQueryResource on BigQuery, and does the statistics.

| variable                           | default | meaning                                            |
|------------------------------------|---------|----------------------------------------------------|
| MEASURE_ANOMALY_MAD_K              | 4       | k of the band median ± k·MAD                       |
| MEASURE_ANOMALY_MIN_BAND_RATIO     | 0.2     | counts: the band is at least ± this × the median   |
| MEASURE_ANOMALY_MIN_SHARE_BAND     | 0.05    | shares: the band is at least + this (5 points)     |
| MEASURE_ANOMALY_MIN_HOURLY_EVENTS  | 10      | an hour "usually has many" from this median on     |
| MEASURE_ANOMALY_DOMINANT_SHARE     | 0.5     | a page/country above this share carries "most"     |
| MEASURE_ANOMALY_MIN_HISTORY_WEEKS  | 3       | earlier same weekdays (of 4) needed to judge a day |
"""


import functools
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
from pydantic import Field

from measure_dagster.defs.checks.raw_events import volume_days
from measure_dagster.defs.resources.warehouse import DUCKDB_POOL, DuckDBWarehouse
from measure_dagster.project import dbt_project
from measure_dagster.settings import MeasureSettings, number_env

TRAFFIC_PROFILE_KEY = dg.AssetKey(["monitoring", "traffic_profile"])
HISTORY_WEEKS = 4


# --- settings -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnomalySettings:
    mad_k: float = 4.0
    min_band_ratio: float = 0.2
    min_share_band: float = 0.05
    min_hourly_events: float = 10.0
    dominant_share: float = 0.5
    min_history_weeks: int = 3

    @classmethod
    def from_env(cls) -> "AnomalySettings":
        weeks = number_env("MEASURE_ANOMALY_MIN_HISTORY_WEEKS", cls.min_history_weeks, minimum=1)
        if weeks != int(weeks) or weeks > HISTORY_WEEKS:
            raise ValueError(f"MEASURE_ANOMALY_MIN_HISTORY_WEEKS must be a whole number from 1 to {HISTORY_WEEKS}; got {weeks:g}")
        return cls(
            mad_k=number_env("MEASURE_ANOMALY_MAD_K", cls.mad_k),
            min_band_ratio=number_env("MEASURE_ANOMALY_MIN_BAND_RATIO", cls.min_band_ratio),
            min_share_band=number_env("MEASURE_ANOMALY_MIN_SHARE_BAND", cls.min_share_band),
            min_hourly_events=number_env("MEASURE_ANOMALY_MIN_HOURLY_EVENTS", cls.min_hourly_events),
            dominant_share=number_env("MEASURE_ANOMALY_DOMINANT_SHARE", cls.dominant_share),
            min_history_weeks=int(weeks),
        )


class AnomalyConfig(dg.Config):
    """The bands of the checks, as check config (the launchpad shows them, a run can set its own);
    each default is its MEASURE_ANOMALY_* variable (the table above), else AnomalySettings'."""

    mad_k: float = Field(default_factory=lambda: AnomalySettings.from_env().mad_k, ge=0,
                         description="k of the band median ± k·MAD (MEASURE_ANOMALY_MAD_K)")
    min_band_ratio: float = Field(default_factory=lambda: AnomalySettings.from_env().min_band_ratio, ge=0,
                                  description="counts: the band is at least ± this × the median (MEASURE_ANOMALY_MIN_BAND_RATIO)")
    min_share_band: float = Field(default_factory=lambda: AnomalySettings.from_env().min_share_band, ge=0,
                                  description="shares: the band is at least + this (MEASURE_ANOMALY_MIN_SHARE_BAND)")
    min_hourly_events: float = Field(default_factory=lambda: AnomalySettings.from_env().min_hourly_events, ge=0,
                                     description="an hour is usually busy from this median (MEASURE_ANOMALY_MIN_HOURLY_EVENTS)")
    dominant_share: float = Field(default_factory=lambda: AnomalySettings.from_env().dominant_share, ge=0,
                                  description="a page or country above this share carries most (MEASURE_ANOMALY_DOMINANT_SHARE)")
    min_history_weeks: int = Field(default_factory=lambda: AnomalySettings.from_env().min_history_weeks, ge=1, le=HISTORY_WEEKS,
                                   description="earlier same weekdays needed to judge a day (MEASURE_ANOMALY_MIN_HISTORY_WEEKS)")

    def bands(self) -> AnomalySettings:
        return AnomalySettings(mad_k=self.mad_k, min_band_ratio=self.min_band_ratio, min_share_band=self.min_share_band,
                               min_hourly_events=self.min_hourly_events, dominant_share=self.dominant_share,
                               min_history_weeks=self.min_history_weeks)


# --- statistics -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Band:
    median: float
    mad: float
    low: float
    high: float


def robust_band(values: Sequence[float], k: float, min_half_width: float) -> Band:
    """median ± max(k·MAD, min_half_width); MAD = median absolute deviation from the median."""
    median = statistics.median(values)
    mad = statistics.median(abs(value - median) for value in values)
    half_width = max(k * mad, min_half_width)
    return Band(median=median, mad=mad, low=median - half_width, high=median + half_width)


def same_weekdays_before(day: date) -> list[date]:
    return [day - timedelta(weeks=week) for week in range(HISTORY_WEEKS, 0, -1)]


@dataclass
class Verdict:
    """One check's judgement of one day: anomalous or not, and why (the metadata)."""

    day: date
    anomalous: bool
    metadata: dict = field(default_factory=dict)


def _history(profiles: Mapping[date, Mapping], day: date, column: str) -> dict[date, float]:
    return {d: float(profiles[d][column] or 0) for d in same_weekdays_before(day) if d in profiles}


def _not_judged(day: date, history: Mapping, settings: AnomalySettings) -> Verdict:
    return Verdict(day, False, {"day": day.isoformat(), "history_days": len(history),
                                "judged": False, "reason": f"fewer than {settings.min_history_weeks} earlier same weekdays"})


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def judge_count(profiles: Mapping[date, Mapping], day: date, column: str, settings: AnomalySettings) -> Verdict:
    """A daily count outside median ± max(k·MAD, ratio·median) of the same weekdays before."""
    history = _history(profiles, day, column)
    if len(history) < settings.min_history_weeks:
        return _not_judged(day, history, settings)
    values = list(history.values())
    band = robust_band(values, settings.mad_k, settings.min_band_ratio * abs(statistics.median(values)))
    # a day missing from the table had no events at all (a whole-day outage)
    observed = float(profiles[day][column] or 0) if day in profiles else 0.0
    return Verdict(day, not (band.low <= observed <= band.high), {
        "day": day.isoformat(),
        "observed": observed,
        "expected_low": _rounded(band.low),
        "expected_high": _rounded(band.high),
        "median": _rounded(band.median),
        "mad": _rounded(band.mad),
        "history": dg.MetadataValue.json({d.isoformat(): v for d, v in history.items()}),
        "judged": True,
    })


def judge_share_jump(profiles: Mapping[date, Mapping], day: date, column: str, settings: AnomalySettings) -> Verdict:
    """A share above median + max(k·MAD, share band) of the same weekdays before."""
    history = _history(profiles, day, column)
    if len(history) < settings.min_history_weeks:
        return _not_judged(day, history, settings)
    band = robust_band(list(history.values()), settings.mad_k, settings.min_share_band)
    observed = float(profiles[day][column] or 0) if day in profiles else 0.0
    return Verdict(day, observed > band.high, {
        "day": day.isoformat(),
        "observed": _rounded(observed),
        "expected_high": _rounded(band.high),
        "median": _rounded(band.median),
        "mad": _rounded(band.mad),
        "history": dg.MetadataValue.json({d.isoformat(): _rounded(v) for d, v in history.items()}),
        "judged": True,
    })


def judge_dominance(profiles: Mapping[date, Mapping], day: date, name_column: str, share_column: str,
                    settings: AnomalySettings) -> Verdict:
    """One page/country carries more than dominant_share of the traffic, above its usual band."""
    verdict = judge_share_jump(profiles, day, share_column, settings)
    if not verdict.metadata["judged"]:
        return verdict
    verdict.anomalous = verdict.anomalous and verdict.metadata["observed"] > settings.dominant_share
    verdict.metadata = {**verdict.metadata, "dominant_share": settings.dominant_share,
                        name_column: (profiles.get(day) or {}).get(name_column) or ""}
    return verdict


def judge_silent_hours(hourly: Mapping[tuple[date, int], float], day: date, settings: AnomalySettings) -> Verdict:
    """Hours of `day` without any event whose median over the same weekdays before is at least
    min_hourly_events. History weeks are the weeks with any event that weekday."""
    weeks = [d for d in same_weekdays_before(day) if any((d, hour) in hourly for hour in range(24))]
    if len(weeks) < settings.min_history_weeks:
        return _not_judged(day, weeks, settings)
    usual = {hour: statistics.median(hourly.get((d, hour), 0.0) for d in weeks) for hour in range(24)}
    silent = [hour for hour in range(24) if hourly.get((day, hour), 0.0) == 0 and usual[hour] >= settings.min_hourly_events]
    return Verdict(day, bool(silent), {
        "day": day.isoformat(),
        "silent_hours": ", ".join(f"{hour:02d}:00" for hour in silent) or "none",
        "observed_events_in_silent_hours": 0,
        "expected_events_per_hour": dg.MetadataValue.json({f"{hour:02d}": usual[hour] for hour in (silent or range(24))}),
        "min_hourly_events": settings.min_hourly_events,
        "hours_with_events": sum(1 for hour in range(24) if hourly.get((day, hour), 0.0) > 0),
        "history_days": len(weeks),
        "judged": True,
    })


# check name -> how it judges a day (profiles by day, hourly counts, day, settings)
JUDGES = {
    "events_vs_same_weekday": lambda p, h, d, s: judge_count(p, d, "events", s),
    "visitors_vs_same_weekday": lambda p, h, d, s: judge_count(p, d, "visitors", s),
    "pageviews_vs_same_weekday": lambda p, h, d, s: judge_count(p, d, "pageviews", s),
    "hours_without_events": lambda p, h, d, s: judge_silent_hours(h, d, s),
    "bot_share_jump": lambda p, h, d, s: judge_share_jump(p, d, "bot_share", s),
    "quarantined_share_jump": lambda p, h, d, s: judge_share_jump(p, d, "quarantined_share", s),
    "top_page_dominates": lambda p, h, d, s: judge_dominance(p, d, "top_page", "top_page_share", s),
    "top_country_dominates": lambda p, h, d, s: judge_dominance(p, d, "top_country", "top_country_share", s),
}

DESCRIPTIONS = {
    "events_vs_same_weekday": "Human events within median ± k·MAD of the same weekday of the 4 weeks before.",
    "visitors_vs_same_weekday": "Human visitors within median ± k·MAD of the same weekday of the 4 weeks before.",
    "pageviews_vs_same_weekday": "Human pageviews within median ± k·MAD of the same weekday of the 4 weeks before.",
    "hours_without_events": "No hour without events where that hour usually has many (a collector outage).",
    "bot_share_jump": "The share of bot events does not jump above its usual band.",
    "quarantined_share_jump": "The share of quarantined raw rows does not jump above its usual band.",
    "top_page_dominates": "No page suddenly carries most of the pageviews.",
    "top_country_dominates": "No country suddenly carries most of the events.",
}


def summarize(verdicts: Sequence[Verdict]) -> tuple[bool, dict]:
    """One check result for the run's days: passed unless a day is anomalous; the metadata of
    the first anomalous day (else the last day), with the days checked and found anomalous."""
    anomalous = [v for v in verdicts if v.anomalous]
    shown = anomalous[0] if anomalous else verdicts[-1]
    metadata = dict(shown.metadata)
    if len(verdicts) > 1:
        metadata.update({
            "days_checked": len(verdicts),
            "days_judged": sum(1 for v in verdicts if v.metadata.get("judged")),
            "anomalous_days": ", ".join(v.day.isoformat() for v in anomalous) or "none",
        })
    return not anomalous, metadata


# --- reading the tables back (one select per table, the same SQL on both engines) -----------------

def relation_name(manifest_path: Path, model: str) -> str:
    """The model's table as dbt renders it for the code location's target (quoted, with database)."""
    from dagster_dbt.dbt_manifest import read_manifest_path

    return read_manifest_path(manifest_path)["nodes"][f"model.measure_js.{model}"]["relation_name"]


def profile_sql(manifest_path: Path, start: date, end: date) -> str:
    # dates are formatted from date objects, never from input text
    return (f"select * from {relation_name(manifest_path, 'traffic_profile')} "
            f"where date >= date '{start.isoformat()}' and date < date '{end.isoformat()}'")


def hourly_sql(manifest_path: Path, start: date, end: date) -> str:
    return (f"select date, hour, sum(event_count) as events from {relation_name(manifest_path, 'event_blocks')} "
            f"where date >= date '{start.isoformat()}' and date < date '{end.isoformat()}' group by date, hour")


class TrafficProfileRows(dg.ConfigurableResource):
    """Runs the anomaly checks' selects on the warehouse of the target, rows as dicts."""

    def rows(self, sql: str) -> list[dict]:
        raise NotImplementedError


class TrafficProfileReader(TrafficProfileRows):
    """The local DuckDB file (read-only)."""

    warehouse: DuckDBWarehouse

    def rows(self, sql: str) -> list[dict]:
        with self.warehouse.connect(read_only=True) as con:
            cursor = con.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_tables(reader, manifest_path: Path, first: date, last: date) -> tuple[dict[date, dict], dict[tuple[date, int], float]]:
    start, end = first - timedelta(weeks=HISTORY_WEEKS), last + timedelta(days=1)
    profiles = {row["date"]: row for row in reader.rows(profile_sql(manifest_path, start, end))}
    hourly = {(row["date"], int(row["hour"])): float(row["events"])
              for row in reader.rows(hourly_sql(manifest_path, start, end))}
    return profiles, hourly


@functools.cache
def build_anomaly_checks(settings: MeasureSettings) -> dg.AssetChecksDefinition:
    """The checks on traffic_profile, reading the tables of the settings' dbt target."""
    manifest_path = dbt_project(settings).manifest_path

    @dg.multi_asset_check(
        specs=[dg.AssetCheckSpec(name, asset=TRAFFIC_PROFILE_KEY, blocking=False, description=DESCRIPTIONS[name])
               for name in JUDGES],
        name="traffic_anomaly_checks",
        pool=DUCKDB_POOL if settings.is_local else None,
    )
    def traffic_anomaly_checks(context: dg.AssetCheckExecutionContext, config: AnomalyConfig,
                               traffic_profile_reader: TrafficProfileRows):
        bands = config.bands()
        days = volume_days(context)
        profiles, hourly = read_tables(traffic_profile_reader, manifest_path, days[0], days[-1])
        for name, judge in JUDGES.items():
            passed, metadata = summarize([judge(profiles, hourly, day, bands) for day in days])
            yield dg.AssetCheckResult(
                asset_key=TRAFFIC_PROFILE_KEY,
                check_name=name,
                passed=passed,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={**metadata, "k": bands.mad_k},
            )

    return traffic_anomaly_checks
