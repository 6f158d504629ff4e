"""The sample-traffic generator: deterministic, day-consistent, and carrying every quirk the models must handle."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date, datetime, timedelta

import pyarrow as pa
import pytest

from measure_dagster.raw import generator, schema

DAY = date(2026, 10, 5)
EVENTS = 3000
N_DAYS = 3


@pytest.fixture(scope="module")
def days() -> list[pa.Table]:
    return list(generator.generate_days(DAY, DAY + timedelta(days=N_DAYS), EVENTS, seed=7))


@pytest.fixture(scope="module")
def rows(days) -> list[dict]:
    return [r for t in days for r in t.to_pylist()]


def test_defaults_are_documented():
    assert generator.DEFAULT_EVENTS_PER_DAY == 2000
    assert generator.DEFAULT_SEED == 42


def test_schema_is_the_collector_schema(days):
    for table in days:
        assert table.schema == schema.arrow_schema()
        assert table.schema.field("timestamp").type == pa.timestamp("us")  # naive UTC, µs


def test_only_events_of_the_requested_day(days):
    for i, table in enumerate(days):
        lo = datetime.combine(DAY + timedelta(days=i), datetime.min.time())
        ts = table.column("timestamp").to_pylist()
        assert ts == sorted(ts)
        assert lo <= ts[0] and ts[-1] < lo + timedelta(days=1)
        # events_per_day counts events of visits *starting* that day, plus ~1 % duplicates.
        assert 0.9 * EVENTS < table.num_rows < 1.1 * EVENTS


def test_deterministic_and_independent_of_other_days(days):
    again = generator.generate_day(DAY + timedelta(days=1), EVENTS, seed=7)
    generator.generate_day(DAY + timedelta(days=30), EVENTS, seed=7)  # must not disturb anything
    assert again.equals(days[1])
    assert generator.generate_day(DAY + timedelta(days=1), EVENTS, seed=7).equals(days[1])
    assert not generator.generate_day(DAY + timedelta(days=1), EVENTS, seed=8).equals(days[1])


def test_generate_days_equals_generate_day_per_day(days):
    for i, table in enumerate(days):
        assert generator.generate_day(DAY + timedelta(days=i), EVENTS, seed=7).equals(table)


def test_visit_crossing_midnight_is_split_across_days(days):
    # White-box: ask the simulation of DAY which consented visits run past midnight, then find
    # each one's events on both sides, in generate_day(DAY) and generate_day(DAY + 1).
    sim = generator._StartDaySim(DAY, EVENTS, 7)
    _, midnight_us = generator._day_bounds(DAY)
    crossing = {v for t, v in zip(sim.ts, sim.visit) if t >= midnight_us and sim.v_client_id[v]}
    assert crossing, "expected a consented visit running past midnight"
    midnight = datetime.combine(DAY + timedelta(days=1), datetime.min.time())
    for v in crossing:
        visit_ts = [datetime(1970, 1, 1) + timedelta(microseconds=t) for t, vv in zip(sim.ts, sim.visit) if vv == v]
        before = {t for t in visit_ts if t < midnight}
        after = {t for t in visit_ts if t >= midnight}
        assert before and after
        client = sim.v_client_id[v]
        day0 = [r for r in days[0].to_pylist() if r["client_id"] == client]
        day1 = [r for r in days[1].to_pylist() if r["client_id"] == client]
        assert before <= {r["timestamp"] for r in day0}
        assert after <= {r["timestamp"] for r in day1}
        # The collector re-salts the fingerprint at 00:00 UTC: same visit, new hash.
        h0 = {r["hash"] for r in day0 if r["timestamp"] in before}
        h1 = {r["hash"] for r in day1 if r["timestamp"] in after}
        assert len(h0) == len(h1) == 1 and h0 != h1


def test_hash_is_salted_per_day(rows):
    days_of_hash = defaultdict(set)
    for r in rows:
        assert r["hash"]
        days_of_hash[r["hash"]].add(r["timestamp"].date())
    assert all(len(d) == 1 for d in days_of_hash.values())
    # ...yet stable within a day for a consented visitor.
    hashes = defaultdict(set)
    for r in rows:
        if r["client_id"]:
            hashes[(r["client_id"], r["timestamp"].date())].add(r["hash"])
    assert all(len(h) == 1 for h in hashes.values())


def test_consented_and_hash_only_visitors(rows):
    uuid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")
    consented = [r for r in rows if r["consent_given"]]
    hash_only = [r for r in rows if not r["consent_given"]]
    assert consented and hash_only
    assert all(uuid.match(r["client_id"]) for r in consented)
    assert all(r["client_id"] == "" and r["user_id"] == "" for r in hash_only)  # empty strings, never NULL
    assert 0.2 < len(hash_only) / len(rows) < 0.8


def test_returning_visitors_across_days(rows):
    days_of_client = defaultdict(set)
    for r in rows:
        if r["client_id"]:
            days_of_client[r["client_id"]].add(r["timestamp"].date())
    assert sum(1 for d in days_of_client.values() if len(d) == N_DAYS) >= 5


def test_logged_in_users(rows):
    with_user = [r for r in rows if r["user_id"]]
    assert with_user and all(r["consent_given"] for r in with_user)
    users = {r["user_id"] for r in with_user}
    # Some users log in during the visit: the same client has events with and without user_id.
    clients = {r["client_id"] for r in with_user}
    assert any(r["client_id"] in clients and r["user_id"] == "" for r in rows)
    assert len(users) >= 5


def test_bots_flagged_and_unflagged(rows):
    flagged = [r for r in rows if r["device"]["is_bot"]]
    crawler = re.compile(r"googlebot|bingbot|spider|crawler", re.I)
    unflagged = [r for r in rows if not r["device"]["is_bot"] and crawler.search(r["user_agent"])]
    assert flagged and unflagged
    assert all(not r["consent_given"] for r in flagged + unflagged)


def test_campaign_and_referrer_traffic(rows):
    urls = [r["url"] for r in rows]
    assert any("utm_source=newsletter&utm_medium=email&utm_campaign=" in u for u in urls)
    assert any("gclid=" in u for u in urls)
    assert any("fbclid=" in u for u in urls)
    referrers = {r["referrer"] for r in rows}
    assert "" in referrers and "https://www.google.com/" in referrers and "https://www.bing.com/" in referrers
    assert any(ref.startswith("https://l.facebook.com/") or ref.startswith("https://m.facebook.com/") for ref in referrers)
    assert "https://t.co/" in referrers
    assert any(ref.startswith(generator.SITE) for ref in referrers)  # internal navigation
    assert any(ref and not ref.startswith(generator.SITE) and "google" not in ref for ref in referrers)


def test_events_and_parameters(rows):
    kinds = {(r["event_type"], r["event_name"]) for r in rows}
    assert {("pageview", "pageview"), ("event", "click"), ("event", "scroll"),
            ("event", "form_submit"), ("event", "purchase")} <= kinds
    for r in rows:
        assert isinstance(json.loads(r["parameters"]), dict)
    assert any(json.loads(r["parameters"]).get("scroll_depth") == 50 for r in rows)


def test_devices_locations_ab_tests(rows):
    assert {r["device"]["type"] for r in rows} >= {"desktop", "mobile", "tablet"}
    assert len({r["device"]["browser"] for r in rows}) >= 4
    assert len({r["device"]["os"] for r in rows}) >= 4
    assert len({r["location"]["country_code"] for r in rows}) >= 8
    assert len({r["location"]["continent"] for r in rows}) >= 4
    assert all(re.match(r"^\d+\.\d+\.\d+\.0$", r["location"]["ip_trunc"]) for r in rows)
    assert {len(r["ab_test"]) for r in rows} == {0, 1, 2}
    assert all(set(t) == {"name", "variant", "def"} for r in rows for t in r["ab_test"])


def test_exact_duplicates_about_one_percent(days):
    for table in days:
        rows = [json.dumps(r, default=str, sort_keys=True) for r in table.to_pylist()]
        share = (len(rows) - len(set(rows))) / len(rows)
        assert 0.003 < share < 0.025


def test_sessions_split_by_long_gaps_and_diurnal_shape(rows):
    by_visitor = defaultdict(list)
    for r in rows:
        by_visitor[r["client_id"] or r["hash"]].append(r["timestamp"])
    gaps = [b - a for ts in by_visitor.values() for a, b in zip(sorted(ts), sorted(ts)[1:])]
    assert any(g > timedelta(minutes=30) for g in gaps)
    assert sum(g < timedelta(minutes=5) for g in gaps) > 0.8 * len(gaps)
    per_hour = defaultdict(int)
    for r in rows:
        per_hour[r["timestamp"].hour] += 1
    assert sum(per_hour[h] for h in (2, 3, 4)) < 0.6 * sum(per_hour[h] for h in (12, 13, 14))
