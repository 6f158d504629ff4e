"""Deterministic, realistic Measure.js traffic for local development and tests.

Traffic is simulated per *start day*: every visit that begins on day S is drawn from an RNG
seeded with (seed, S), and may run past midnight into S+1. `generate_day(D)` simulates the
visits that started on D-1 and D and keeps the events that fall on D, so each day is
reproducible on its own and the days together equal one continuous simulation.

What the data deliberately contains, because the downstream models have to cope with it:
diurnal traffic plus short spikes (newsletter sends, viral posts); multi-event visits with
occasional > 30 min gaps (one visit, two sessions); a pool of returning visitors; consented
visitors (stable `client_id`) and hash-only ones (`client_id` = '', `hash` re-salted every UTC
day, so even a midnight-crossing visit changes hash); logged-in users; bots flagged by the
collector and bots only recognisable from their user agent; UTM / gclid / fbclid landings;
external, internal and empty referrers; ~1 % exact duplicate rows (streaming inserts).
"""

from __future__ import annotations

import hashlib
import json
import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import accumulate

import pyarrow as pa
import pyarrow.compute as pc

from measure_dagster.raw import schema

DEFAULT_EVENTS_PER_DAY = 2000
DEFAULT_SEED = 42

SITE = "https://shop.example.com"

DAY_US = 86_400_000_000
_EPOCH = datetime(1970, 1, 1)

# Probabilities / shapes of the simulation. Tuned for plausibility, not for any real site.
BOT_SHARE = 0.04  # of visits
RETURNING_SHARE = 0.35  # of human visits, drawn from the cross-day visitor pool
CONSENT_SHARE = 0.55  # of new human visitors
ACCOUNT_SHARE = 0.25  # of consented pool visitors who have an account (user_id)
DUPLICATE_SHARE = 0.01  # of events, re-sent by the streaming insert
LONG_GAP_SHARE = 0.03  # of page transitions: a pause > 30 min, i.e. a new session in the same visit
MAX_VISIT_SPAN_US = 12 * 3600 * 1_000_000  # < 24 h, so a visit never reaches the day after next

# Relative visit volume per local hour (0..23): quiet night, morning ramp, evening peak.
_DIURNAL = [2.0, 1.2, 0.8, 0.6, 0.6, 0.9, 1.8, 3.5, 5.5, 6.5, 7.0, 7.0,
            6.8, 7.0, 7.0, 6.8, 6.5, 6.3, 6.5, 7.0, 6.8, 5.8, 4.5, 3.0]
_DIURNAL_CUM = list(accumulate(_DIURNAL))

# (continent, country, country_code, cities, utc offset hours, weight, first IP octets)
_COUNTRIES = [
    ("Europe", "Germany", "DE", ["Berlin", "Munich", "Hamburg", "Cologne"], 1, 18, [84, 91, 217]),
    ("Europe", "France", "FR", ["Paris", "Lyon", "Marseille"], 1, 9, [82, 90, 176]),
    ("Europe", "United Kingdom", "GB", ["London", "Manchester", "Leeds"], 0, 10, [81, 86, 194]),
    ("Europe", "Netherlands", "NL", ["Amsterdam", "Rotterdam", "Utrecht"], 1, 5, [77, 145]),
    ("Europe", "Spain", "ES", ["Madrid", "Barcelona", "Valencia"], 1, 4, [80, 88]),
    ("Europe", "Poland", "PL", ["Warsaw", "Krakow"], 1, 3, [83, 178]),
    ("North America", "United States", "US", ["New York", "Chicago", "San Francisco", "Austin", "Seattle"], -5, 24, [23, 67, 98, 174]),
    ("North America", "Canada", "CA", ["Toronto", "Vancouver", "Montreal"], -5, 4, [24, 70]),
    ("South America", "Brazil", "BR", ["Sao Paulo", "Rio de Janeiro"], -3, 5, [177, 189]),
    ("Asia", "India", "IN", ["Mumbai", "Bangalore", "Delhi"], 5, 7, [49, 103, 117]),
    ("Asia", "Japan", "JP", ["Tokyo", "Osaka"], 9, 4, [126, 133]),
    ("Oceania", "Australia", "AU", ["Sydney", "Melbourne"], 10, 3, [1, 101]),
    ("Africa", "South Africa", "ZA", ["Johannesburg", "Cape Town"], 2, 2, [41, 105]),
    ("Africa", "Nigeria", "NG", ["Lagos", "Abuja"], 1, 2, [102, 197]),
]
_COUNTRY_CUM = list(accumulate(c[5] for c in _COUNTRIES))

# (type, brand, model, browser, os, os_version, browser versions, UA template, weight)
_DEVICES = [
    ("desktop", "", "", "Chrome", "Windows", "10", ["122.0", "123.0", "124.0"],
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0 Safari/537.36", 26),
    ("desktop", "", "", "Edge", "Windows", "10", ["123.0", "124.0"],
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0 Safari/537.36 Edg/{v}.0.0", 6),
    ("desktop", "", "", "Firefox", "Windows", "10", ["124.0", "125.0"],
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}) Gecko/20100101 Firefox/{v}", 6),
    ("desktop", "Apple", "Mac", "Safari", "Mac", "14.4", ["17.3", "17.4"],
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{v} Safari/605.1.15", 9),
    ("desktop", "", "", "Chrome", "GNU/Linux", "", ["123.0", "124.0"],
     "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0 Safari/537.36", 3),
    ("mobile", "Apple", "iPhone", "Mobile Safari", "iOS", "17.4", ["17.3", "17.4"],
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{v} Mobile/15E148 Safari/604.1", 22),
    ("mobile", "Samsung", "SM-S911B", "Chrome Mobile", "Android", "14", ["123.0", "124.0"],
     "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0 Mobile Safari/537.36", 10),
    ("mobile", "Google", "Pixel 8", "Chrome Mobile", "Android", "14", ["124.0"],
     "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0 Mobile Safari/537.36", 4),
    ("mobile", "Xiaomi", "Redmi Note 12", "Chrome Mobile", "Android", "13", ["122.0", "124.0"],
     "Mozilla/5.0 (Linux; Android 13; 23021RAA2Y) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0 Mobile Safari/537.36", 4),
    ("tablet", "Apple", "iPad", "Mobile Safari", "iPadOS", "17.4", ["17.4"],
     "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{v} Mobile/15E148 Safari/604.1", 4),
    ("tablet", "Samsung", "SM-X710", "Chrome", "Android", "14", ["124.0"],
     "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0 Safari/537.36", 2),
]
_DEVICE_CUM = list(accumulate(d[8] for d in _DEVICES))

# The collector's parser flags these (is_bot = true) ...
_FLAGGED_BOTS = [
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36", "Headless Chrome", "GNU/Linux"),
    ("python-requests/2.31.0", "", ""),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "", ""),
    ("Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", "", ""),
]
# ... these it misses (is_bot = false): only the user agent gives them away.
_UNFLAGGED_BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (compatible; SiteAuditCrawler/1.3; +https://example.net/crawler)",
]
_BOT_LOCATIONS = [
    ("66.249.66.0", "North America", "United States", "US", "Mountain View"),
    ("40.77.167.0", "North America", "United States", "US", "Boydton"),
    ("54.36.148.0", "Europe", "France", "FR", "Roubaix"),
    ("185.191.171.0", "Europe", "Netherlands", "NL", "Amsterdam"),
]

# (path, title, landing weight, browse weight)
_PAGES = [
    ("/", "Home | Measure Shop", 30, 10),
    ("/products", "All products", 6, 12),
    ("/products/analytics-starter", "Analytics Starter Kit", 8, 9),
    ("/products/dashboard-pro", "Dashboard Pro", 6, 8),
    ("/products/consent-banner", "Consent Banner", 4, 6),
    ("/pricing", "Pricing", 6, 9),
    ("/blog", "Blog", 3, 5),
    ("/blog/cookieless-analytics", "Cookieless analytics explained", 12, 4),
    ("/blog/utm-parameters-guide", "A practical guide to UTM parameters", 9, 3),
    ("/blog/bigquery-cost-tips", "Keeping BigQuery costs down", 6, 3),
    ("/about", "About us", 1, 4),
    ("/contact", "Contact", 1, 4),
    ("/newsletter", "Newsletter", 2, 3),
]
_PAGE_TITLES = {p[0]: p[1] for p in _PAGES} | {
    "/cart": "Cart", "/checkout": "Checkout", "/checkout/thank-you": "Thank you for your order"}
_LANDING_CUM = list(accumulate(p[2] for p in _PAGES))
_BROWSE_CUM = list(accumulate(p[3] for p in _PAGES))
_PRODUCT_PRICES = {"/products/analytics-starter": 49.0, "/products/dashboard-pro": 149.0, "/products/consent-banner": 29.0}

# Pre-serialised `parameters` values (valid JSON), so the hot loop does no json.dumps.
_PAGEVIEW_PARAMS = {path: json.dumps({"title": title}) for path, title in _PAGE_TITLES.items()}
_SCROLL_PARAMS = [json.dumps({"scroll_depth": d}) for d in (25, 50, 75, 100)]
_CLICK_PARAMS = [json.dumps(p) for p in (
    {"element": "a.cta", "text": "Start free trial"},
    {"element": "button.add-to-cart", "text": "Add to cart"},
    {"element": "nav a", "text": "Pricing"},
    {"element": "a.outbound", "text": "GitHub", "href": "https://github.com/"},
    {"element": "button.menu", "text": ""},
)]
_FORM_PARAMS = {"/contact": json.dumps({"form_id": "contact"}), "/newsletter": json.dumps({"form_id": "newsletter_signup"})}

# Landing traffic sources: (name, weight). Spikes bring their own source.
_SOURCES = [("direct", 28), ("google", 28), ("bing", 5), ("google_ads", 7), ("facebook", 6),
            ("twitter", 3), ("referral", 9), ("newsletter", 4), ("partner_utm", 3), ("duckduckgo", 2)]
_SOURCE_NAMES = [s[0] for s in _SOURCES]
_SOURCE_CUM = list(accumulate(s[1] for s in _SOURCES))
_REFERRAL_SITES = ["https://news.ycombinator.com/", "https://www.reddit.com/r/analytics/",
                   "https://dev.to/", "https://www.producthunt.com/", "https://blog.example.org/tools"]
_CAMPAIGNS = ["autumn_sale", "weekly_digest", "product_launch", "webinar_invite"]

_AB_TESTS = [
    ("hero_banner", ["control", "illustration"], "hero_banner: 50/50, since 2026-09-01"),
    ("checkout_button", ["control", "green"], "checkout_button: 50/50, since 2026-09-15"),
    ("pricing_layout", ["control", "annual_first", "monthly_first"], "pricing_layout: 34/33/33, since 2026-10-01"),
]


@dataclass(slots=True)
class _Visitor:
    fingerprint: str  # stands in for IP + UA; salted daily into `hash`
    consented: bool
    client_id: str
    user_id: str
    user_agent: str
    device: tuple
    location: tuple
    utc_offset: int


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


def _daily_hash(salt: str, fingerprint: str) -> str:
    # The collector salts the fingerprint with a per-day secret: same person, new hash each UTC day.
    return hashlib.blake2b(f"{salt}|{fingerprint}".encode(), digest_size=8).hexdigest()


def _salt(seed: int, day: date) -> str:
    return f"{seed}|{day.isoformat()}"


def _new_human(rng: random.Random, consented: bool) -> _Visitor:
    r = rng.random
    continent, country, code, cities, offset, _, octets = _COUNTRIES[bisect(_COUNTRY_CUM, r() * _COUNTRY_CUM[-1])]
    ip = f"{rng.choice(octets)}.{rng.randrange(256)}.{rng.randrange(256)}.0"
    city = "" if r() < 0.05 else rng.choice(cities)  # geo lookup misses arrive as ''
    dtype, brand, model, browser, os_, os_version, versions, ua, _ = _DEVICES[bisect(_DEVICE_CUM, r() * _DEVICE_CUM[-1])]
    version = rng.choice(versions)
    device = (dtype, brand, model, browser, version, os_, os_version, False)
    client_id = _uuid(rng) if consented else ""
    return _Visitor(f"{ip}|{ua}|{rng.getrandbits(32)}", consented, client_id, "", ua.format(v=version),
                    device, (ip, continent, country, code, city), offset)


def _new_bot(rng: random.Random) -> _Visitor:
    location = rng.choice(_BOT_LOCATIONS)
    if rng.random() < 0.5:
        ua, browser, os_ = rng.choice(_FLAGGED_BOTS)
        device = ("desktop", "", "", browser, "", os_, "", True)
    else:
        ua = rng.choice(_UNFLAGGED_BOTS)
        device = ("desktop", "", "", "", "", "", "", False)
    return _Visitor(f"{location[0]}|{ua}|{rng.getrandbits(32)}", False, "", "", ua, device, location, 0)


@lru_cache(maxsize=4)
def _visitor_pool(seed: int, size: int) -> tuple[_Visitor, ...]:
    """Visitors who come back on several days; independent of the day being generated."""
    rng = random.Random(f"measure-pool:{seed}:{size}")
    pool = []
    for i in range(size):
        v = _new_human(rng, rng.random() < 0.65)  # returning visitors consent more often
        if v.consented and rng.random() < ACCOUNT_SHARE:
            v.user_id = f"u_{seed % 1000:03d}{i:06d}"
        pool.append(v)
    return tuple(pool)


def _landing(rng: random.Random, source: str, campaign: str) -> tuple[str, str]:
    """(landing url, referrer) for a traffic source."""
    path = _PAGES[bisect(_LANDING_CUM, rng.random() * _LANDING_CUM[-1])][0]
    url = SITE + path
    if source == "direct":
        return url, ""
    if source == "google":
        return url, "https://www.google.com/"
    if source == "bing":
        return url, "https://www.bing.com/"
    if source == "duckduckgo":
        return url, "https://duckduckgo.com/"
    if source == "google_ads":
        gclid = f"Cj0KCQjw{rng.getrandbits(64):016x}"
        if rng.random() < 0.5:
            return f"{url}?utm_source=google&utm_medium=cpc&utm_campaign=brand_search&gclid={gclid}", "https://www.google.com/"
        return f"{url}?gclid={gclid}", "https://www.google.com/"
    if source == "facebook":
        ref = rng.choice(["https://l.facebook.com/", "https://m.facebook.com/"])
        return (f"{url}?fbclid=IwAR{rng.getrandbits(64):016x}" if rng.random() < 0.7 else url), ref
    if source == "twitter":
        return url, "https://t.co/"
    if source == "referral":
        return url, rng.choice(_REFERRAL_SITES)
    if source == "newsletter":
        # Mail clients strip the referrer.
        return f"{url}?utm_source=newsletter&utm_medium=email&utm_campaign={campaign}", ""
    return f"{url}?utm_source=partner_blog&utm_medium=referral&utm_campaign=affiliate_q4", "https://blog.example.org/tools"


def _next_page(rng: random.Random, path: str) -> str:
    r = rng.random()
    if path == "/cart" and r < 0.6:
        return "/checkout"
    if path == "/checkout" and r < 0.65:
        return "/checkout/thank-you"
    if path.startswith("/products/") and r < 0.25:
        return "/cart"
    return _PAGES[bisect(_BROWSE_CUM, rng.random() * _BROWSE_CUM[-1])][0]


def _day_bounds(day: date) -> tuple[int, int]:
    """[00:00, next 00:00) of a UTC day, in µs since the epoch."""
    lo = (datetime.combine(day, datetime.min.time()) - _EPOCH) // timedelta(microseconds=1)
    return lo, lo + DAY_US


class _StartDaySim:
    """All events of the visits that started on one UTC day, as column lists (events may spill into the next day)."""

    def __init__(self, start_day: date, events_per_day: int, seed: int):
        self.start_day = start_day
        self.seed = seed
        # Per event.
        self.ts: list[int] = []  # µs since epoch
        self.visit: list[int] = []  # index into the per-visit lists
        self.event_type: list[str] = []
        self.event_name: list[str] = []
        self.parameters: list[str] = []
        self.url: list[str] = []
        self.referrer: list[str] = []
        self.user_id: list[str] = []
        # Per visit.
        self.v_ua: list[str] = []
        self.v_client_id: list[str] = []
        self.v_consent: list[bool] = []
        self.v_device: list[tuple] = []
        self.v_location: list[tuple] = []
        self.v_ab_test: list[list[dict]] = []
        self.v_fingerprint: list[str] = []
        self._simulate(events_per_day, seed)

    def _simulate(self, events_per_day: int, seed: int) -> None:
        day = self.start_day
        rng = random.Random(f"measure-day:{seed}:{day.isoformat()}")
        r = rng.random
        day_us, _ = _day_bounds(day)
        pool = _visitor_pool(seed, max(50, events_per_day // 10))

        # A few bursts a day: a newsletter send or a post going viral.
        spikes = []
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            kind = rng.choice(["newsletter", "twitter", "referral"])
            spikes.append((rng.uniform(6 * 3600, 21 * 3600), rng.uniform(300, 1800), kind, rng.choice(_CAMPAIGNS)))
        spike_share = 0.06 * len(spikes)
        default_campaign = rng.choice(_CAMPAIGNS)

        ts, visit = self.ts, self.visit
        etype, ename, params, urls, refs, uids = (self.event_type, self.event_name, self.parameters,
                                                  self.url, self.referrer, self.user_id)
        produced = 0
        v_idx = -1
        while produced < events_per_day:
            v_idx += 1
            # Who?
            is_bot = r() < BOT_SHARE
            if is_bot:
                vis = _new_bot(rng)
            elif r() < RETURNING_SHARE:
                vis = pool[int(len(pool) * r() ** 2)]  # some regulars come back far more often
            else:
                vis = _new_human(rng, r() < CONSENT_SHARE)

            # When and from where?
            if spikes and not is_bot and r() < spike_share:
                center, width, source, campaign = spikes[int(r() * len(spikes))]
                start_s = min(center + rng.expovariate(1 / width), 86_399.0)
            else:
                source = _SOURCE_NAMES[bisect(_SOURCE_CUM, r() * _SOURCE_CUM[-1])]
                campaign = default_campaign
                if is_bot:
                    start_s = r() * 86_400  # bots do not sleep
                else:
                    local_hour = bisect(_DIURNAL_CUM, r() * _DIURNAL_CUM[-1])
                    start_s = ((local_hour - vis.utc_offset) * 3600 + r() * 3600) % 86_400
            t = day_us + int(start_s * 1_000_000)
            end_us = t + MAX_VISIT_SPAN_US

            self.v_ua.append(vis.user_agent)
            self.v_client_id.append(vis.client_id)
            self.v_consent.append(vis.consented)
            self.v_device.append(vis.device)
            self.v_location.append(vis.location)
            self.v_fingerprint.append(vis.fingerprint)
            x = 1.0 if is_bot else r()
            n_tests = 2 if x < 0.12 else 1 if x < 0.45 else 0
            self.v_ab_test.append([{"name": name, "variant": rng.choice(variants), "def": definition}
                                   for name, variants, definition in rng.sample(_AB_TESTS, n_tests)])

            # Logged-in users are identified from some pageview on (often right away).
            login_at = (0 if r() < 0.5 else rng.randrange(1, 4)) if vis.user_id else 1 << 30
            if is_bot:
                n_pages = rng.randint(3, 25)
                url, ref = SITE + "/", ""
            else:
                n_pages = min(1 + int(rng.expovariate(0.8)), 30)
                url, ref = _landing(rng, source, campaign)
            path = url[len(SITE):].split("?", 1)[0]
            dup = DUPLICATE_SHARE

            # emit is called within this visit's iteration only: the loop variables are the current ones
            def emit(t, typ, name, p, _url, _ref, uid):
                for _ in range(2 if r() < dup else 1):  # noqa: B023 (a streamed insert occasionally lands twice)
                    ts.append(t)
                    visit.append(v_idx)  # noqa: B023
                    etype.append(typ)
                    ename.append(name)
                    params.append(p)
                    urls.append(_url)
                    refs.append(_ref)
                    uids.append(uid)

            for page_no in range(n_pages):
                uid = vis.user_id if page_no >= login_at else ""
                emit(t, "pageview", "pageview", _PAGEVIEW_PARAMS[path], url, ref, uid)
                produced += 1
                if not is_bot:
                    # Engagement on the page: scrolls, clicks, forms, purchases.
                    if r() < 0.45:
                        for depth in range(1 + int(r() * r() * 4)):  # deeper thresholds fire less often
                            t += int(rng.uniform(2, 40) * 1_000_000)
                            emit(t, "event", "scroll", _SCROLL_PARAMS[depth], url, ref, uid)
                            produced += 1
                    if r() < 0.25:
                        t += int(rng.uniform(1, 60) * 1_000_000)
                        emit(t, "event", "click", _CLICK_PARAMS[int(r() * len(_CLICK_PARAMS))], url, ref, uid)
                        produced += 1
                    if path in _FORM_PARAMS and r() < 0.3:
                        t += int(rng.uniform(10, 90) * 1_000_000)
                        emit(t, "event", "form_submit", _FORM_PARAMS[path], url, ref, uid)
                        produced += 1
                    if path == "/checkout/thank-you":
                        t += int(rng.uniform(0.2, 2) * 1_000_000)
                        product = rng.choice(list(_PRODUCT_PRICES))
                        qty = rng.choice([1, 1, 1, 2, 3])
                        p = json.dumps({"order_id": f"ord_{rng.getrandbits(40):010x}", "product": product[10:],
                                        "quantity": qty, "revenue": round(_PRODUCT_PRICES[product] * qty, 2),
                                        "currency": "EUR"})
                        emit(t, "event", "purchase", p, url, ref, uid)
                        produced += 1
                if page_no + 1 == n_pages or produced >= events_per_day:
                    break
                # Move on: mostly seconds to minutes, sometimes a long pause (a second session).
                if is_bot:
                    gap_s = rng.uniform(0.5, 5)
                elif r() < LONG_GAP_SHARE:
                    gap_s = rng.uniform(31 * 60, 180 * 60)
                else:
                    gap_s = min(rng.lognormvariate(3.4, 1.0), 1800)
                t += int(gap_s * 1_000_000) + rng.randrange(1_000_000)
                if t >= end_us:
                    break
                ref = url
                path = _next_page(rng, path)
                url = SITE + path

    def table(self, lo_us: int, hi_us: int) -> pa.Table:
        """The simulated events with lo_us <= timestamp < hi_us, in the collector's schema."""
        target = schema.arrow_schema()
        keep = [i for i, t in enumerate(self.ts) if lo_us <= t < hi_us]
        if not keep:
            return target.empty_table()
        visit_of_event = self.visit
        if len(keep) == len(self.ts):
            events = visits = lambda values: values
        else:
            # Usually the previous day's sim, of which only the visits running past midnight are kept:
            # build arrays from those few rows instead of filtering whole-day arrays.
            events = lambda values: [values[i] for i in keep]  # noqa: E731
            kept_visits = sorted(set(events(self.visit)))
            position = {v: i for i, v in enumerate(kept_visits)}
            visit_of_event = [position[v] for v in events(self.visit)]
            visits = lambda values: [values[v] for v in kept_visits]  # noqa: E731
        visit = pa.array(visit_of_event, pa.int32())
        ts = pa.array(events(self.ts), pa.int64())

        def per_event(values: list, typ: pa.DataType) -> pa.Array:
            return pa.array(events(values), typ)

        def per_visit(values: list, typ: pa.DataType) -> pa.Array:
            return pa.array(visits(values), typ).take(visit)

        def struct_per_visit(values: list[tuple], typ: pa.StructType) -> pa.Array:
            children = [pa.array(list(col), f.type) for col, f in zip(zip(*visits(values), strict=False), typ, strict=False)]
            return pa.StructArray.from_arrays(children, fields=list(typ)).take(visit)

        columns = {
            "timestamp": ts.cast(pa.timestamp("us")),
            "event_type": per_event(self.event_type, pa.string()),
            "event_name": per_event(self.event_name, pa.string()),
            "parameters": per_event(self.parameters, pa.string()),
            "user_agent": per_visit(self.v_ua, pa.string()),
            "url": per_event(self.url, pa.string()),
            "referrer": per_event(self.referrer, pa.string()),
            "client_id": per_visit(self.v_client_id, pa.string()),
            "hash": self._hashes(visits(self.v_fingerprint), visit, ts),
            "user_id": per_event(self.user_id, pa.string()),
            "consent_given": per_visit(self.v_consent, pa.bool_()),
            "device": struct_per_visit(self.v_device, target.field("device").type),
            "ab_test": per_visit(self.v_ab_test, target.field("ab_test").type),
            "location": struct_per_visit(self.v_location, target.field("location").type),
        }
        return pa.Table.from_arrays([columns[f.name] for f in target], schema=target)

    def _hashes(self, fingerprints: list[str], visit: pa.Array, ts: pa.Array) -> pa.Array:
        """Per event: the visitor's fingerprint salted for the UTC day of the event (it changes at midnight)."""
        salts = (_salt(self.seed, self.start_day), _salt(self.seed, self.start_day + timedelta(days=1)))
        past_midnight = pc.greater_equal(ts, _day_bounds(self.start_day)[1]).cast(pa.int32())
        keys = pc.add(pc.multiply(visit, 2), past_midnight)  # 2 * visit + day
        unique = pc.unique(keys)  # hash each (visit, day) once
        values = pa.array([_daily_hash(salts[k & 1], fingerprints[k >> 1]) for k in unique.to_pylist()], pa.string())
        return values.take(pc.index_in(keys, value_set=unique))


def _assemble(day: date, previous: _StartDaySim, current: _StartDaySim) -> pa.Table:
    lo, hi = _day_bounds(day)
    table = pa.concat_tables([previous.table(lo, hi), current.table(lo, hi)])
    return table.take(pc.sort_indices(table["timestamp"]))  # stable: duplicates stay adjacent


def generate_day(day: date, events_per_day: int = DEFAULT_EVENTS_PER_DAY, seed: int = DEFAULT_SEED) -> pa.Table:
    """Events whose timestamp falls on `day` (UTC), sorted by timestamp, in `schema.arrow_schema()`.

    About `events_per_day` (+1 % duplicates) events: those of visits started on `day` minus the
    ones running past midnight, plus the tail of the visits started the day before.
    """
    return _assemble(day, _StartDaySim(day - timedelta(days=1), events_per_day, seed),
                     _StartDaySim(day, events_per_day, seed))


def generate_days(start: date, end_exclusive: date, events_per_day: int = DEFAULT_EVENTS_PER_DAY,
                  seed: int = DEFAULT_SEED) -> Iterator[pa.Table]:
    """`generate_day` for each day in [start, end_exclusive), simulating every start day only once."""
    previous = None
    day = start
    while day < end_exclusive:
        previous = previous or _StartDaySim(day - timedelta(days=1), events_per_day, seed)
        current = _StartDaySim(day, events_per_day, seed)
        yield _assemble(day, previous, current)
        previous = current
        day += timedelta(days=1)
