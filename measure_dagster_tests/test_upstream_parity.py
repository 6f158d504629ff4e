"""Parity with Measure.js's own models, per scenario, through Dagster.

The single-visitor scenarios of session_scenarios.py run through the daily job (raw events from
BigQuery-export files, every model, one backfill run) twice: with the project's default session
definition, and with the vars that reproduce upstream's (split_session_on_new_source,
require_pageview). core.sessions is compared, session by session, with upstream_reference.py,
an independent Python port of upstream's SQL:
- upstream mode: equal to upstream's rules;
- default mode: equal to upstream's rules with the two session rules off, which differs from
  upstream exactly in the scenarios that split on a new source or have no pageview.
In both modes, this project's labels stand where README's parity section documents them
(documented_labels), and the two inheritance boundaries differ (BOUNDARY_DIFFERENCES).
"""

from __future__ import annotations

import pytest

from measure_dagster_tests import session_scenarios as scenarios
from measure_dagster_tests.pipeline import (
    assert_success,
    query,
    run_days,
    with_dbt_vars,
)
from measure_dagster_tests.upstream_reference import upstream_sessions

UPSTREAM_VARS = {"split_session_on_new_source": True, "require_pageview": True}


def pipeline_sessions(path) -> dict:
    rows = query(path, f"""
        select visitor_key, strftime(session_start, '%Y-%m-%d %H:%M:%S') as start,
               strftime(session_end, '%Y-%m-%d %H:%M:%S') as session_end,
               replace(landing_page, '{scenarios.SITE}', '') as landing_page,
               events, pageviews, source, medium, campaign, is_inherited_source
        from core.sessions""")
    return {(r["visitor_key"], r["start"]): {name: r[name] for name in scenarios.COMPARED} for r in rows}


def test_the_reference_gives_the_hand_counted_sessions():
    for sc in scenarios.SCENARIOS:
        upstream = upstream_sessions(scenarios.events_of(sc))
        default = upstream_sessions(scenarios.events_of(sc), split_on_new_source=False, require_pageview=False)
        assert (len(upstream), len(default)) == (sc.upstream_sessions, sc.default_sessions), f"{sc.name}: {sc.why}"
    differ = {sc.name for sc in scenarios.SCENARIOS if scenarios.expected_sessions(sc, True) != scenarios.expected_sessions(sc, False)}
    assert differ == scenarios.DIFFER_IN_DEFAULT_MODE


def build(tmp_path, monkeypatch, dagster_instance, definitions=None):
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(scenarios.write_ndjson(tmp_path / "exports")))
    assert_success(run_days(dagster_instance, scenarios.FIRST_DAY, scenarios.LAST_DAY, definitions=definitions))


@pytest.mark.parametrize("upstream_mode", [False, True], ids=["default", "upstream"])
def test_sessions_per_scenario_match_the_reference(upstream_mode, warehouse_path, dagster_instance, tmp_path, monkeypatch):
    build(tmp_path, monkeypatch, dagster_instance, with_dbt_vars(UPSTREAM_VARS) if upstream_mode else None)
    ours = scenarios.by_scenario(pipeline_sessions(warehouse_path))
    for sc in scenarios.SCENARIOS:
        assert ours[sc.name] == scenarios.expected_sessions(sc, upstream_mode), f"{sc.name}: {sc.why}"
        # the documented difference of the default: where upstream's rules split or drop
        upstream = scenarios.expected_sessions(sc, upstream_mode=True)
        assert (ours[sc.name] != upstream) == (not upstream_mode and sc.name in scenarios.DIFFER_IN_DEFAULT_MODE), sc.name
