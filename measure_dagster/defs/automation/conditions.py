"""Declarative automation: what keeps the graph up to date between scheduled runs.

- Partitioned models re-materialize a partition that was already built when one of the
  upstream partitions it reads changes: late events re-loaded into raw/events for day D reach
  events_cleaned[D], events_sessionated[D..D+2] (their session look-back) and the daily
  aggregates, through the partition mappings the translator declares. Partitions never built
  are left to backfills: automation does not fill history by itself.
- Full-history models (sessions, users, ...) are rebuilt after any partition they read
  changed, e.g. after a backfill launched from the UI that selected only partitioned assets.
"""

import dagster as dg

AC = dg.AutomationCondition

rematerialize_on_upstream_change = (
    AC.any_deps_updated().since_last_handled()
    & ~AC.missing()
    & ~AC.any_deps_in_progress()
    & ~AC.in_progress()
).with_label("re-materialize built partitions when upstream data changes")

rebuild_after_upstream_change = AC.eager()

automation_sensor = dg.AutomationConditionSensorDefinition(
    name="measure_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
)
