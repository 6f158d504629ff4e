"""Purchases, revenue, the conversion mart and the experiments mart through Dagster, on the
hand-made shop of ecommerce_events.py: figures worked out by hand, the statistics against scipy
(an independent implementation), the sample-ratio-mismatch check, and the partitions in an order
where a repeated purchase's first occurrence is built last."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import dagster as dg
import pytest
from scipy import stats

from measure_dagster.definitions import defs
from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests import ecommerce_events as shop
from measure_dagster_tests.pipeline import assert_success, dbt, query, run_days

RAW = dg.AssetKey(["raw", "events"])
TABLES = ["staging.purchases", "staging.ab_test_exposures", "core.session_revenue", "core.experiment_visitors",
          "core.sessions", "mart.conversions", "mart.experiments"]


def asset_keys(partitioned: bool) -> list[dg.AssetKey]:
    graph = defs.resolve_asset_graph()
    return sorted((key for key in graph.materializable_asset_keys
                   if key != RAW and key.path[0] != "monitoring" and bool(graph.get(key).partitions_def) == partitioned),
                  key=lambda k: k.to_user_string())


def check_evaluations(results, name: str) -> list:
    return [e for result in results for e in result.get_asset_check_evaluations() if e.check_name == name]


def failed_rows(evaluation) -> int:
    return evaluation.metadata["dagster_dbt/failed_row_count"].value


def snapshot(path) -> dict[str, list]:
    return {table: sorted((tuple(row.values()) for row in query(path, f"select * from {table}")), key=repr) for table in TABLES}


def assert_purchases_revenue_and_conversions(path, results):
    purchases = {(r["visitor_key"], r["transaction_id"], r["is_repeat_transaction"]):
                 (r["value"], r["currency"], r["revenue"], r["revenue_issue"])
                 for r in query(path, "select * from staging.purchases")}
    assert purchases == shop.EXPECTED_PURCHASES
    assert query(path, "select count(*) as n from staging.purchases where is_bot")[0]["n"] == 1

    # revenue per session, and in core.sessions: the reload counts once
    sessions = {(r["visitor_key"], r["session_date"].isoformat()): r for r in query(path, "select * from core.sessions")}
    assert (sessions[("b1", shop.DAY1)]["transactions"], sessions[("b1", shop.DAY1)]["revenue"]) == (1, Decimal(100))
    assert sessions[("b1", shop.DAY1)]["purchases"] == 2  # var session_metrics counts events
    assert (sessions[("b2", shop.DAY2)]["transactions"], sessions[("b2", shop.DAY2)]["revenue"]) == (0, 0)
    assert (sessions[("a2", shop.DAY1)]["transactions"], sessions[("a2", shop.DAY1)]["revenue"]) == (1, Decimal("21.93"))
    assert (sessions[("a3", shop.DAY1)]["transactions"], sessions[("a3", shop.DAY1)]["revenue"]) == (0, 0)
    assert ("bot", shop.DAY1) not in sessions
    assert sum(r["revenue"] for r in query(path, "select revenue from core.session_revenue")) == Decimal("733.33")

    conversions = {(r["date"].isoformat(), r["source"], r["medium"], r["campaign"]): r
                   for r in query(path, "select * from mart.conversions")}
    assert {key: (r["sessions"], r["converting_sessions"], r["transactions"], r["transactions_without_revenue"], r["revenue"])
            for key, r in conversions.items()} == shop.EXPECTED_CONVERSIONS
    direct = conversions[(shop.DAY1, "(direct)", "(none)", "(not set)")]
    assert direct["conversion_rate"] == pytest.approx(5 / 12)
    assert direct["revenue_per_session"] == pytest.approx(171.4 / 12)
    assert {r["currency"] for r in conversions.values()} == {"EUR"}

    # the bad values are counted by a warning of the day's run, the incomplete ab_test record too
    (warned,) = check_evaluations([results[shop.DAY1]], "purchases_without_revenue")
    assert (warned.passed, warned.severity, failed_rows(warned)) == (False, dg.AssetCheckSeverity.WARN, 2)
    (incomplete,) = check_evaluations([results[shop.DAY1]], "ab_test_records_incomplete")
    assert (incomplete.passed, failed_rows(incomplete)) == (False, 1)
    assert all(e.passed for e in check_evaluations([results[shop.DAY3]], "purchases_without_revenue"))


def assert_experiments_against_hand_figures_and_scipy(path, results):
    rows = {(r["test_name"], r["variant"]): r for r in query(path, "select * from mart.experiments")}
    assert {key: (r["visitors"], r["visitors_in_several_variants"], r["sessions_after_exposure"], r["converting_visitors"],
                  r["transactions"], r["transactions_without_revenue"], r["revenue"])
            for key, r in rows.items()} == shop.EXPECTED_EXPERIMENTS
    # the visitor in both variants is flagged, not assigned
    both = query(path, "select variant, is_in_several_variants from core.experiment_visitors where visitor_key = 'both'")
    assert both == [{"variant": None, "is_in_several_variants": True}]
    assert query(path, "select count(*) as n from core.experiment_visitors where visitor_key in ('bot', 'empty')")[0]["n"] == 0

    a, b = rows[("checkout", "a")], rows[("checkout", "b")]
    assert (a["control_variant"], a["is_control"], b["is_control"]) == ("a", True, False)
    assert (a["z_statistic"], a["p_value"], a["conversion_rate_difference"]) == (None, None, None)
    # by hand: 2/10 against 5/10; pooled 7/20; z = 0.3 / sqrt(0.35 * 0.65 * (1/10 + 1/10))
    assert (a["conversion_rate"], b["conversion_rate"]) == (0.2, 0.5)
    assert b["conversion_rate_difference"] == pytest.approx(0.3)
    assert b["conversion_rate_uplift"] == pytest.approx(1.5)
    assert (a["revenue_per_visitor"], b["revenue_per_visitor"]) == (pytest.approx(6.193), pytest.approx(17.14))
    assert b["revenue_per_visitor_uplift"] == pytest.approx(17.14 / 6.193 - 1)
    z = 0.3 / math.sqrt(0.35 * 0.65 * 0.2)
    assert b["z_statistic"] == pytest.approx(z, rel=1e-12) == pytest.approx(1.4064217, abs=1e-7)
    # scipy: the normal tail, and its own two-proportion z-test (pooled) giving the same statistic
    assert b["p_value"] == pytest.approx(2 * stats.norm.sf(z), rel=2e-7)
    assert b["p_value"] == pytest.approx(0.159599, abs=1e-6)
    scipy_z = stats.contingency.chi2_contingency([[5, 5], [2, 8]], correction=False)
    assert b["z_statistic"] ** 2 == pytest.approx(scipy_z.statistic, rel=1e-12)
    assert b["p_value"] == pytest.approx(scipy_z.pvalue, rel=2e-7)
    half_width = stats.norm.ppf(0.975) * math.sqrt(0.2 * 0.8 / 10 + 0.5 * 0.5 / 10)
    assert (b["difference_ci_lower"], b["difference_ci_upper"]) == (
        pytest.approx(0.3 - half_width, rel=1e-12), pytest.approx(0.3 + half_width, rel=1e-12))
    assert b["confidence_level"] == pytest.approx(0.95)

    # sample ratio: checkout 10/10 is fine; hero 300/200 against 50/50 is not
    assert (a["srm_chi_square"], a["srm_p_value"]) == (0.0, 1.0)
    hero = rows[("hero", "x")]
    reference = stats.chisquare([300, 200], [250, 250])
    assert hero["srm_chi_square"] == pytest.approx(20.0) == pytest.approx(reference.statistic)
    assert hero["srm_p_value"] == pytest.approx(reference.pvalue, rel=2e-7) == pytest.approx(7.744e-6, rel=1e-3)
    assert (hero["srm_degrees_of_freedom"], hero["expected_share"], hero["expected_visitors"]) == (1, 0.5, 250.0)

    # ... and the asset check on mart/experiments warns, naming one test
    (srm,) = check_evaluations([results["full_history"]], "experiments_sample_ratio_mismatch")
    assert srm.asset_key == dg.AssetKey(["mart", "experiments"])
    assert (srm.passed, srm.severity, failed_rows(srm)) == (False, dg.AssetCheckSeverity.WARN, 1)


def assert_partition_order_equals_a_full_refresh_and_configured_experiments(path):
    by_partition = snapshot(path)
    dbt(["build", "--full-refresh", "--quiet"])
    assert snapshot(path) == by_partition

    # configured: control b; hero expected 60/40 (matches: no mismatch); checkout expected
    # a:b:c = 1:1:2 with c never shown: E = 5, 5, 10, chi-square 5 + 0 ... = 20 with 2 degrees of freedom
    config = {"experiment_control_variants": {"checkout": "b"},
              "experiment_expected_splits": {"hero": {"x": 60, "y": 40}, "checkout": {"a": 1, "b": 1, "c": 2}}}
    dbt(["build", "--select", "experiments", "--vars", json.dumps(config), "--quiet"])
    rows = {(r["test_name"], r["variant"]): r for r in query(path, "select * from mart.experiments")}
    a, b = rows[("checkout", "a")], rows[("checkout", "b")]
    assert (a["control_variant"], b["is_control"], b["z_statistic"]) == ("b", True, None)
    assert a["conversion_rate_difference"] == pytest.approx(-0.3)
    assert a["conversion_rate_uplift"] == pytest.approx(-0.6)
    reference = stats.chisquare([10, 10, 0], [5, 5, 10])
    assert (a["expected_share"], a["srm_degrees_of_freedom"]) == (0.25, 2)
    assert a["srm_chi_square"] == pytest.approx(reference.statistic) == pytest.approx(20.0)
    assert a["srm_p_value"] == pytest.approx(reference.pvalue, rel=1e-9) == pytest.approx(math.exp(-10), rel=1e-9)
    hero = rows[("hero", "y")]
    assert (hero["expected_share"], hero["srm_chi_square"], hero["srm_p_value"]) == (0.4, 0.0, 1.0)


def test_shop_through_dagster(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    """The shop's raw events loaded for the three days, then the partitioned models one day a
    run, the day of the repeated purchase first and the day of its original last, then the
    full-history models (one pipeline, three sets of figures: it takes two minutes)."""
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp_path / "exports", shop.ecommerce_rows())))
    assert_success(run_days(dagster_instance, shop.DAY1, shop.DAY3, asset_selection=[RAW]))
    results = {}
    for day in (shop.DAY2, shop.DAY3, shop.DAY1):
        results[day] = run_days(dagster_instance, day, asset_selection=asset_keys(partitioned=True))
        assert_success(results[day])
    results["full_history"] = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=dagster_instance, asset_selection=asset_keys(partitioned=False), raise_on_error=False)
    assert_success(results["full_history"])

    assert_purchases_revenue_and_conversions(warehouse_path, results)
    assert_experiments_against_hand_figures_and_scipy(warehouse_path, results)
    assert_partition_order_equals_a_full_refresh_and_configured_experiments(warehouse_path)
