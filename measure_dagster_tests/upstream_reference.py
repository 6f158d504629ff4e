"""An independent Python reference of Measure.js's own session and traffic-source rules
(measurestack/measure-stack, data/dbt/measure_js: staging/events_sessionated.sql and
core/sessions.sql, with the vars of its dbt_project.yml), written from its SQL, not from this
project's macros. For the parity test (test_upstream_parity.py), over single-visitor scenarios.

`upstream_sessions(events)` follows upstream's steps:
  1. activity blocks: a visitor's events (by `hash`) with gaps of at most 30 minutes (in whole
     milliseconds, as TIMESTAMP_DIFF(..., MILLISECOND) truncates);
  2. the block's client_id: the event's own, else the block's first one, else the hash;
  3. source pageviews of a block: its first pageview, and every pageview with a source signal
     (external referrer, click id, utm_* tag), each combination of referrer + click id + utm
     values only at its first occurrence in the block; each event belongs to the latest source
     pageview at or before it, events before the first one to the first one; a block without a
     pageview is a "stub" session;
  4. the source of a session from its source pageview by upstream's utm_rules (clid rules,
     google referrer, any external referrer -> the literal 'referring_domain' / referral, else
     utm values or direct / none);
  5. sessions: bots and stubs left out; a non-external session takes utm and click id of the
     client's latest earlier external session of less than 30 days (hash-only: 24 hours).

`split_on_new_source=False, require_pageview=False` turns the two session rules off (sessions =
blocks, the source from the block's first pageview, else its first event; stubs kept): the
definition this project uses by default. `documented_labels()` maps upstream's labels to this
project's where README's parity section documents a deliberate difference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

GAP_MS = 30 * 60 * 1000
CLID = "gclid|fbclid|wbraid|gbraid|tblci|li_fat_id"
INTERNAL_REFERRERS = r"paddle\.com|stripe\.com|accounts\.google\."
UTM_NAMES = ("source", "medium", "campaign", "content", "term", "id")


@dataclass(frozen=True)
class Event:
    timestamp: datetime
    event_name: str
    url: str
    referrer: str | None = None
    client_id: str | None = None
    hash: str | None = None
    is_bot: bool = False


def _search(pattern: str, text: str | None) -> str | None:
    if text is None:
        return None
    found = re.search(pattern, text)
    return found.group(1) if found else None


def _domain(url: str | None) -> str | None:
    # REGEXP_EXTRACT(x, r'^(?:\w+://)?(?:[^:/?]+\.)*([^:/?]+\.[^:/?]+)'): the last two labels
    return _search(r"^(?:\w+://)?(?:[^:/?]+\.)*([^:/?]+\.[^:/?]+)", url)


def _signals(e: Event) -> dict:
    referrer = e.referrer or None  # upstream reads '' as a value; the collector's '' is "none" here
    ext = (referrer is not None and _domain(referrer) is not None and _domain(e.url) is not None
           and _domain(referrer) != _domain(e.url) and not re.search(f"({INTERNAL_REFERRERS})", referrer))
    clid = None
    if re.search(f"({CLID})=([^&#]+)", e.url):
        clid = (_search(f"({CLID})=", e.url), _search(f"(?:{CLID})=([^&#]+)", e.url))
    utm = None
    if re.search(r"(utm_source|utm_medium|utm_campaign|utm_content|utm_term|utm_id)=([^&#]+)", e.url):
        utm = {name: _search(f"utm_{name}=([^&#]+)", e.url) for name in UTM_NAMES}
    return {
        "is_ext_referrer": ext,
        "referring_domain": _search(r"https?://([^/?#]+)", referrer),
        "clid": clid,
        "utm": utm,
        "combined": (referrer or "", clid, tuple(sorted(utm.items())) if utm else None),
        "is_direct": not ext and clid is None and utm is None,
    }


def _landing_page(url: str) -> str:
    # page_location: host removed, tracking parameters removed (the fix of upstream's trailing '&'
    # is documented_labels' business, not this function's)
    page = re.sub(r"(https?://[^/?#]+|#tblci[^&#]+$)", "", url, count=1)
    page = re.sub(f"(utm_[a-z]+|{CLID})=[^&#]*&?", "", page)
    page = re.sub(r"(\?$|\?&)", "", page)
    return page.replace("?#", "#")


def _utm_rule(signals: dict) -> dict:
    """upstream's utm_rules (dbt_project.yml), in order, over a source pageview's signals."""
    utm = signals["utm"] or {}
    clid = signals["clid"][0] if signals["clid"] else None
    domain = signals["referring_domain"]
    if clid in ("gclid", "wbraid", "gbraid"):
        rule, source, medium = "google click id", "google", "cpc"
    elif clid == "fbclid":
        rule, source, medium = "fbclid", "facebook", "(not set)"
    elif domain is not None and re.search(r"^(www\.)?google\.\w+", domain):
        rule, source, medium = "google referrer", "google", "organic"
    elif signals["is_ext_referrer"]:
        rule, source, medium = "external referrer", "referring_domain", "referral"  # upstream's literal string
    else:
        rule, source, medium = None, "direct", "none"
    return {"source": utm.get("source") or source, "medium": utm.get("medium") or medium, "campaign": utm.get("campaign"),
            "rule": rule, "utm_source": utm.get("source"), "utm_medium": utm.get("medium"), "is_utm_tagged": bool(utm)}


def upstream_sessions(events: list[Event], *, split_on_new_source: bool = True, require_pageview: bool = True) -> list[dict]:
    """The sessions of one visitor's events, as upstream's core.sessions has them."""
    by_hash: dict[str, list[Event]] = {}
    for e in sorted(events, key=lambda e: e.timestamp):
        by_hash.setdefault(e.hash or e.client_id, []).append(e)

    raw_sessions = []
    for hash_, hash_events in by_hash.items():
        blocks: list[list[Event]] = []
        for e in hash_events:
            gap_ms = None if not blocks else int((e.timestamp - blocks[-1][-1].timestamp).total_seconds() * 1000)
            if gap_ms is None or gap_ms > GAP_MS:
                blocks.append([])
            blocks[-1].append(e)
        for block in blocks:
            client_ids = [e.client_id for e in block if e.client_id]
            client_id = client_ids[0] if client_ids else hash_
            pageviews = [e for e in block if e.event_name == "pageview"]
            if split_on_new_source:
                candidates = [e for e in pageviews if e is pageviews[0] or not _signals(e)["is_direct"]]
                seen, sources = set(), []
                for e in candidates:
                    if _signals(e)["combined"] not in seen:
                        seen.add(_signals(e)["combined"])
                        sources.append(e)
            else:
                sources = pageviews[:1]
            groups: dict[int, list[Event]] = {}
            for e in block:
                at_or_before = [i for i, s in enumerate(sources) if s.timestamp <= e.timestamp]
                groups.setdefault(at_or_before[-1] if at_or_before else 0, []).append(e)
            for index, members in groups.items():
                # the attributed event: the source pageview, else (no pageview: a stub) the first event
                source_event = sources[index] if sources else members[0]
                signals = _signals(source_event)
                raw_sessions.append({
                    "visitor": client_id,
                    "is_hash_only": client_id == hash_,
                    "session_start": members[0].timestamp,
                    "session_end": members[-1].timestamp,
                    "events": len(members),
                    "pageviews": sum(e.event_name == "pageview" for e in members),
                    "landing_page": _landing_page(source_event.url),
                    "is_bot": any(e.is_bot for e in members),
                    "is_stub": not sources,
                    # upstream: a stub is never external (it drops stubs); kept, it has its first event's source
                    "is_external": not signals["is_direct"] and (bool(sources) or not require_pageview),
                    "clid": signals["clid"][0] if signals["clid"] else None,
                    "referrer_host": signals["referring_domain"],
                    **_utm_rule(signals),
                })

    sessions = []
    for s in raw_sessions:
        if s["is_bot"] or (require_pageview and s["is_stub"]):
            continue
        s = {**s, "is_inherited_source": False}
        if not s["is_external"]:
            earlier = [
                s2 for s2 in raw_sessions
                if s2["visitor"] == s["visitor"] and s2["is_external"] and s["session_start"] > s2["session_start"]
                and ((not s["is_hash_only"] and (s["session_start"] - s2["session_start"]).days < 30)
                     or (s["session_start"] - s2["session_start"]).total_seconds() // 3600 < 24)
            ]
            if earlier:
                latest = max(earlier, key=lambda s2: s2["session_start"])
                s.update({k: latest[k] for k in ATTRIBUTION},
                         is_inherited_source=True)
        sessions.append(s)
    return sorted(sessions, key=lambda s: s["session_start"])


ATTRIBUTION = ("source", "medium", "campaign", "rule", "utm_source", "utm_medium", "is_utm_tagged", "clid", "referrer_host")
OUR_CLICK_IDS = {"tblci": ("taboola", "cpc"), "li_fat_id": ("linkedin", "paid-social"), "fbclid": ("facebook", "paid-social")}


def documented_labels(session: dict) -> dict:
    """Upstream's session with this project's labels where README's parity section documents a
    deliberate difference (and nothing else: boundaries, counts and campaigns are left as they are):
    - (direct) / (none) for a direct session (upstream: direct / none);
    - an external referrer's host without www. (upstream: the literal 'referring_domain', its bug);
    - a source for fbclid's medium and for the click ids upstream knows without a rule: fbclid ->
      paid-social, tblci -> taboola / cpc, li_fat_id -> linkedin / paid-social (utm values win);
    - (not set) / (not set) for a utm-tagged session that no rule names (upstream: direct / none,
      although the session is not direct for it either);
    - the landing page without the trailing '&' upstream leaves (its bug), as a path.
    """
    s = dict(session)
    if s["clid"] in OUR_CLICK_IDS and s["clid"] != "fbclid":
        # a click id comes first here, before the referrer rules; upstream has no rule for these two
        rule_source, rule_medium = OUR_CLICK_IDS[s["clid"]]
    elif s["rule"] == "fbclid":
        rule_source, rule_medium = OUR_CLICK_IDS["fbclid"]
    elif s["rule"] == "external referrer":
        rule_source, rule_medium = re.sub(r"^www\.", "", s["referrer_host"].split(":")[0].lower()), "referral"
    elif s["rule"] is None:
        rule_source = rule_medium = None
    else:
        rule_source, rule_medium = s["source"], s["medium"]
    s["source"] = s["utm_source"] or rule_source or ("(not set)" if s["is_utm_tagged"] else "(direct)")
    s["medium"] = s["utm_medium"] or rule_medium or ("(not set)" if s["is_utm_tagged"] else "(none)")
    s["landing_page"] = s["landing_page"].rstrip("&").replace("&#", "#")
    return s
