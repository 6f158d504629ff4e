"""Five weeks of hand-made traffic for the anomaly checks, with faults planted in the last week.

Monday 2026-10-05 .. Sunday 2026-11-08 (week w = 0..4). Every hour of every day:
  weekdays  8 visitors, weekends 4 (an ordinary weekend dip: half the weekday traffic);
  each visitor one pageview and one click a minute later (2 human events), on page
  PAGES[i % 4] and from country COUNTRIES[i % 4] (i = the visitor's number in its hour; the
  extra visitors below, i >= base, on PAGES[(i + 2) % 4]);
  1 bot event (device.is_bot) per hour, on PAGES[hour % 4] (the bot surge's 10: PAGES[(hour + b) % 4]).
  Hour 12 of every day of week w has w % 3 extra visitors (numbers 8.. resp. 4..), so the weeks
  differ a little and the MAD is not 0.

So a normal weekday of week w: 192 + w%3 visitors, 384 + 2·(w%3) human events, 192 + w%3
pageviews, 24 bot events, 17 events (16 human + 1 bot) in every hour but 12; a weekend day:
96 + w%3 visitors, 192 + 2·(w%3) events, 24 bot events.

Planted in week 4 (w%3 = 1):
  Mon 11-02  OUTAGE     the collector is down 09:00-12:00: no event in hours 9, 10, 11
  Tue 11-03  HALF_PAGES the snippet is gone from half the pages (PAGES[2], PAGES[3]): their
                        visitors and bot hits are not recorded (the bot share stays as it was)
  Wed 11-04  BOT_SURGE  10 bot events per hour instead of 1
  Thu 11-05  normal
  Fri 11-06  ONE_PAGE   every pageview reports the home page (a single-page-app tracker bug)
  Sat 11-07  WEEKEND    an ordinary Saturday: nothing planted, half a weekday's traffic
  Sun 11-08  NO_COUNTRY the geo lookup broke: no event has a country
"""

from datetime import date, datetime, timedelta

FIRST_DAY = date(2026, 10, 5)  # a Monday
LAST_DAY = date(2026, 11, 8)  # a Sunday
OUTAGE, HALF_PAGES, BOT_SURGE, NORMAL, ONE_PAGE, WEEKEND, NO_COUNTRY = (date(2026, 11, d) for d in range(2, 9))
OUTAGE_HOURS = (9, 10, 11)

# What the anomaly checks find over the five weeks (as one run): check -> anomalous days, by hand
# from the plan above. The quarantine share never jumps (nothing is quarantined).
EXPECTED_ANOMALOUS_DAYS = {
    "events_vs_same_weekday": HALF_PAGES.isoformat(),
    "visitors_vs_same_weekday": HALF_PAGES.isoformat(),
    "pageviews_vs_same_weekday": HALF_PAGES.isoformat(),
    "hours_without_events": OUTAGE.isoformat(),
    "bot_share_jump": BOT_SURGE.isoformat(),
    "quarantined_share_jump": "none",
    "top_page_dominates": ONE_PAGE.isoformat(),
    "top_country_dominates": NO_COUNTRY.isoformat(),
}

PAGES = ["https://site.example/", "https://site.example/pricing", "https://site.example/docs", "https://site.example/blog"]
COUNTRIES = [("Germany", "DE"), ("France", "FR"), ("Netherlands", "NL"), ("Sweden", "SE")]

_DEVICE = {"type": "desktop", "brand": "", "model": "", "browser": "Firefox", "browser_version": "131",
           "os": "Linux", "os_version": "", "is_bot": False}
_BOT_DEVICE = {**_DEVICE, "type": "bot", "is_bot": True}


def _location(country: str, code: str) -> dict:
    return {"ip_trunc": "203.0.113.0", "continent": "Europe" if code else "", "country": country,
            "country_code": code, "city": ""}


def _row(ts: datetime, *, client_id: str, name: str, url: str, location: dict, device=_DEVICE,
         ua="Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0") -> dict:
    return {
        "timestamp": ts, "event_type": "pageview" if name == "pageview" else "event", "event_name": name,
        "parameters": "{}", "user_agent": ua, "url": url, "referrer": "", "client_id": client_id,
        "hash": "", "user_id": "", "consent_given": True, "device": device, "ab_test": [], "location": location,
    }


def week_of(day: date) -> int:
    return (day - FIRST_DAY).days // 7


def visitors_in_hour(day: date, hour: int) -> int:
    base = 8 if day.weekday() < 5 else 4
    return base + (week_of(day) % 3 if hour == 12 else 0)


def page_of(day: date, i: int) -> str:
    base = 8 if day.weekday() < 5 else 4
    return PAGES[i % 4] if i < base else PAGES[(i + 2) % 4]


def rows() -> list[dict]:
    out: list[dict] = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        for hour in range(24):
            if day == OUTAGE and hour in OUTAGE_HOURS:
                continue
            start = datetime(day.year, day.month, day.day, hour)
            for i in range(visitors_in_hour(day, hour)):
                page = page_of(day, i)
                if day == HALF_PAGES and page in PAGES[2:]:
                    continue
                url = PAGES[0] if day == ONE_PAGE else page
                location = _location("", "") if day == NO_COUNTRY else _location(*COUNTRIES[i % 4])
                visitor = f"c-{day.isoformat()}-{hour:02d}-{i}"
                at = start + timedelta(minutes=2 * i)
                out.append(_row(at, client_id=visitor, name="pageview", url=url, location=location))
                out.append(_row(at + timedelta(minutes=1), client_id=visitor, name="click", url=url, location=location))
            for b in range(10 if day == BOT_SURGE else 1):
                bot_page = PAGES[(hour + b) % 4]
                if day == HALF_PAGES and bot_page in PAGES[2:]:
                    continue
                out.append(_row(start + timedelta(minutes=30, seconds=b), client_id=f"bot-{day.isoformat()}-{hour:02d}-{b}",
                                name="pageview", url=bot_page, location=_location(*COUNTRIES[0]), device=_BOT_DEVICE,
                                ua="Mozilla/5.0 (compatible; ExampleMonitor/1.0)"))
        day += timedelta(days=1)
    return out
