"""A small hand-made day-and-a-half of Measure.js traffic, and its figures worked out by hand.

Visitors (2026-10-05 and 2026-10-06, UTC):
  A  consented (client_id cA; its daily hash changes at midnight), one session across midnight
     with a gap of exactly 1800 s inside it, then a gap of 1801 s and a second session in which
     A logs in as u1; one streamed duplicate row
  B  hash-only (client_id ''), two sessions on day 1
  C  a bot known only by its user agent (Googlebot), device.is_bot false
  D  a bot flagged by device.is_bot
  F  consented and logged in as u2 on day 2
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
_BERLIN = {"ip_trunc": "203.0.113.0", "continent": "Europe", "country": "Germany", "country_code": "DE", "city": "Berlin"}


def _event(ts, *, client_id="", hash="", user_id="", name="pageview", url="https://shop.example/", ua="Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0",
           device=_DESKTOP, consent=None, referrer="", ab_test=()):
    return {
        "timestamp": ts,
        "event_type": "pageview" if name == "pageview" else "event",
        "event_name": name,
        "parameters": json.dumps({"title": url.rsplit("/", 1)[-1] or "home"}),
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
        # no timestamp, and no visitor key at all: unusable
        _event(None, client_id="cE", hash="hE"),
        _event(t("2026-10-06 06:00:00"), client_id="", hash=""),
        # F: logged in as u2, 09:00 -> 09:10
        _event(t("2026-10-06 09:00:00"), client_id="cF", hash="hF", user_id="u2", url="https://shop.example/"),
        _event(t("2026-10-06 09:10:00"), client_id="cF", hash="hF", user_id="u2", name="click", url="https://shop.example/"),
    ]


RAW_ROWS_WITH_TIMESTAMP = 16          # 17 rows, one without timestamp
CLEANED_EVENTS = 14                   # minus the duplicate and the row without visitor key
BOT_EVENTS = 3                        # C twice, D once

# core.sessions, human sessions only, by (visitor_key, session_start):
#   A1 23:40:00 -> 00:40:00 = 3600 s, 4 events (duplicate dropped), 3 pageviews, stitched to u1
#   A2 01:10:01 -> 01:15:01 =  300 s, 2 events, 1 pageview, u1
#   B1 10:00 -> 10:05 = 300 s, 2 events, 2 pageviews;  B2 12:00, 0 s, 1 event
#   F1 09:00 -> 09:10 = 600 s, 2 events, 1 pageview, u2
EXPECTED_SESSIONS = {
    ("cA", "2026-10-05 23:40:00"): {"session_duration": 3600.0, "events": 4, "pageviews": 3, "user_id": "u1"},
    ("cA", "2026-10-06 01:10:01"): {"session_duration": 300.0, "events": 2, "pageviews": 1, "user_id": "u1"},
    ("hB", "2026-10-05 10:00:00"): {"session_duration": 300.0, "events": 2, "pageviews": 2, "user_id": None},
    ("hB", "2026-10-05 12:00:00"): {"session_duration": 0.0, "events": 1, "pageviews": 1, "user_id": None},
    ("cF", "2026-10-06 09:00:00"): {"session_duration": 600.0, "events": 2, "pageviews": 1, "user_id": "u2"},
}

# mart.daily_performance:
#   10-05: events A 23:40, 23:55 + B x3 = 5, all pageviews; visitors cA, hB; no user_id;
#          sessions with an event: A1, B1, B2 = 3; started: A1, B1, B2 -> (3600 + 300 + 0) / 3 = 1300
#   10-06: events A 00:10, 00:40, 01:10:01, 01:15:01 + F x2 = 6; pageviews A 00:10, 01:10:01, F 09:00 = 3;
#          visitors cA, cF; users u1, u2; sessions A1, A2, F1 = 3; started: A2, F1 -> (300 + 600) / 2 = 450
EXPECTED_DAILY_PERFORMANCE = {
    DAY1: {"daily_active_users": 2, "daily_active_registered_users": 0, "total_sessions": 3,
           "total_events": 5, "pageviews": 5, "sessions_started": 3, "avg_session_duration": 1300.0},
    DAY2: {"daily_active_users": 2, "daily_active_registered_users": 2, "total_sessions": 3,
           "total_events": 6, "pageviews": 3, "sessions_started": 2, "avg_session_duration": 450.0},
}


def _export_timestamp(ts: datetime | None, iso: bool) -> str | None:
    if ts is None:
        return None
    # BigQuery's export format, or ISO 8601 with an offset (same instant)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if iso else ts.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def write_ndjson(folder: Path) -> Path:
    """Day 1 (and the NULL row) in BigQuery's export format, day 2 in ISO 8601, two files."""
    folder.mkdir(parents=True, exist_ok=True)
    by_file: dict[str, list[str]] = {"events-000.json": [], "events-001.json": []}
    for row in crafted_rows():
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
