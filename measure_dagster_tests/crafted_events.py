"""A small hand-made day-and-a-half of Measure.js traffic, and its figures worked out by hand.

Visitors (2026-10-05 and 2026-10-06, UTC):
  A  consented (client_id cA; its daily hash changes at midnight), one session across midnight
     with a gap of exactly 1800 s inside it, then a gap of 1801 s and a second session in which
     A logs in as u1; one streamed duplicate row
  B  hash-only (client_id ''), two sessions on day 1
  C  a bot known only by its user agent (Googlebot), device.is_bot false
  D  a bot flagged by device.is_bot
  F  consented and logged in as u2 on day 2
  M  consented, on a phone, five sessions: anonymous, logged in as u4, anonymous, logged in as
     u3, anonymous (before, between and after two logins); durations of exactly 60, 300, 900,
     3600 and 0 s (the duration buckets' bounds); two different events at one instant that a
     '|'-joined fingerprint could not tell apart (url 'x|' + referrer '' vs url 'x' + referrer
     '|'), one of them streamed twice
  plus one row with a NULL timestamp and one with neither client_id nor hash.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from measure_dagster.raw import schema

DAY1, DAY2 = "2026-10-05", "2026-10-06"

_DESKTOP = {"type": "desktop", "brand": "", "model": "", "browser": "Firefox", "browser_version": "131",
            "os": "Linux", "os_version": "", "is_bot": False}
_PHONE = {"type": "mobile", "brand": "Apple", "model": "iPhone", "browser": "Safari", "browser_version": "18",
          "os": "iOS", "os_version": "18.1", "is_bot": False}
_PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1 Mobile Safari/604.1"
_BERLIN = {"ip_trunc": "203.0.113.0", "continent": "Europe", "country": "Germany", "country_code": "DE", "city": "Berlin"}


def _event(ts, *, client_id="", hash="", user_id="", name="pageview", url="https://shop.example/", ua="Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0",
           device=_DESKTOP, consent=None, referrer="", ab_test=(), parameters=None):
    return {
        "timestamp": ts,
        "event_type": "pageview" if name == "pageview" else "event",
        "event_name": name,
        "parameters": json.dumps({"title": url.rsplit("/", 1)[-1] or "home"}) if parameters is None else parameters,
        "user_agent": ua,
        "url": url,
        "referrer": referrer,
        "client_id": client_id,
        "hash": hash,
        "user_id": user_id,
        "consent_given": bool(client_id) if consent is None else consent,
        "device": device,
        "ab_test": list(ab_test),
        "location": _BERLIN,
    }


def _visitor_m() -> list[dict]:
    t = datetime.fromisoformat

    def m(ts, day_hash, **kwargs):
        return _event(t(ts), client_id="cM", hash=day_hash, device=_PHONE, ua=_PHONE_UA, **kwargs)

    # the colliding pair: same instant, visitor and parameters; url and referrer differ only in
    # where a '|' sits, so 'url|referrer' reads 'https://shop.example/search?q=a||' for both
    collision = dict(parameters='{"title": "search"}')
    search_pipe = m("2026-10-06 02:05:00", "hM-2", url="https://shop.example/search?q=a|", **collision)
    return [
        # M1 08:00 -> 08:01 (60 s), referred by news.example; anonymous
        m("2026-10-05 08:00:00", "hM-1", url="https://shop.example/", referrer="https://news.example/"),
        m("2026-10-05 08:01:00", "hM-1", name="click", url="https://shop.example/"),
        # M2 14:00 -> 14:05 (300 s), logged in as u4
        m("2026-10-05 14:00:00", "hM-1", user_id="u4", url="https://shop.example/account"),
        m("2026-10-05 14:05:00", "hM-1", user_id="u4", name="purchase", url="https://shop.example/checkout"),
        # M3 02:00 -> 02:15 (900 s), anonymous; the colliding pair inside it, one streamed twice
        m("2026-10-06 02:00:00", "hM-2", url="https://shop.example/"),
        search_pipe,
        dict(search_pipe),
        m("2026-10-06 02:05:00", "hM-2", url="https://shop.example/search?q=a", referrer="|", **collision),
        m("2026-10-06 02:15:00", "hM-2", url="https://shop.example/"),
        # M4 04:00 -> 04:30 -> 05:00 (gaps of exactly 1800 s: 3600 s), logged in as u3
        m("2026-10-06 04:00:00", "hM-2", user_id="u3", url="https://shop.example/account"),
        m("2026-10-06 04:30:00", "hM-2", user_id="u3", url="https://shop.example/pricing"),
        m("2026-10-06 05:00:00", "hM-2", user_id="u3", name="click", url="https://shop.example/pricing"),
        # M5 07:00 (0 s), anonymous
        m("2026-10-06 07:00:00", "hM-2", url="https://shop.example/"),
    ]


def crafted_rows() -> list[dict]:
    """Rows with timestamps as datetimes (None for the NULL one), in no particular order."""
    t = datetime.fromisoformat
    bot_device = {**_DESKTOP, "type": "desktop", "is_bot": True}
    a_signup = _event(t("2026-10-06 00:10:00"), client_id="cA", hash="hA-2", url="https://shop.example/signup")
    return [
        # A: 23:40 -> 23:55 (900 s) -> 00:10 (900 s, across midnight) -> 00:40 (exactly 1800 s: same session)
        _event(t("2026-10-05 23:40:00"), client_id="cA", hash="hA-1", url="https://shop.example/?utm_source=newsletter",
               ab_test=[{"name": "hero", "variant": "b", "def": "2026-09"}]),
        _event(t("2026-10-05 23:55:00"), client_id="cA", hash="hA-1", url="https://shop.example/pricing"),
        a_signup,
        dict(a_signup),  # streamed duplicate: identical in every field
        _event(t("2026-10-06 00:40:00"), client_id="cA", hash="hA-2", name="click", url="https://shop.example/signup"),
        # A: 01:10:01 is 1801 s after 00:40:00 -> a new session; A logs in as u1
        _event(t("2026-10-06 01:10:01"), client_id="cA", hash="hA-2", user_id="u1", url="https://shop.example/account"),
        _event(t("2026-10-06 01:15:01"), client_id="cA", hash="hA-2", user_id="u1", name="purchase", url="https://shop.example/checkout"),
        # B: hash-only; 10:00 -> 10:05 one session, 12:00 a second one
        _event(t("2026-10-05 10:00:00"), hash="hB", url="https://shop.example/", referrer="https://www.google.com/"),
        _event(t("2026-10-05 10:05:00"), hash="hB", url="https://shop.example/blog"),
        _event(t("2026-10-05 12:00:00"), hash="hB", url="https://shop.example/"),
        # C: bot by user agent only
        _event(t("2026-10-05 11:00:00"), hash="hC", ua="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
        _event(t("2026-10-05 11:01:00"), hash="hC", ua="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
               url="https://shop.example/blog"),
        # D: bot by device.is_bot
        _event(t("2026-10-06 05:00:00"), client_id="cD", hash="hD", device=bot_device),
        *_visitor_m(),
        # no timestamp, and no visitor key at all: unusable
        _event(None, client_id="cE", hash="hE"),
        _event(t("2026-10-06 06:00:00"), client_id="", hash=""),
        # F: logged in as u2, 09:00 -> 09:10
        _event(t("2026-10-06 09:00:00"), client_id="cF", hash="hF", user_id="u2", url="https://shop.example/"),
        _event(t("2026-10-06 09:10:00"), client_id="cF", hash="hF", user_id="u2", name="click", url="https://shop.example/"),
    ]


RAW_ROWS_WITH_TIMESTAMP = 29          # 30 rows, one without timestamp
RAW_ROWS_BY_DAY = {DAY1: 11, DAY2: 18}  # 10-05: A 2, B 3, C 2, M 4; 10-06: A 5 (duplicate included), D, no key, F 2, M 9
CLEANED_EVENTS = 26                   # minus the two duplicates (A's signup, M's search) and the row without visitor key
BOT_EVENTS = 3                        # C twice, D once

# core.sessions, human sessions only, by (visitor_key, session_start). unique_pages counts URLs
# without tracking parameters; event_names is sorted and distinct; referrer and device_type are
# the first event's; user_id: the session's own login, else the visitor's last login before the
# session, else its first login (README, user stitching)
#   A1 23:40:00 -> 00:40:00 = 3600 s, 4 events (duplicate dropped), 3 pageviews; pages /, /pricing,
#      /signup (the utm_source is stripped); anonymous before A's only login -> u1
#   A2 01:10:01 -> 01:15:01 =  300 s, 2 events, 1 pageview, logged in as u1
#   B1 10:00 -> 10:05 = 300 s, 2 events, 2 pageviews, from Google;  B2 12:00, 0 s, 1 event
#   F1 09:00 -> 09:10 = 600 s, 2 events, 1 pageview, u2; the same page twice
#   M1 08:00 -> 08:01 = 60 s, anonymous before M's first login (u4) -> u4
#   M2 14:00 -> 14:05 = 300 s, logged in as u4
#   M3 02:00 -> 02:15 = 900 s, 4 events (both of the colliding pair, its streamed copy dropped),
#      pages /, /search?q=a|, /search?q=a; anonymous between the logins: u4 was the last before
#   M4 04:00 -> 05:00 = 3600 s, logged in as u3 (u4 sorts after u3: not a max())
#   M5 07:00, 0 s, anonymous after the last login -> u3
def _session(duration, events, pageviews, user_id, unique_pages, event_names, device_type="desktop", referrer=None):
    return {"session_duration": duration, "events": events, "pageviews": pageviews, "user_id": user_id,
            "unique_pages": unique_pages, "event_names": event_names, "device_type": device_type, "referrer": referrer}


EXPECTED_SESSIONS = {
    ("cA", "2026-10-05 23:40:00"): _session(3600.0, 4, 3, "u1", 3, "click, pageview"),
    ("cA", "2026-10-06 01:10:01"): _session(300.0, 2, 1, "u1", 2, "pageview, purchase"),
    ("hB", "2026-10-05 10:00:00"): _session(300.0, 2, 2, None, 2, "pageview", referrer="https://www.google.com/"),
    ("hB", "2026-10-05 12:00:00"): _session(0.0, 1, 1, None, 1, "pageview"),
    ("cF", "2026-10-06 09:00:00"): _session(600.0, 2, 1, "u2", 1, "click, pageview"),
    ("cM", "2026-10-05 08:00:00"): _session(60.0, 2, 1, "u4", 1, "click, pageview", "mobile", "https://news.example/"),
    ("cM", "2026-10-05 14:00:00"): _session(300.0, 2, 1, "u4", 2, "pageview, purchase", "mobile"),
    ("cM", "2026-10-06 02:00:00"): _session(900.0, 4, 4, "u4", 3, "pageview", "mobile"),
    ("cM", "2026-10-06 04:00:00"): _session(3600.0, 3, 2, "u3", 2, "click, pageview", "mobile"),
    ("cM", "2026-10-06 07:00:00"): _session(0.0, 1, 1, "u3", 1, "pageview", "mobile"),
}

# mart.daily_performance:
#   10-05: events A 23:40, 23:55 + B x3 + M 08:00, 08:01, 14:00, 14:05 = 9; pageviews A 2 + B 3 + M 2 = 7;
#          visitors cA, hB, cM; users on the day's events: u4; sessions with an event: A1, B1, B2, M1, M2 = 5;
#          started: the same -> (3600 + 300 + 0 + 60 + 300) / 5 = 852
#   10-06: events A 00:10, 00:40, 01:10:01, 01:15:01 + F x2 + M 4 + 3 + 1 = 14; pageviews A 00:10, 01:10:01,
#          F 09:00, M 02:00, 02:05 x2, 02:15, 04:00, 04:30, 07:00 = 10; visitors cA, cF, cM; users u1, u2, u3;
#          sessions A1, A2, F1, M3, M4, M5 = 6; started: A2, F1, M3, M4, M5 -> (300 + 600 + 900 + 3600 + 0) / 5 = 1080
EXPECTED_DAILY_PERFORMANCE = {
    DAY1: {"daily_active_users": 3, "daily_active_registered_users": 1, "total_sessions": 5,
           "total_events": 9, "pageviews": 7, "sessions_started": 5, "avg_session_duration": 852.0},
    DAY2: {"daily_active_users": 3, "daily_active_registered_users": 3, "total_sessions": 6,
           "total_events": 14, "pageviews": 10, "sessions_started": 5, "avg_session_duration": 1080.0},
}

# core.users, one row per human visitor; its user is the one it last logged in as; the mean
# duration is over sessions, each once
#   cA: 23:40 -> 01:15:01, 2 days, 4 + 2 events, 2 sessions, (3600 + 300) / 2
#   hB: 10:00 -> 12:00, 1 day, 3 events, 2 sessions, (300 + 0) / 2
#   cF: 09:00 -> 09:10, 1 day, 2 events, 1 session, 600
#   cM: 10-05 08:00 -> 10-06 07:00, 2 days, 2 + 2 + 4 + 3 + 1 events, 5 sessions, (60 + 300 + 900 + 3600 + 0) / 5;
#       u3 (logged in as u4 first)
EXPECTED_USERS = {
    "cA": {"client_id": "cA", "user_id": "u1", "first_seen": "2026-10-05 23:40:00", "last_seen": "2026-10-06 01:15:01",
           "days_active": 2, "total_events": 6, "total_sessions": 2, "avg_session_duration": 1950.0},
    "hB": {"client_id": None, "user_id": None, "first_seen": "2026-10-05 10:00:00", "last_seen": "2026-10-05 12:00:00",
           "days_active": 1, "total_events": 3, "total_sessions": 2, "avg_session_duration": 150.0},
    "cF": {"client_id": "cF", "user_id": "u2", "first_seen": "2026-10-06 09:00:00", "last_seen": "2026-10-06 09:10:00",
           "days_active": 1, "total_events": 2, "total_sessions": 1, "avg_session_duration": 600.0},
    "cM": {"client_id": "cM", "user_id": "u3", "first_seen": "2026-10-05 08:00:00", "last_seen": "2026-10-06 07:00:00",
           "days_active": 2, "total_events": 12, "total_sessions": 5, "avg_session_duration": 972.0},
}
# core.clients: the visitors never logged in (only hB), without user_id and mean duration
EXPECTED_CLIENTS = {key: {k: v for k, v in row.items() if k not in ("user_id", "avg_session_duration")}
                    for key, row in EXPECTED_USERS.items() if row["user_id"] is None}
# core.users_incremental: the visitor's history (no session figures)
EXPECTED_USERS_INCREMENTAL = {key: {k: row[k] for k in ("client_id", "user_id", "first_seen", "last_seen", "days_active")}
                              for key, row in EXPECTED_USERS.items()}

# staging.user_map, (visitor_key, user_id) -> first / last seen logged in as it, events, is_current_user
# (the user of the visitor's latest logged-in event: exactly one per visitor)
EXPECTED_USER_MAP = {
    ("cA", "u1"): {"first_seen": "2026-10-06 01:10:01", "last_seen": "2026-10-06 01:15:01", "events": 2, "is_current_user": True},
    ("cF", "u2"): {"first_seen": "2026-10-06 09:00:00", "last_seen": "2026-10-06 09:10:00", "events": 2, "is_current_user": True},
    ("cM", "u4"): {"first_seen": "2026-10-05 14:00:00", "last_seen": "2026-10-05 14:05:00", "events": 2, "is_current_user": False},
    ("cM", "u3"): {"first_seen": "2026-10-06 04:00:00", "last_seen": "2026-10-06 05:00:00", "events": 3, "is_current_user": True},
}

# core.visitor_days, (visitor, day) -> client_id, first / last seen, events: the human events
# (duplicates and bots not), each day alone
#   cA 10-05: 23:40, 23:55; 10-06: 00:10 (its copy dropped), 00:40, 01:10:01, 01:15:01
#   hB 10-05: 10:00, 10:05, 12:00;  cF 10-06: 09:00, 09:10
#   cM 10-05: 08:00, 08:01, 14:00, 14:05; 10-06: 02:00, 02:05 (the colliding pair, copy dropped), 02:15,
#      04:00, 04:30, 05:00, 07:00
EXPECTED_VISITOR_DAYS = {
    ("cA", DAY1): ("cA", "2026-10-05 23:40:00", "2026-10-05 23:55:00", 2),
    ("cA", DAY2): ("cA", "2026-10-06 00:10:00", "2026-10-06 01:15:01", 4),
    ("hB", DAY1): (None, "2026-10-05 10:00:00", "2026-10-05 12:00:00", 3),
    ("cF", DAY2): ("cF", "2026-10-06 09:00:00", "2026-10-06 09:10:00", 2),
    ("cM", DAY1): ("cM", "2026-10-05 08:00:00", "2026-10-05 14:05:00", 4),
    ("cM", DAY2): ("cM", "2026-10-06 02:00:00", "2026-10-06 07:00:00", 8),
}
# staging.user_map_days, (visitor, user_id, day) -> first / last seen logged in, events
EXPECTED_USER_MAP_DAYS = {
    ("cA", "u1", DAY2): ("2026-10-06 01:10:01", "2026-10-06 01:15:01", 2),
    ("cF", "u2", DAY2): ("2026-10-06 09:00:00", "2026-10-06 09:10:00", 2),
    ("cM", "u4", DAY1): ("2026-10-05 14:00:00", "2026-10-05 14:05:00", 2),
    ("cM", "u3", DAY2): ("2026-10-06 04:00:00", "2026-10-06 05:00:00", 3),
}
# core.session_aggregates, (visitor, start) -> end, events, pageviews, the session's own login
# (no stitching yet: that is core.sessions), for the sessions of EXPECTED_SESSIONS
EXPECTED_SESSION_AGGREGATES = {
    ("cA", "2026-10-05 23:40:00"): ("2026-10-06 00:40:00", 4, 3, None),
    ("cA", "2026-10-06 01:10:01"): ("2026-10-06 01:15:01", 2, 1, "u1"),
    ("hB", "2026-10-05 10:00:00"): ("2026-10-05 10:05:00", 2, 2, None),
    ("hB", "2026-10-05 12:00:00"): ("2026-10-05 12:00:00", 1, 1, None),
    ("cF", "2026-10-06 09:00:00"): ("2026-10-06 09:10:00", 2, 1, "u2"),
    ("cM", "2026-10-05 08:00:00"): ("2026-10-05 08:01:00", 2, 1, None),
    ("cM", "2026-10-05 14:00:00"): ("2026-10-05 14:05:00", 2, 1, "u4"),
    ("cM", "2026-10-06 02:00:00"): ("2026-10-06 02:15:00", 4, 4, None),
    ("cM", "2026-10-06 04:00:00"): ("2026-10-06 05:00:00", 3, 2, "u3"),
    ("cM", "2026-10-06 07:00:00"): ("2026-10-06 07:00:00", 1, 1, None),
}
# staging.ab_test_exposures: A's first event is its only one with an ab_test record
EXPECTED_AB_TEST_EXPOSURES = [(DAY1, "cA", "hero", "b", False, "2026-10-05 23:40:00", "2026-10-05 23:40:00", 1, "2026-09")]

# staging.event_blocks, (date, hour) -> (events, bot events, distinct visitors), bots included,
# duplicates and the row without visitor key not
EXPECTED_EVENT_BLOCKS = {
    (DAY1, 8): (2, 0, 1),    # M 08:00, 08:01
    (DAY1, 10): (2, 0, 1),   # B 10:00, 10:05
    (DAY1, 11): (2, 2, 1),   # C
    (DAY1, 12): (1, 0, 1),   # B 12:00
    (DAY1, 14): (2, 0, 1),   # M 14:00, 14:05
    (DAY1, 23): (2, 0, 1),   # A 23:40, 23:55
    (DAY2, 0): (2, 0, 1),    # A 00:10 (its copy dropped), 00:40
    (DAY2, 1): (2, 0, 1),    # A 01:10:01, 01:15:01
    (DAY2, 2): (4, 0, 1),    # M 02:00, the colliding pair, 02:15
    (DAY2, 4): (2, 0, 1),    # M 04:00, 04:30
    (DAY2, 5): (2, 1, 2),    # M 05:00 and bot D 05:00
    (DAY2, 7): (1, 0, 1),    # M 07:00 (06:00 had only the row without visitor key)
    (DAY2, 9): (2, 0, 1),    # F
}

# mart.session_duration_distribution, sessions per bucket by start date; a bucket holds its lower
# bound: 60 s is 1-5 min, 300 s 5-15 min, 900 s 15-60 min, 3600 s 60+ min
#   10-05: B2 0 | M1 60 | B1 300, M2 300 | - | A1 3600
#   10-06: M5 0 | - | A2 300, F1 600 | M3 900 | M4 3600
EXPECTED_DURATION_BUCKETS = {
    DAY1: {"0-1 min": 1, "1-5 min": 1, "5-15 min": 2, "15-60 min": 0, "60+ min": 1},
    DAY2: {"0-1 min": 1, "1-5 min": 0, "5-15 min": 2, "15-60 min": 1, "60+ min": 1},
}


def attribution_rows() -> list[dict]:
    """Direct-attribution bounds: P and Q each come from a referral on 10-01 10:00:00 and come back
    direct 30 days later, P at exactly 30 days (2 592 000 s: inherits), Q 1 s later (does not)."""
    t = datetime.fromisoformat
    referred = dict(url="https://shop.example/", referrer="https://blog.example/post")
    return [
        _event(t("2026-10-01 10:00:00"), client_id="cP", hash="hP-1", **referred),
        _event(t("2026-10-31 10:00:00"), client_id="cP", hash="hP-2", url="https://shop.example/"),
        _event(t("2026-10-01 10:00:00"), client_id="cQ", hash="hQ-1", **referred),
        _event(t("2026-10-31 10:00:01"), client_id="cQ", hash="hQ-2", url="https://shop.example/"),
    ]


ATTRIBUTION_DAYS = ("2026-10-01", "2026-10-31")
# (visitor_key, session_start) -> source, medium, is_inherited_source
EXPECTED_ATTRIBUTION = {
    ("cP", "2026-10-01 10:00:00"): ("blog.example", "referral", False),
    ("cP", "2026-10-31 10:00:00"): ("blog.example", "referral", True),
    ("cQ", "2026-10-01 10:00:00"): ("blog.example", "referral", False),
    ("cQ", "2026-10-31 10:00:01"): ("(direct)", "(none)", False),
}


def _export_timestamp(ts: datetime | None, iso: bool) -> str | None:
    if ts is None:
        return None
    # BigQuery's export format, or ISO 8601 with an offset (same instant)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if iso else ts.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def write_ndjson(folder: Path, rows: list[dict] | None = None) -> Path:
    """Day 1 (and the NULL row) in BigQuery's export format, day 2 in ISO 8601, two files
    (`rows`: other rows than crafted_rows())."""
    folder.mkdir(parents=True, exist_ok=True)
    by_file: dict[str, list[str]] = {"events-000.json": [], "events-001.json": []}
    for row in crafted_rows() if rows is None else rows:
        on_day2 = row["timestamp"] is not None and row["timestamp"].date().isoformat() == DAY2
        record = {**row, "timestamp": _export_timestamp(row["timestamp"], iso=on_day2)}
        by_file["events-001.json" if on_day2 else "events-000.json"].append(json.dumps(record))
    for name, lines in by_file.items():
        (folder / name).write_text("\n".join(lines) + "\n")
    return folder


def write_parquet(folder: Path) -> Path:
    """All rows in one Parquet file, timestamps UTC-adjusted as BigQuery exports them."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = crafted_rows()
    arrow_schema = schema.arrow_schema()
    fields = [f if f.name != "timestamp" else pa.field("timestamp", pa.timestamp("us", tz="UTC")) for f in arrow_schema]
    table = pa.Table.from_pylist(rows, schema=pa.schema(fields))
    pq.write_table(table, folder / "events.parquet")
    return folder
