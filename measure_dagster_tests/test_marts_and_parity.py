"""The analytics marts and the parity features (traffic source, landing/exit pages, consent given
mid-visit, user stitching, direct-session inheritance, session metrics) through Dagster, on a
small hand-made data set whose figures are worked out by hand below.

All URLs are on https://shop.example (written `/path` below); country Germany unless noted.

2026-10-01
  c1   09:00:00 pv /?utm_source=newsletter&utm_medium=email&utm_campaign=fall&ref=abc
       09:01:30 pv /pricing                                     S1 90 s  newsletter / email / fall
  h2   10:00:00 pv /blog?gclid=XYZ&utm_campaign=brand  referrer https://www.google.com/
       10:00:20 pv /product                                     S2 20 s  google / cpc / brand (click id beats referrer)
  h3   08:00:00 pv /             hash only, an earlier activity block (3 h gap): stays h3     S3 0 s direct
       11:00:00 pv /             hash only, referrer https://www.bing.com/search?q=shop  } consent mid-visit:
       11:05:00 pv /product      hash only                                               } stitched to c3
       11:10:00 pv /product      c3 (consented, same hash)
       11:20:00 purchase /checkout  c3                          S4 c3 1200 s  bing / organic, purchases 1
       11:25:00 pv /thanks       hash only, after the block's last c3 event: stays h3     S5 0 s direct
  h4   14:00:00 pv /  hash only; 14:05 c4a and 14:10 c4b with the same hash: two client_ids
       in the block, nothing stitched                           S6 h4, S7 c4a, S8 c4b, 0 s each, direct
  bot  15:00:00 pv / Googlebot: excluded everywhere
2026-10-02
  c1   09:00:00 pv /  no referrer; 09:10 pv /signup; 09:12 sign_up /signup as u1
                                                                S9 720 s direct -> inherits newsletter / email / fall
                                                                (S1, 1 day earlier); u1 stitched onto S1 too; signups 2
  c5   10:00:00 pv /?utm_source=partner  referrer https://www.example.org/links (France)
       10:05:00 pv /pricing                                     S10 300 s partner / referral (utm + referrer rule)
  c6   11:00:00 pv /?gclidx=1&page=2  referrer https://blog.shop.example/post (own subdomain), no country
                                                                S11 0 s (direct) / (none); gclidx is no click id
  cG   12:00:00 pv /?wbraid=W1;  12:00:59 pv /pricing           S12 59 s google / cpc
  c8   13:00:00 pv /?fbclid=abc#top  referrer https://m.facebook.com/;  13:01:00 pv /pricing
                                                                S13 60 s facebook / paid-social, landing /#top
2026-10-04 .. 05 (consent mid-visit across midnight)
  h7a  10-04 23:30:00 pv /  hash only, referrer https://duckduckgo.com/  (stitched to c7)
  c7   10-04 23:40:00 pv /pricing (hash h7a); 10-05 00:10:00 pv /signup (hash h7b, exactly 1800 s later);
       10-05 00:15:00 sign_up /signup as u7                     S14 2700 s duckduckgo / organic, u7, signups 2
  c9   10-05 08:00, 08:25, 08:50, 09:15 pv / /blog /blog /pricing, referrer https://t.co/abc
                                                                S15 4500 s t.co / referral
2026-10-20  cG 12:00 pv /  no referrer                          S16 direct -> inherits google / cpc (S12, 18 days)
2026-11-05  cG 12:00 pv /  referrer https://shop.example/pricing (own host)
                                                                S17 direct, not inherited: S12 is 34 days earlier
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest

from measure_dagster.settings import DBT_PROJECT_DIR
from measure_dagster_tests.pipeline import assert_success, query, run_days

SITE = "https://shop.example"
FIRST_DAY, LAST_DAY = "2026-10-01", "2026-11-05"
UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0"
BOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GERMANY = {"ip_trunc": "203.0.113.0", "continent": "Europe", "country": "Germany", "country_code": "DE", "city": "Berlin"}
FRANCE = {"ip_trunc": "198.51.100.0", "continent": "Europe", "country": "France", "country_code": "FR", "city": "Paris"}
UNKNOWN = {"ip_trunc": "", "continent": "", "country": "", "country_code": "", "city": ""}


def event(ts: str, path: str, *, client_id: str = "", hash: str = "", user_id: str = "", name: str = "pageview",
          referrer: str = "", location: dict = GERMANY, ua: str = UA) -> dict:
    url = path if path.startswith("http") else SITE + path
    return {
        "timestamp": datetime.fromisoformat(ts).strftime("%Y-%m-%d %H:%M:%S.%f UTC"),
        "event_type": "pageview" if name == "pageview" else "event",
        "event_name": name,
        "parameters": "{}",
        "user_agent": ua,
        "url": url,
        "referrer": referrer,
        "client_id": client_id,
        "hash": hash,
        "user_id": user_id,
        "consent_given": bool(client_id),
        "device": {"type": "desktop", "brand": "", "model": "", "browser": "Firefox", "browser_version": "131",
                   "os": "Linux", "os_version": "", "is_bot": False},
        "ab_test": [],
        "location": location,
    }


def rows() -> list[dict]:
    return [
        # 2026-10-01
        event("2026-10-01 09:00:00", "/?utm_source=newsletter&utm_medium=email&utm_campaign=fall&ref=abc", client_id="c1", hash="h1a"),
        event("2026-10-01 09:01:30", "/pricing", client_id="c1", hash="h1a"),
        event("2026-10-01 10:00:00", "/blog?gclid=XYZ&utm_campaign=brand", hash="h2", referrer="https://www.google.com/"),
        event("2026-10-01 10:00:20", "/product", hash="h2"),
        event("2026-10-01 08:00:00", "/", hash="h3"),
        event("2026-10-01 11:00:00", "/", hash="h3", referrer="https://www.bing.com/search?q=shop"),
        event("2026-10-01 11:05:00", "/product", hash="h3"),
        event("2026-10-01 11:10:00", "/product", client_id="c3", hash="h3"),
        event("2026-10-01 11:20:00", "/checkout", client_id="c3", hash="h3", name="purchase"),
        event("2026-10-01 11:25:00", "/thanks", hash="h3"),
        event("2026-10-01 14:00:00", "/", hash="h4"),
        event("2026-10-01 14:05:00", "/", client_id="c4a", hash="h4"),
        event("2026-10-01 14:10:00", "/", client_id="c4b", hash="h4"),
        event("2026-10-01 15:00:00", "/", hash="hbot", ua=BOT_UA),
        # 2026-10-02
        event("2026-10-02 09:00:00", "/", client_id="c1", hash="h1b"),
        event("2026-10-02 09:10:00", "/signup", client_id="c1", hash="h1b"),
        event("2026-10-02 09:12:00", "/signup", client_id="c1", hash="h1b", user_id="u1", name="sign_up"),
        event("2026-10-02 10:00:00", "/?utm_source=partner", client_id="c5", hash="h5", referrer="https://www.example.org/links", location=FRANCE),
        event("2026-10-02 10:05:00", "/pricing", client_id="c5", hash="h5", location=FRANCE),
        event("2026-10-02 11:00:00", "/?gclidx=1&page=2", client_id="c6", hash="h6", referrer="https://blog.shop.example/post", location=UNKNOWN),
        event("2026-10-02 12:00:00", "/?wbraid=W1", client_id="cG", hash="hG1"),
        event("2026-10-02 12:00:59", "/pricing", client_id="cG", hash="hG1"),
        event("2026-10-02 13:00:00", "/?fbclid=abc#top", client_id="c8", hash="h8", referrer="https://m.facebook.com/"),
        event("2026-10-02 13:01:00", "/pricing", client_id="c8", hash="h8"),
        # 2026-10-04 .. 05
        event("2026-10-04 23:30:00", "/", hash="h7a", referrer="https://duckduckgo.com/"),
        event("2026-10-04 23:40:00", "/pricing", client_id="c7", hash="h7a"),
        event("2026-10-05 00:10:00", "/signup", client_id="c7", hash="h7b"),
        event("2026-10-05 00:15:00", "/signup", client_id="c7", hash="h7b", user_id="u7", name="sign_up"),
        event("2026-10-05 08:00:00", "/", client_id="c9", hash="h9", referrer="https://t.co/abc"),
        event("2026-10-05 08:25:00", "/blog", client_id="c9", hash="h9"),
        event("2026-10-05 08:50:00", "/blog", client_id="c9", hash="h9"),
        event("2026-10-05 09:15:00", "/pricing", client_id="c9", hash="h9"),
        # later visits of cG
        event("2026-10-20 12:00:00", "/", client_id="cG", hash="hG2"),
        event("2026-11-05 12:00:00", "/", client_id="cG", hash="hG3", referrer=f"{SITE}/pricing"),
    ]


def write_ndjson(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "events.json").write_text("".join(json.dumps(r) + "\n" for r in rows()))
    return folder


# core.sessions by (visitor_key, start): the session's own figures and source, by hand (see the docstring)
EXPECTED_SESSIONS = {
    ("c1", "2026-10-01 09:00:00"): dict(session_duration=90.0, events=2, pageviews=2, user_id="u1", source="newsletter", medium="email",
                                        campaign="fall", is_inherited_source=False, landing_page=f"{SITE}/?ref=abc",
                                        exit_page=f"{SITE}/pricing", purchases=0, signups=0),
    ("h2", "2026-10-01 10:00:00"): dict(session_duration=20.0, events=2, user_id=None, source="google", medium="cpc", campaign="brand",
                                        is_inherited_source=False, landing_page=f"{SITE}/blog", exit_page=f"{SITE}/product"),
    ("h3", "2026-10-01 08:00:00"): dict(session_duration=0.0, events=1, source="(direct)", medium="(none)", is_inherited_source=False),
    ("c3", "2026-10-01 11:00:00"): dict(session_duration=1200.0, events=4, pageviews=3, purchases=1, source="bing", medium="organic",
                                        campaign=None, landing_page=f"{SITE}/", exit_page=f"{SITE}/checkout"),
    ("h3", "2026-10-01 11:25:00"): dict(session_duration=0.0, events=1, source="(direct)", medium="(none)", is_inherited_source=False),
    ("h4", "2026-10-01 14:00:00"): dict(events=1, source="(direct)", medium="(none)"),
    ("c4a", "2026-10-01 14:05:00"): dict(events=1, source="(direct)", medium="(none)"),
    ("c4b", "2026-10-01 14:10:00"): dict(events=1, source="(direct)", medium="(none)"),
    ("c1", "2026-10-02 09:00:00"): dict(session_duration=720.0, events=3, pageviews=2, user_id="u1", source="newsletter", medium="email",
                                        campaign="fall", is_inherited_source=True, signups=2, exit_page=f"{SITE}/signup"),
    ("c5", "2026-10-02 10:00:00"): dict(session_duration=300.0, source="partner", medium="referral", campaign=None,
                                        landing_page=f"{SITE}/", country="France"),
    ("c6", "2026-10-02 11:00:00"): dict(session_duration=0.0, source="(direct)", medium="(none)", is_inherited_source=False,
                                        landing_page=f"{SITE}/?gclidx=1&page=2", country=None),
    ("cG", "2026-10-02 12:00:00"): dict(session_duration=59.0, source="google", medium="cpc", landing_page=f"{SITE}/"),
    ("c8", "2026-10-02 13:00:00"): dict(session_duration=60.0, source="facebook", medium="paid-social", landing_page=f"{SITE}/#top"),
    ("c7", "2026-10-04 23:30:00"): dict(session_duration=2700.0, events=4, pageviews=3, user_id="u7", source="duckduckgo",
                                        medium="organic", signups=2, landing_page=f"{SITE}/", exit_page=f"{SITE}/signup"),
    ("c9", "2026-10-05 08:00:00"): dict(session_duration=4500.0, events=4, pageviews=4, source="t.co", medium="referral"),
    ("cG", "2026-10-20 12:00:00"): dict(source="google", medium="cpc", campaign=None, is_inherited_source=True),
    ("cG", "2026-11-05 12:00:00"): dict(source="(direct)", medium="(none)", is_inherited_source=False),
}

# mart.daily_active_users: visitors per day (stitched: c3 and c7 are one visitor each)
#   10-01 c1 h2 h3 c3 h4 c4a c4b = 7;  10-02 c1 c5 c6 cG c8 = 5;  10-04 c7 = 1;  10-05 c7 c9 = 2;  10-20 cG;  11-05 cG
#   growth 10-02: (5 - 7) * 100 / 7 = -28.571...;  10-03 had nobody: prev 0 and growth NULL on 10-04;  10-05: (2 - 1) / 1 = +100 %
EXPECTED_DAU = {
    "2026-10-01": (7, None, None),
    "2026-10-02": (5, 7, -200 / 7),
    "2026-10-04": (1, 0, None),
    "2026-10-05": (2, 1, 100.0),
    "2026-10-20": (1, 0, None),
    "2026-11-05": (1, 0, None),
}

# mart.session_duration_distribution, session_count per bucket (0-1, 1-5, 5-15, 15-60, 60+) and day:
#   10-01: S2 20 s, S3 S5 S6 S7 S8 0 s -> 6; S1 90 s -> 1; S4 1200 s -> 1: 8 sessions = 75 %, 12.5 %, 0, 12.5 %, 0
#   10-02: S11 0 s, S12 59 s -> 2; S13 60 s -> 1 (60 is not < 60); S9 720 s, S10 300 s -> 2 (300 is not < 300): 40/20/40 %
#   10-04: S14 2700 s (starts 10-04) -> 15-60;  10-05: S15 4500 s -> 60+;  10-20, 11-05: 0 s
EXPECTED_DISTRIBUTION = {
    "2026-10-01": [6, 1, 0, 1, 0],
    "2026-10-02": [2, 1, 2, 0, 0],
    "2026-10-04": [0, 0, 0, 1, 0],
    "2026-10-05": [0, 0, 0, 0, 1],
    "2026-10-20": [1, 0, 0, 0, 0],
    "2026-11-05": [1, 0, 0, 0, 0],
}
BUCKETS = ["0-1 min", "1-5 min", "5-15 min", "15-60 min", "60+ min"]

# mart.top_pages (date, page) -> (pageviews, unique_visitors, views_per_visitor), human pageviews, tracking parameters stripped:
#   10-01 /product: h2, c3 (11:05 stitched), c3 -> 3 views / 2 visitors = 1.5;  /: h3 08:00, c3 11:00, h4, c4a, c4b -> 5 / 5
#   10-02 /: c1, c5 (?utm_source stripped), cG (?wbraid stripped) -> 3 / 3;  /pricing: c5, cG, c8 -> 3 / 3
#   10-05 /blog: c9 twice -> 2 / 1 = 2.0
EXPECTED_TOP_PAGES = {
    ("2026-10-01", "/product"): (3, 2, 1.5),
    ("2026-10-01", "/"): (5, 5, 1.0),
    ("2026-10-01", "/?ref=abc"): (1, 1, 1.0),
    ("2026-10-01", "/pricing"): (1, 1, 1.0),
    ("2026-10-01", "/blog"): (1, 1, 1.0),
    ("2026-10-01", "/thanks"): (1, 1, 1.0),
    ("2026-10-02", "/"): (3, 3, 1.0),
    ("2026-10-02", "/pricing"): (3, 3, 1.0),
    ("2026-10-02", "/signup"): (1, 1, 1.0),
    ("2026-10-02", "/?gclidx=1&page=2"): (1, 1, 1.0),
    ("2026-10-02", "/#top"): (1, 1, 1.0),
    ("2026-10-04", "/"): (1, 1, 1.0),
    ("2026-10-04", "/pricing"): (1, 1, 1.0),
    ("2026-10-05", "/signup"): (1, 1, 1.0),
    ("2026-10-05", "/"): (1, 1, 1.0),
    ("2026-10-05", "/blog"): (2, 1, 2.0),
    ("2026-10-05", "/pricing"): (1, 1, 1.0),
    ("2026-10-20", "/"): (1, 1, 1.0),
    ("2026-11-05", "/"): (1, 1, 1.0),
}

# mart.traffic_by_country (date, country) -> (events, unique_visitors, sessions), human events:
#   10-01 Germany: 13 events (14 rows minus the bot), 7 visitors, 8 sessions (S1-S8)
#   10-02 Germany: c1 3 + cG 2 + c8 2 = 7 events, 3 visitors, 3 sessions; France c5 2 / 1 / 1; unknown c6 1 / 1 / 1
#   10-04 Germany: c7 2 / 1 / 1;  10-05 Germany: c7 2 + c9 4 = 6 / 2 / 2 (S14 counts on both days)
EXPECTED_COUNTRIES = {
    ("2026-10-01", "Germany"): (13, 7, 8),
    ("2026-10-02", "Germany"): (7, 3, 3),
    ("2026-10-02", "France"): (2, 1, 1),
    ("2026-10-02", None): (1, 1, 1),
    ("2026-10-04", "Germany"): (2, 1, 1),
    ("2026-10-05", "Germany"): (6, 2, 2),
    ("2026-10-20", "Germany"): (1, 1, 1),
    ("2026-11-05", "Germany"): (1, 1, 1),
}

# The analyses (dbt_project/analyses/), each window the N days before the report date, the report
# date itself excluded. Four report dates pin both ends of both windows:
#   10-08  7 days 10-01 .. 10-07: 10-01 is exactly 7 days before, in;   30 days 09-08 .. 10-07
#   10-09  7 days 10-02 .. 10-08: 10-01 is 8 days before, out;          30 days 09-09 .. 10-08
#   10-31  30 days 10-01 .. 10-30: 10-01 is exactly 30 days before, in; 7 days 10-24 .. 10-30: nothing
#   11-05  30 days 10-06 .. 11-04: 10-05 is 31 days before, out, and 11-05 itself is out: 10-20 only;
#          7 days 10-29 .. 11-04: nothing (11-05's session is not counted)
# DAU: the mart's rows of the window, figures and all (EXPECTED_DAU)
# durations 10-08 (10-01 .. 10-05): 0-1 6+2 = 8, 1-5 1+1 = 2, 5-15 0+2 = 2, 15-60 1+1 = 2, 60+ 1: 15 sessions
#           10-09 (10-02 .. 10-05): 0-1 2, 1-5 1, 5-15 2, 15-60 1 (S14), 60+ 1 (S15): 7, by count then bucket
# top pages 10-08: / 5+3+1+1 = 10 views, 10 visitor-days; /pricing 1+3+1+1 = 6; /blog 1+2 = 3 views, 1+1 = 2
#           -> 1.5; /product 3 views, 2 -> 1.5; /signup 2; 9 pages
#           10-09: / 3+1+1 = 5; /pricing 3+1+1 = 5; /blog 2 views, 1 visitor-day -> 2.0; /signup 1+1 = 2;
#           /#top 1; /?gclidx=1&page=2 1 (ties by page: '#' sorts before '?')
# countries 10-08, 10-09: Germany 13+7+2+6 = 28 events, 7+3+1+2 = 13 visitor-days, 8+3+1+2 = 14 sessions;
#           France 2 / 1 / 1; c6's unknown country left out
#           10-31: Germany + 10-20's 1 / 1 / 1 = 29 / 14 / 15; France 2 / 1 / 1;  11-05: Germany 1 / 1 / 1
REPORT_DATES = ("2026-10-08", "2026-10-09", "2026-10-31", "2026-11-05")
EXPECTED_REPORT_DAU = {
    "2026-10-08": {d: EXPECTED_DAU[d] for d in ("2026-10-01", "2026-10-02", "2026-10-04", "2026-10-05")},
    "2026-10-09": {d: EXPECTED_DAU[d] for d in ("2026-10-01", "2026-10-02", "2026-10-04", "2026-10-05")},
    "2026-10-31": {d: EXPECTED_DAU[d] for d in ("2026-10-01", "2026-10-02", "2026-10-04", "2026-10-05", "2026-10-20")},
    "2026-11-05": {"2026-10-20": EXPECTED_DAU["2026-10-20"]},
}
EXPECTED_REPORT_DISTRIBUTION = {
    "2026-10-08": [("0-1 min", 8, 800 / 15), ("1-5 min", 2, 200 / 15), ("5-15 min", 2, 200 / 15), ("15-60 min", 2, 200 / 15),
                   ("60+ min", 1, 100 / 15)],
    "2026-10-09": [("0-1 min", 2, 200 / 7), ("5-15 min", 2, 200 / 7), ("1-5 min", 1, 100 / 7), ("15-60 min", 1, 100 / 7),
                   ("60+ min", 1, 100 / 7)],
    "2026-10-31": [],
    "2026-11-05": [],
}
EXPECTED_REPORT_TOP_PAGES = {
    "2026-10-08": [("/", 10, 10, 1.0), ("/pricing", 6, 6, 1.0), ("/blog", 3, 2, 1.5), ("/product", 3, 2, 1.5), ("/signup", 2, 2, 1.0),
                   ("/#top", 1, 1, 1.0), ("/?gclidx=1&page=2", 1, 1, 1.0), ("/?ref=abc", 1, 1, 1.0), ("/thanks", 1, 1, 1.0)],
    "2026-10-09": [("/", 5, 5, 1.0), ("/pricing", 5, 5, 1.0), ("/blog", 2, 1, 2.0), ("/signup", 2, 2, 1.0), ("/#top", 1, 1, 1.0),
                   ("/?gclidx=1&page=2", 1, 1, 1.0)],
    "2026-10-31": [],
    "2026-11-05": [],
}
EXPECTED_REPORT_COUNTRIES = {
    "2026-10-08": [("Germany", "DE", 28, 13, 14), ("France", "FR", 2, 1, 1)],
    "2026-10-09": [("Germany", "DE", 28, 13, 14), ("France", "FR", 2, 1, 1)],
    "2026-10-31": [("Germany", "DE", 29, 14, 15), ("France", "FR", 2, 1, 1)],
    "2026-11-05": [("Germany", "DE", 1, 1, 1)],
}


def approx(value):
    return None if value is None else pytest.approx(value)


def assert_sessions(path, expected: dict) -> dict:
    sessions = {
        (r["visitor_key"], r["start"]): r
        for r in query(path, "select *, strftime(session_start, '%Y-%m-%d %H:%M:%S') as start from core.sessions")
    }
    assert set(sessions) == set(expected)
    for key, figures in expected.items():
        assert {k: sessions[key][k] for k in figures} == figures, key
    return sessions


def compile_analyses(tmp_path: Path, report_dates) -> dict[str, dict[str, str]]:
    """The analyses' SQL compiled for each report date (side by side, each with its own target
    path: the shared one and its partial-parse state stay as they are); report date -> name -> SQL."""
    targets = {day: tmp_path / f"dbt_target_{day}" for day in report_dates}
    processes = {
        day: subprocess.Popen(
            [str(Path(sys.executable).with_name("dbt")), "compile", "--quiet", "--profiles-dir", ".", "--target-path", str(target),
             # no connection: the compiles run side by side, and DuckDB takes one writer per file
             "--no-introspect", "--no-populate-cache",
             "--select", "resource_type:analysis", "--vars", json.dumps({"report_date": day})],
            cwd=DBT_PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ.copy())
        for day, target in targets.items()
    }
    compiled = {}
    for day, process in processes.items():
        output = process.communicate(timeout=600)[0]
        assert process.returncode == 0, output[-3000:]
        folder = targets[day] / "compiled" / "measure_js" / "analyses"
        compiled[day] = {p.stem: p.read_text() for p in folder.glob("*.sql")}
    return compiled


def test_marts_sources_and_stitching_over_all_days(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    """One Dagster run over 2026-10-01 .. 2026-11-05: every mart and session figure by hand."""
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(write_ndjson(tmp_path / "exports")))
    result = run_days(dagster_instance, FIRST_DAY, LAST_DAY)
    assert_success(result)
    # every dbt test of the new models ran as an asset check, and passed
    evaluations = result.get_asset_check_evaluations()
    checked = {e.asset_key for e in evaluations}
    for model in ("daily_active_users", "session_duration_distribution", "top_pages", "traffic_by_country"):
        assert dg.AssetKey(["mart", model]) in checked
    failed = {(e.asset_key.to_user_string(), e.check_name): e for e in evaluations if not e.passed and not e.check_name.startswith("raw_events_")}
    # but the warn on purchases without revenue: the one purchase here (c3's) carries no value
    assert list(failed) == [("staging/purchases", "purchases_without_revenue")]
    without_revenue = failed[("staging/purchases", "purchases_without_revenue")]
    assert (without_revenue.severity, without_revenue.metadata["dagster_dbt/failed_row_count"].value) == (dg.AssetCheckSeverity.WARN, 1)

    # core.sessions: sources, pages, consent stitching, user stitching, inheritance, metrics
    assert_sessions(warehouse_path, EXPECTED_SESSIONS)
    # consent mid-visit: the hash-only events before c3's consent belong to c3; the earlier block and
    # the event after c3's last one keep the hash; h4's block has two client_ids and stitches nothing
    keys = {(r["ts"], r["visitor_key"]) for r in query(warehouse_path, """
        select strftime(timestamp, '%H:%M') as ts, visitor_key from staging.events_cleaned
        where visitor_hash in ('h3', 'h4') and client_id is null""")}
    assert keys == {("08:00", "h3"), ("11:00", "c3"), ("11:05", "c3"), ("11:25", "h3"), ("14:00", "h4")}
    # user stitching: u1 logged in on 10-02 only, its session of 10-01 carries it as well
    assert query(warehouse_path, "select count(*) as n from core.sessions where user_id = 'u1'")[0]["n"] == 2

    dau = {str(r["date"]): (r["daily_active_users"], r["prev_day_users"], r["growth_pct"])
           for r in query(warehouse_path, "select * from mart.daily_active_users")}
    assert dau == {d: (n, p, approx(g)) for d, (n, p, g) in EXPECTED_DAU.items()}

    distribution: dict[str, list] = {}
    for r in query(warehouse_path, "select * from mart.session_duration_distribution order by session_date, bucket_order"):
        distribution.setdefault(str(r["session_date"]), []).append(r)
    assert {d: [r["session_count"] for r in rs] for d, rs in distribution.items()} == EXPECTED_DISTRIBUTION
    assert all([r["duration_bucket"] for r in rs] == BUCKETS for rs in distribution.values())
    assert [r["percentage"] for r in distribution["2026-10-01"]] == [75.0, 12.5, 0.0, 12.5, 0.0]
    assert [r["percentage"] for r in distribution["2026-10-02"]] == [40.0, 20.0, 40.0, 0.0, 0.0]

    pages = {(str(r["date"]), r["page"].removeprefix(SITE)): (r["pageviews"], r["unique_visitors"], r["views_per_visitor"])
             for r in query(warehouse_path, "select * from mart.top_pages")}
    assert pages == EXPECTED_TOP_PAGES
    assert query(warehouse_path, "select typeof(views_per_visitor) as t from mart.top_pages limit 1")[0]["t"] == "DOUBLE"

    countries = {(str(r["date"]), r["country"]): (r["events"], r["unique_visitors"], r["sessions"])
                 for r in query(warehouse_path, "select * from mart.traffic_by_country")}
    assert countries == EXPECTED_COUNTRIES

    # the specification's date windows, as dbt analyses over the marts, at both ends of each window
    for report_date, analyses in compile_analyses(tmp_path, REPORT_DATES).items():
        assert set(analyses) == {"daily_active_users_last_30_days", "session_duration_distribution_last_7_days",
                                 "top_pages_last_7_days", "traffic_by_country_last_30_days"}
        report_dau = {str(r["date"]): (r["daily_active_users"], r["prev_day_users"], r["growth_pct"])
                      for r in query(warehouse_path, analyses["daily_active_users_last_30_days"])}
        assert report_dau == {d: (n, p, approx(g)) for d, (n, p, g) in EXPECTED_REPORT_DAU[report_date].items()}, report_date
        report_durations = query(warehouse_path, analyses["session_duration_distribution_last_7_days"])
        assert [(r["duration_bucket"], r["session_count"], approx(r["percentage"])) for r in report_durations] \
            == EXPECTED_REPORT_DISTRIBUTION[report_date], report_date
        report_pages = query(warehouse_path, analyses["top_pages_last_7_days"])
        assert [(r["page"].removeprefix(SITE), r["pageviews"], r["unique_visitors"], r["avg_views_per_visitor"])
                for r in report_pages] == EXPECTED_REPORT_TOP_PAGES[report_date], report_date
        report_countries = query(warehouse_path, analyses["traffic_by_country_last_30_days"])
        assert [(r["country"], r["country_code"], r["events"], r["unique_visitors"], r["sessions"]) for r in report_countries] \
            == EXPECTED_REPORT_COUNTRIES[report_date], report_date


def test_consent_mid_visit_across_partitions_in_reverse_order(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    """10-05 before 10-04: the partition of 10-05 finds the start of c7's session in the raw
    events of 10-04 (the look-back), where the first event carries only the hash; the look-back
    stitches it to c7 exactly as events_cleaned does, so the session is the same one."""
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(write_ndjson(tmp_path / "exports")))
    raw_only = [dg.AssetKey(["raw", "events"])]
    assert_success(run_days(dagster_instance, "2026-10-04", "2026-10-05", asset_selection=raw_only))

    assert_success(run_days(dagster_instance, "2026-10-05"))
    # only 10-05 is built: c7's events of that day already know their session began at 23:30 the day before
    starts = query(warehouse_path, """select distinct strftime(session_start, '%Y-%m-%d %H:%M') as s
                                      from staging.events_sessionated where visitor_key = 'c7'""")
    assert [r["s"] for r in starts] == ["2026-10-04 23:30"]

    assert_success(run_days(dagster_instance, "2026-10-04"))
    assert_sessions(warehouse_path, {key: EXPECTED_SESSIONS[key] for key in
                                     (("c7", "2026-10-04 23:30:00"), ("c9", "2026-10-05 08:00:00"))})
    assert query(warehouse_path, "select count(distinct session_id) as n from staging.events_sessionated where visitor_key = 'c7'")[0]["n"] == 1
    assert query(warehouse_path, "select count(*) as n from staging.events_sessionated where visitor_key = 'h7a'")[0]["n"] == 0
    dau = {str(r["date"]): r["daily_active_users"] for r in query(warehouse_path, "select * from mart.daily_active_users")}
    assert dau == {"2026-10-04": 1, "2026-10-05": 2}
