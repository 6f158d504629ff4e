"""Visitors whose sessions span more than the attribution window (30 days), for the exactness of
core.sessions' bounded recompute: a partition run rewrites a visitor's sessions from the tail on
(its days less the session look-back), reads the 31 days before that and the last login before
them, and rewrites the visitor's earlier sessions only when their user changes (test_partitions.py).

Per visitor, what a full refresh gives, by hand (EXPECTED_USERS: user_id of each session in
start order; EXPECTED_INHERITED: the sessions that inherit a source).
"""

from __future__ import annotations

from datetime import datetime

from measure_dagster_tests.crafted_events import _event

GOOGLE = "https://www.google.com/"


def _visit(ts: str, client_id: str, *, user_id: str = "", referrer: str = "", url: str = "https://shop.example/") -> dict:
    # one pageview: one session (a day apart at least, far beyond the 30-minute gap)
    day = ts[:10]
    return _event(datetime.fromisoformat(ts), client_id=client_id, hash=f"{client_id}-{day}", user_id=user_id,
                  referrer=referrer, url=url)


VISITS = [
    # anonymous for 39 days, then a first login: every earlier session takes its user, also
    # those more than 31 days before the login's run (the run rewrites the visitor's whole history)
    _visit("2026-10-02 10:00:00", "c-late-login"),
    _visit("2026-10-20 10:00:00", "c-late-login"),
    _visit("2026-11-10 10:00:00", "c-late-login", user_id="u-late"),
    _visit("2026-11-15 10:00:00", "c-late-login"),
    # a login 40 days before an anonymous session: the last login before it, read from beyond
    # the 31 days before the tail
    _visit("2026-10-03 09:00:00", "c-old-login", user_id="u-old"),
    _visit("2026-10-04 09:00:00", "c-old-login"),
    _visit("2026-11-12 09:00:00", "c-old-login"),
    # two first logins, the later day run first: the earlier login then takes the anonymous sessions
    _visit("2026-10-05 11:00:00", "c-two-logins"),
    _visit("2026-11-01 11:00:00", "c-two-logins"),
    _visit("2026-11-09 11:00:00", "c-two-logins", user_id="u-first"),
    _visit("2026-11-14 11:00:00", "c-two-logins", user_id="u-second"),
    _visit("2026-11-16 11:00:00", "c-two-logins"),
    # sources: a direct visit 29 days 22 hours after a news one inherits it (from before the
    # tail); 33 days after a Google one, it does not
    _visit("2026-10-12 10:00:00", "c-sources", referrer="https://news.example/"),
    _visit("2026-11-11 08:00:00", "c-sources"),
    _visit("2026-10-01 08:00:00", "c-old-source", referrer=GOOGLE),
    _visit("2026-11-03 08:00:00", "c-old-source"),
]

EXPECTED_USERS = {
    "c-late-login": ["u-late"] * 4,
    "c-old-login": ["u-old"] * 3,
    "c-two-logins": ["u-first", "u-first", "u-first", "u-second", "u-second"],
    "c-sources": [None, None],
    "c-old-source": [None, None],
}
# (visitor, session start) -> the inherited source
EXPECTED_INHERITED = {
    ("c-sources", "2026-11-11 08:00:00"): "news.example",
}
# one run over the first month, then one run per later day with a visit (in this order, each
# run takes one of the paths above: e.g. 11-14 then 11-09 changes c-two-logins' first login twice)
LATER_DAYS_IN_RUN_ORDER = ["2026-11-14", "2026-11-09", "2026-11-12", "2026-11-16", "2026-11-11", "2026-11-10",
                           "2026-11-03", "2026-11-15", "2026-11-01"]
FIRST_RUN = ("2026-10-01", "2026-10-31")


def raw_rows() -> list[dict]:
    return list(VISITS)
