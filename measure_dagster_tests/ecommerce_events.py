"""A small hand-made shop with an A/B test, and its figures worked out by hand.

Test `checkout` (variants a and b, 50/50 by default; control a, the first alphabetically):
  a1..a10  land on 2026-10-05 from the newsletter (utm_source=newsletter, utm_medium=email,
           utm_campaign=oct), one session each; a1 buys T-a1 for 40 EUR, a2 buys T-a2 for
           "25.50" (a string) "usd" (lower case): 25.50 * 0.86 = 21.93 EUR
  b1..b10  direct on 2026-10-05, one session each, except b2 (two);
           b1 buys T-b1 for 100 EUR and reloads the thank-you page 2 minutes later: T-b1 again
           b2 buys T-b2 for 60 EUR, comes back on 2026-10-06 and the page sends T-b2 again: a
           repeat in another partition, found in the raw events of the day before
           b3 buys T-b3 for "abc" (unparseable value), b4 T-b4 for 30 without a currency
           (missing currency): purchases without revenue
           b5 buys for 10 GBP without transaction_id: 11.40 EUR
  both     shown a on 2026-10-05 and b on 2026-10-06, buys T-both for 500 EUR on 10-06: excluded
           from the test (and counted), but its purchase is in the conversion mart
  empty    an ab_test record without a variant: no experiment uses it (counted by a warning)
  bot      Googlebot with checkout a and a purchase: never a visitor or a purchase of core/mart
Test `hero` (x and y, expected 50/50) on 2026-10-07: 300 visitors on x and 200 on y, each one
pageview from Google: a 60/40 split, chi-square 20, p = erfc(sqrt(10)) = 7.7e-6 < 0.001.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

from measure_dagster_tests.crafted_events import _event

DAY1, DAY2, DAY3 = "2026-10-05", "2026-10-06", "2026-10-07"
SHOP = "https://shop.example/"
NEWSLETTER = SHOP + "?utm_source=newsletter&utm_medium=email&utm_campaign=oct"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def _test(name: str, variant: str) -> list[dict]:
    return [{"name": name, "variant": variant, "def": "v1"}]


def _purchase(ts: datetime, client_id: str, ab_test, **fields) -> dict:
    return _event(ts, client_id=client_id, hash="h" + client_id, name="purchase", url=SHOP + "checkout/thank-you",
                  ab_test=ab_test, parameters=json.dumps(fields))


def ecommerce_rows() -> list[dict]:
    t = datetime.fromisoformat
    rows: list[dict] = []

    def page(ts, client_id, ab_test, url=SHOP, referrer="", **kwargs):
        rows.append(_event(ts, client_id=client_id, hash="h" + client_id, url=url, referrer=referrer,
                           ab_test=ab_test, **kwargs))

    a, b = _test("checkout", "a"), _test("checkout", "b")
    for i in range(1, 11):
        page(t(f"{DAY1} 10:{i:02d}:00"), f"a{i}", a, url=NEWSLETTER)
        page(t(f"{DAY1} 11:{i:02d}:00"), f"b{i}", b)
    rows += [
        _purchase(t(f"{DAY1} 10:06:00"), "a1", a, transaction_id="T-a1", value=40, currency="EUR"),
        _purchase(t(f"{DAY1} 10:07:00"), "a2", a, transaction_id="T-a2", value="25.50", currency="usd"),
        _purchase(t(f"{DAY1} 11:03:00"), "b1", b, transaction_id="T-b1", value=100, currency="EUR"),
        _purchase(t(f"{DAY1} 11:05:00"), "b1", b, transaction_id="T-b1", value=100, currency="EUR"),
        _purchase(t(f"{DAY1} 11:06:00"), "b2", b, transaction_id="T-b2", value=60.0, currency="EUR"),
        _purchase(t(f"{DAY1} 11:07:00"), "b3", b, transaction_id="T-b3", value="abc", currency="EUR"),
        _purchase(t(f"{DAY1} 11:08:00"), "b4", b, transaction_id="T-b4", value=30),
        _purchase(t(f"{DAY1} 11:09:00"), "b5", b, value=10, currency="GBP"),
    ]
    # b2 comes back the next day; the thank-you page is restored from the browser's history
    page(t(f"{DAY2} 09:00:00"), "b2", b)
    rows.append(_purchase(t(f"{DAY2} 09:01:00"), "b2", b, transaction_id="T-b2", value=60.0, currency="EUR"))
    # a visitor in both variants
    page(t(f"{DAY1} 12:00:00"), "both", a)
    page(t(f"{DAY2} 12:00:00"), "both", b)
    rows.append(_purchase(t(f"{DAY2} 12:02:00"), "both", b, transaction_id="T-both", value=500, currency="EUR"))
    # an incomplete ab_test record, and a bot
    page(t(f"{DAY1} 13:00:00"), "empty", [{"name": "checkout", "variant": "", "def": "v1"}])
    page(t(f"{DAY1} 14:00:00"), "bot", a, ua=GOOGLEBOT)
    rows.append({**_purchase(t(f"{DAY1} 14:01:00"), "bot", a, transaction_id="T-bot", value=999, currency="EUR"),
                 "user_agent": GOOGLEBOT})
    # hero: 300 on x, 200 on y
    start = t(f"{DAY3} 08:00:00")
    for i in range(500):
        variant = "x" if i < 300 else "y"
        page(start + timedelta(seconds=37 * i), f"hero{i}", _test("hero", variant), referrer="https://www.google.com/")
    return rows


D = Decimal

# staging.purchases: (visitor, transaction_id) -> (is_repeat_transaction, value, currency, revenue, revenue_issue)
EXPECTED_PURCHASES = {
    ("a1", "T-a1", False): (D("40"), "EUR", D("40"), None),
    ("a2", "T-a2", False): (D("25.5"), "USD", D("21.93"), None),
    ("b1", "T-b1", False): (D("100"), "EUR", D("100"), None),
    ("b1", "T-b1", True): (D("100"), "EUR", D("100"), None),
    ("b2", "T-b2", False): (D("60"), "EUR", D("60"), None),
    ("b2", "T-b2", True): (D("60"), "EUR", D("60"), None),
    ("b3", "T-b3", False): (None, "EUR", None, "unparseable value"),
    ("b4", "T-b4", False): (D("30"), None, None, "missing currency"),
    ("b5", None, False): (D("10"), "GBP", D("11.4"), None),
    ("both", "T-both", False): (D("500"), "EUR", D("500"), None),
    ("bot", "T-bot", False): (D("999"), "EUR", D("999"), None),
}

# mart.conversions: (date, source, medium, campaign) ->
#   (sessions, converting_sessions, transactions, transactions_without_revenue, revenue)
EXPECTED_CONVERSIONS = {
    (DAY1, "newsletter", "email", "oct"): (10, 2, 2, 0, D("61.93")),
    # b1..b10, both, empty
    (DAY1, "(direct)", "(none)", "(not set)"): (12, 5, 5, 2, D("171.4")),
    # b2's return (its repeat counts nothing) and both's purchase
    (DAY2, "(direct)", "(none)", "(not set)"): (2, 1, 1, 0, D("500")),
    (DAY3, "google", "organic", "(not set)"): (500, 0, 0, 0, D("0")),
}

# mart.experiments: (test, variant) -> (visitors, visitors_in_several_variants, sessions_after_exposure,
#   converting_visitors, transactions, transactions_without_revenue, revenue)
EXPECTED_EXPERIMENTS = {
    ("checkout", "a"): (10, 1, 10, 2, 2, 0, D("61.93")),
    ("checkout", "b"): (10, 1, 11, 5, 5, 2, D("171.4")),
    ("hero", "x"): (300, 0, 300, 0, 0, 0, D("0")),
    ("hero", "y"): (200, 0, 200, 0, 0, 0, D("0")),
}
