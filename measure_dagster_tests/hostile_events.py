"""Hostile raw events, and what the pipeline must make of them, worked out in Python.

The rows: generated from the collector's schema with hypothesis (NULL, empty, very long and
hostile values in every field, missing and NULL records, broken `parameters`), plus hand-written
ones for every rule (quarantine reasons, rejected timestamps, duplicates, ids with quotes,
semicolons and SQL keywords) and one bot visitor with 100,000 events on one day. They are
written as BigQuery exports (NDJSON for the hostile rows, Parquet for the bot) and loaded by
the raw asset like any export.

`expected_outcome` is the oracle: it applies the documented rules (docs/bad-data.md) row by row
in Python, without SQL, and gives what raw.events_rejected, staging.events_quarantine,
staging.events_cleaned and mart.daily_performance must hold.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from measure_dagster.raw import schema
from measure_dagster.settings import DBT_PROJECT_DIR

DAY1, DAY2 = "2026-10-05", "2026-10-06"
WINDOW = (datetime(2026, 10, 5), datetime(2026, 10, 7))
FIRST_PARTITION = datetime(2026, 10, 1)
MIN_EVENT_TIME = datetime(2000, 1, 1)
BOT_EVENTS = 100_000
BOT_VISITOR = "hostile-bot"

_VARS = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
MAX_VALUE_LENGTH = int(_VARS["max_value_length"])
BOT_PATTERN = re.compile(_VARS["bot_user_agent_pattern"])

DEVICE_FIELDS = ["type", "brand", "model", "browser", "browser_version", "os", "os_version"]
LOCATION_FIELDS = ["ip_trunc", "continent", "country", "country_code", "city"]
AB_FIELDS = ["name", "variant", "def"]
TEXT_COLUMNS = ["event_type", "event_name", "parameters", "user_agent", "url", "referrer", "client_id", "hash", "user_id"]

SQL_HOSTILE = [
    "'", "''", '"', "\\", "\\'", "';", "'; drop table raw.events; --", "Robert'); DROP TABLE students;--",
    "1' OR '1'='1", "select * from raw.events", "DELETE FROM staging.events_cleaned", "%", "_", "`x`",
    "$$; drop table x; $$", "{{ var('bot_user_agent_pattern') }}", "{% do exceptions.raise_compiler_error('x') %}",
    "\x00", "a\x00b", "\n", "\r\n", "\t", "NULL", "null", "None", "true", " ", "😀", "\u202eevil", "\ufeffbom",
]
MALFORMED_PARAMETERS = ["{", '{"a": 1', "not json", "[1, 2]", "42", '"a string"', "null", "{'single': 'quotes'}",
                        '{"title": "Pri', "{}}", '{"a": 1} trailing']
VALID_PARAMETERS = ["{}", '  {"a": 1}  ', '{"a": "\\u0000"}', '{"nested": {"deep": [1, 2, {"x": null}]}}',
                    json.dumps({"q": "'; drop table raw.events; --"})]
REALISTIC_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"
BOT_UA = "Mozilla/5.0 (compatible; HostileBot/1.0; +https://bot.example/)"


# ---------------------------------------------------------------------------------------------
# rows

# 'İ' is the one character whose lower case is two characters in Python ('i' + a combining dot)
# and one in DuckDB: it would make the oracle's bot pattern disagree for no reason.
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\u0130"), max_size=24)
_LONG = st.builds(lambda ch, n: ch * n, st.sampled_from(["x", "é", "😀", "'"]),
                  st.integers(MAX_VALUE_LENGTH - 1, MAX_VALUE_LENGTH + 2))


def _text_field(long_share: int = 2) -> st.SearchStrategy:
    """NULL, '', random text, a hostile constant, and (long_share % of the time) a value around the length limit."""
    ordinary = st.one_of(st.none(), st.just(""), _TEXT, _TEXT, st.sampled_from(SQL_HOSTILE))
    return st.integers(0, 99).flatmap(lambda k: _LONG if k < long_share else ordinary)


def _record(fields: list[str], extra: dict | None = None) -> st.SearchStrategy:
    optional = {name: _text_field(1) for name in fields}
    optional.update(extra or {})
    return st.one_of(st.none(), st.fixed_dictionaries({}, optional=optional))


@st.composite
def hostile_row(draw) -> dict:
    """One raw event of the collector's schema, hostile in any field but the timestamp (a datetime of the window)."""
    ts = draw(st.datetimes(min_value=WINDOW[0], max_value=WINDOW[1] - timedelta(microseconds=1)))
    ids = st.one_of(st.sampled_from(["c1", "c2", "c'3", "c;4", "SELECT", "DROP TABLE raw.events;--", "c\x005"]), _text_field())
    row = {
        "timestamp": ts,
        "event_type": draw(st.one_of(st.sampled_from(["pageview", "event"]), _text_field())),
        "event_name": draw(st.one_of(st.sampled_from(["pageview", "click", "purchase", "ünknøwn_event", "DROP TABLE"]), _text_field())),
        "parameters": draw(st.one_of(st.none(), st.just(""), st.sampled_from(MALFORMED_PARAMETERS + VALID_PARAMETERS),
                                     st.dictionaries(_TEXT, _TEXT, max_size=3).map(json.dumps), _LONG.map(lambda s: json.dumps({"x": s})))),
        "user_agent": draw(st.one_of(st.sampled_from([REALISTIC_UA, BOT_UA, "curl/8.0", "GOOGLEBOT"]), _text_field())),
        "url": draw(st.one_of(st.just("https://shop.example/?q=';--"), _text_field())),
        "referrer": draw(_text_field()),
        "client_id": draw(ids),
        "hash": draw(st.one_of(st.sampled_from(["h1", "h'2", "h;3"]), _text_field())),
        "user_id": draw(st.one_of(st.just("u1"), _text_field())),
        "consent_given": draw(st.one_of(st.none(), st.booleans())),
        "device": draw(_record(DEVICE_FIELDS, {"is_bot": st.one_of(st.none(), st.booleans())})),
        "ab_test": draw(st.one_of(st.none(), st.lists(st.one_of(st.none(), st.fixed_dictionaries(
            {}, optional={name: _text_field(3) for name in AB_FIELDS})), max_size=3))),
        "location": draw(_record(LOCATION_FIELDS)),
    }
    # in the export, a NULL record is sometimes written as null, sometimes left out
    row["__omit"] = draw(st.sets(st.sampled_from(["device", "location", "ab_test", "user_id", "parameters"])))
    return row


def generated_rows(count: int = 300) -> list[dict]:
    """`count` hostile rows from hypothesis, the same ones on every run (derandomized)."""
    rows: list[dict] = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(hostile_row())
    def collect(row):
        rows.append(row)

    collect()
    return rows


def _event(ts, **overrides) -> dict:
    row = {
        "timestamp": ts, "event_type": "pageview", "event_name": "pageview", "parameters": '{"title": "Home"}',
        "user_agent": REALISTIC_UA, "url": "https://shop.example/", "referrer": "", "client_id": "c-plain",
        "hash": "h-plain", "user_id": "", "consent_given": True,
        "device": {"type": "desktop", "brand": "", "model": "", "browser": "Firefox", "browser_version": "131",
                   "os": "Linux", "os_version": "", "is_bot": False},
        "ab_test": [], "location": {"ip_trunc": "203.0.113.0", "continent": "Europe", "country": "Germany",
                                    "country_code": "DE", "city": "Berlin"},
        "__omit": set(),
    }
    row.update(overrides)
    return row


def written_rows(now: datetime) -> list[dict]:
    """Hand-written rows: one or more for every rule. `__ts` (a string) replaces the timestamp in
    the export where the timestamp itself is the point."""
    t = datetime.fromisoformat
    long = "x" * (MAX_VALUE_LENGTH + 1)
    rows = [_event(t("2026-10-05 08:00:00") + timedelta(minutes=i), client_id=cid, hash=f"h{i}", user_id=cid)
            for i, cid in enumerate(SQL_HOSTILE)]
    rows += [_event(t("2026-10-05 09:00:00") + timedelta(minutes=i), parameters=p) for i, p in enumerate(MALFORMED_PARAMETERS)]
    rows += [_event(t("2026-10-05 10:00:00") + timedelta(minutes=i), parameters=p) for i, p in enumerate(VALID_PARAMETERS)]
    rows += [
        # the length limit: exactly max_value_length is kept, one more is quarantined, in any field
        _event(t("2026-10-05 11:00:00"), url="u" * MAX_VALUE_LENGTH),
        _event(t("2026-10-05 11:01:00"), url=long),
        _event(t("2026-10-05 11:02:00"), user_agent=long),
        _event(t("2026-10-05 11:03:00"), ab_test=[{"name": "n", "variant": long, "def": None}]),
        _event(t("2026-10-05 11:04:00"), device={"type": "mobile", "model": long}),
        _event(t("2026-10-05 11:05:00"), location={"city": long}),
        _event(t("2026-10-05 11:06:00"), client_id=long),
        # no visitor key
        _event(t("2026-10-05 12:00:00"), client_id=None, hash=""),
        _event(t("2026-10-05 12:01:00"), client_id="", hash="", __omit={"client_id", "hash"}),
        # missing and NULL records, unknown and empty event names
        _event(t("2026-10-05 13:00:00"), device=None, location=None, ab_test=None, __omit={"device", "location", "ab_test"}),
        _event(t("2026-10-05 13:01:00"), device=None, location=None, ab_test=None),
        _event(t("2026-10-05 13:02:00"), device={}, location={}, ab_test=[None, {}]),
        _event(t("2026-10-05 13:03:00"), event_name="ünknøwn_event", event_type="event"),
        _event(t("2026-10-05 13:04:00"), event_name="", event_type=""),
        _event(t("2026-10-05 13:05:00"), event_name=None, event_type=None),
        # an ISO 8601 timestamp with an offset: 2026-10-05 23:30 UTC
        _event(None, __ts="2026-10-06T01:30:00+02:00", __expected_ts=t("2026-10-05 23:30:00")),
        # outside the run's days but inside the partitions: neither loaded by this run nor rejected
        _event(t("2026-10-20 10:00:00")),
        _event(t("2026-10-07 00:00:00")),
        # rejected by the loader: no partition can hold them
        _event(None, __ts=None),
        _event(None, __omit={"timestamp"}),
        _event(None, __ts=""),
        _event(None, __ts="not a date"),
        _event(None, __ts="2026-13-45 25:61:00 UTC"),
        _event(None, __ts="1970-01-01 00:00:00 UTC", __expected_ts=t("1970-01-01 00:00:00")),
        _event(None, __ts="1999-12-31T23:59:59Z", __expected_ts=t("1999-12-31 23:59:59")),
        _event(None, __ts="2026-09-30 23:59:59.999999 UTC", __expected_ts=t("2026-09-30 23:59:59.999999")),
        _event(None, __ts=f"{now + timedelta(days=1):%Y-%m-%d %H:%M:%S} UTC", __expected_ts=now.replace(microsecond=0) + timedelta(days=1)),
        _event(None, __ts="2100-01-01 00:00:00 UTC", __expected_ts=t("2100-01-01 00:00:00")),
        _event(None, __ts="9999-12-31 23:59:59 UTC", __expected_ts=t("9999-12-31 23:59:59")),
    ]
    # streamed duplicates: a valid row three times, a quarantined one twice
    duplicate = _event(t("2026-10-06 07:00:00"), client_id="c-dup", hash="h-dup")
    rows += [duplicate, dict(duplicate), dict(duplicate)]
    bad_duplicate = _event(t("2026-10-06 07:05:00"), parameters="{")
    rows += [bad_duplicate, dict(bad_duplicate)]
    return rows


def bot_table() -> pa.Table:
    """BOT_EVENTS events of one bot (known by its user agent only) spread over 2026-10-05."""
    start = datetime(2026, 10, 5)
    step = 86_400_000_000 // BOT_EVENTS
    n = BOT_EVENTS
    columns = {
        "timestamp": pa.array([start + timedelta(microseconds=i * step) for i in range(n)], pa.timestamp("us")),
        "event_type": pa.array(["pageview"] * n), "event_name": pa.array(["pageview"] * n),
        "parameters": pa.array(['{"title": "Home"}'] * n), "user_agent": pa.array([BOT_UA] * n),
        "url": pa.array([f"https://shop.example/p/{i % 500}" for i in range(n)]), "referrer": pa.array([""] * n),
        "client_id": pa.array([""] * n), "hash": pa.array([BOT_VISITOR] * n), "user_id": pa.array([""] * n),
        "consent_given": pa.array([False] * n),
    }
    table = pa.table(columns)
    for name in ("device", "ab_test", "location"):
        table = table.append_column(schema.arrow_schema().field(name), pa.nulls(n, schema.arrow_schema().field(name).type))
    return table


def bot_rows() -> list[dict]:
    return [dict(r, __omit=set()) for r in bot_table().to_pylist()]


# ---------------------------------------------------------------------------------------------
# exports

def _export_record(row: dict) -> dict:
    record = {k: v for k, v in row.items() if not k.startswith("__") and k not in row["__omit"]}
    if "timestamp" in record:
        record["timestamp"] = row["__ts"] if "__ts" in row else row["timestamp"].strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    return record


def write_exports(folder: Path, rows: list[dict]) -> Path:
    """The hostile rows as NDJSON (UTF-8, not ASCII-escaped), the bot's as Parquet."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "hostile-000.json", "w", encoding="utf-8") as handle:
        for row in rows:
            if row.get("hash") == BOT_VISITOR:
                continue
            handle.write(json.dumps(_export_record(row), ensure_ascii=False) + "\n")
    pq.write_table(bot_table(), folder / "bot-000.parquet")
    return folder


# Raw rows that did not come through the loader (a collector table on BigQuery can hold them):
# partitions never read them; a full refresh quarantines the first and does not process the second yet.
DIRECT_ROWS = [_event(datetime(1999, 6, 1, 12)), _event(datetime(2099, 1, 1, 12))]


def insert_direct_rows(con) -> None:
    table = pa.Table.from_pylist([{k: v for k, v in r.items() if not k.startswith("__")} for r in DIRECT_ROWS],
                                 schema=schema.arrow_schema())
    con.register("direct_rows", table)
    con.execute("insert into raw.events select * from direct_rows")
    con.unregister("direct_rows")


# ---------------------------------------------------------------------------------------------
# the oracle

def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _texts(row: dict) -> list[str | None]:
    values = [row.get(c) for c in TEXT_COLUMNS]
    for name, fields in (("device", DEVICE_FIELDS), ("location", LOCATION_FIELDS)):
        record = row.get(name) or {}
        values += [record.get(f) for f in fields]
    for element in row.get("ab_test") or []:
        values += [(element or {}).get(f) for f in AB_FIELDS]
    return values


def quarantine_reason(row: dict) -> str | None:
    if row["timestamp"] < MIN_EVENT_TIME:
        return "timestamp before 2000-01-01"
    if not row.get("client_id") and not row.get("hash"):
        return "missing visitor key"
    if any(v is not None and len(v) > MAX_VALUE_LENGTH for v in _texts(row)):
        return "value too long"
    if row.get("parameters") and not _is_json_object(row["parameters"]):
        return "malformed parameters"
    return None


def rejection_reason(row: dict, now: datetime) -> str | None:
    """Why the loader rejects the row; None when it has a timestamp a partition can hold."""
    if "timestamp" in row["__omit"] or ("__ts" in row and row["__ts"] is None):
        return "missing timestamp"
    ts = row.get("__expected_ts", row["timestamp"])
    if ts is None:
        return "unparseable timestamp"
    if ts < MIN_EVENT_TIME:
        return "timestamp before 2000-01-01"
    if ts < FIRST_PARTITION:
        return "timestamp before the first partition"
    if ts > now:
        return "timestamp in the future"
    return None


def _fingerprint(row: dict) -> tuple:
    """What makes two rows one event for events_cleaned: every field, NULL and '' alike."""
    def text(v):
        return "" if v is None else v
    device, location = row.get("device") or {}, row.get("location") or {}
    ab = row.get("ab_test")
    return (row["timestamp"], *(text(row.get(c)) for c in TEXT_COLUMNS), row.get("consent_given"),
            *(text(device.get(f)) for f in DEVICE_FIELDS), device.get("is_bot"),
            *(text(location.get(f)) for f in LOCATION_FIELDS),
            None if ab is None else tuple(None if e is None else tuple(e.get(f) for f in AB_FIELDS) for e in ab))


def _is_bot(row: dict) -> bool:
    device = row.get("device") or {}
    return bool(device.get("is_bot")) or bool(BOT_PATTERN.search((row.get("user_agent") or "").lower()))


@dataclass
class Outcome:
    raw_rows: int = 0
    rejected: Counter = field(default_factory=Counter)
    quarantined: Counter = field(default_factory=Counter)     # (date, reason) -> rows
    cleaned: int = 0
    cleaned_bots: int = 0
    daily: dict = field(default_factory=dict)                 # date -> {"total_events", "pageviews"} (humans)


def expected_outcome(rows: list[dict], now: datetime) -> Outcome:
    """What a run over WINDOW must leave, from the rules alone."""
    outcome = Outcome()
    seen = set()
    for row in rows:
        reason = rejection_reason(row, now)
        if reason:
            outcome.rejected[reason] += 1
            continue
        # what the export holds: omitted keys are NULL, the timestamp is the one the file says
        row = {**row, **{k: None for k in row["__omit"]}, "timestamp": row.get("__expected_ts", row["timestamp"])}
        if not WINDOW[0] <= row["timestamp"] < WINDOW[1]:
            continue
        outcome.raw_rows += 1
        day = row["timestamp"].date().isoformat()
        reason = quarantine_reason(row)
        if reason:
            outcome.quarantined[(day, reason)] += 1
            continue
        key = _fingerprint(row)
        if key in seen:
            continue
        seen.add(key)
        outcome.cleaned += 1
        if _is_bot(row):
            outcome.cleaned_bots += 1
            continue
        figures = outcome.daily.setdefault(day, {"total_events": 0, "pageviews": 0})
        figures["total_events"] += 1
        figures["pageviews"] += row.get("event_name") == "pageview"
    return outcome


def all_rows(now: datetime) -> list[dict]:
    """Every row of the exports: the hostile ones (NDJSON) and the bot's (Parquet)."""
    return generated_rows() + written_rows(now) + bot_rows()


def days(outcome: Outcome) -> list[date]:
    return sorted({date.fromisoformat(d) for d in outcome.daily})


# ---------------------------------------------------------------------------------------------
# one uninterrupted run over the hostile exports, shared by test_bad_input and test_faults

def table_fingerprints(path) -> dict[str, tuple]:
    """Every table and view of the warehouse but monitoring (run logs, clock-dependent), each as
    (rows, sum of row hashes) with floats rounded: equal fingerprints, equal tables."""
    import duckdb

    fingerprints = {}
    with duckdb.connect(str(path), read_only=True) as con:
        relations = con.execute("""
            select table_schema, table_name, table_type from information_schema.tables
            where table_catalog = current_database() and table_schema not in ('monitoring', 'information_schema', 'pg_catalog')
            order by 1, 2""").fetchall()
        for schema_name, name, kind in relations:
            columns = con.execute("""select column_name, data_type from information_schema.columns
                                     where table_catalog = current_database() and table_schema = ? and table_name = ?
                                     order by ordinal_position""", [schema_name, name]).fetchall()
            parts = []
            for column, data_type in columns:
                if (schema_name, name, column) == ("raw", "events_rejected", "loaded_at"):
                    continue
                quoted = '"' + column.replace('"', '""') + '"'
                value = f"round({quoted}, 6)" if data_type in ("DOUBLE", "FLOAT") else quoted
                parts.append(f"{quoted} := {value}")
            relation = f'"{schema_name}"."{name}"'
            count, total = con.execute(
                f"select count(*), coalesce(sum(hash(struct_pack({', '.join(parts)}))::hugeint), 0) from {relation}").fetchall()[0]
            fingerprints[f"{schema_name}.{name}"] = (kind, count, int(total))
    return fingerprints


@dataclass
class ReferenceRun:
    exports: Path
    now: datetime
    outcome: Outcome
    success: bool
    failures: list[str]
    seconds: float
    checks: dict                      # check name -> (passed, severity, failed_row_count)
    fingerprints: dict
    raw_rows: int
    rejected: Counter
    quarantined: Counter
    cleaned: tuple
    daily: dict
    full_refresh_quarantine: Counter  # after `dbt build --full-refresh` of events_cleaned and events_quarantine
    full_refresh_cleaned_same: bool


_REFERENCE: dict = {}


def prepare_warehouse(path) -> None:
    """An empty warehouse with the rows that did not come through the loader."""
    import duckdb

    from measure_dagster.raw import files
    from measure_dagster_tests.conftest import wipe_warehouse

    wipe_warehouse()
    with duckdb.connect(str(path)) as con:
        files.ensure_raw_tables(con)
        insert_direct_rows(con)


def reference_run(path, workdir: Path) -> ReferenceRun:
    """Generate the rows, write the exports, run days 2026-10-05..06 through Dagster once (cached
    for the session), and read what the tests need before the warehouse is wiped."""
    if "run" in _REFERENCE:
        return _REFERENCE["run"]
    import os
    import time

    import dagster as dg

    from measure_dagster_tests.pipeline import dbt, query, run_days

    now = datetime.utcnow()
    rows = all_rows(now)
    exports = write_exports(workdir / "hostile-exports", rows)
    os.environ["MEASURE_EVENTS_PATH"] = str(exports)
    try:
        prepare_warehouse(path)
        started = time.monotonic()
        (workdir / "reference-home").mkdir(exist_ok=True)
        with dg.instance_for_test(temp_dir=str(workdir / "reference-home")) as instance:
            result = run_days(instance, DAY1, DAY2)
        seconds = time.monotonic() - started
        failures = [f"{e.step_key}: {e.event_specific_data.error.message[:2000]}" for e in result.all_events if e.is_step_failure]
        checks = {}
        for e in result.get_asset_check_evaluations():
            count = e.metadata.get("dagster_dbt/failed_row_count", e.metadata.get("rows_rejected"))
            checks[e.check_name] = (e.passed, e.severity, None if count is None else count.value)
        fingerprints = table_fingerprints(path)
        rejected = Counter({r["reason"]: r["n"] for r in query(path, "select reason, count(*) as n from raw.events_rejected group by 1")})
        quarantine_sql = "select cast(event_date as varchar) as d, reason, count(*) as n from staging.events_quarantine group by 1, 2"
        quarantined = Counter({(r["d"], r["reason"]): r["n"] for r in query(path, quarantine_sql)})
        cleaned = tuple(query(path, "select count(*) as n, count(case when is_bot then 1 end) as bots from staging.events_cleaned")[0].values())
        daily = {str(r["date"]): {"total_events": r["total_events"], "pageviews": r["pageviews"]}
                 for r in query(path, "select date, total_events, pageviews from mart.daily_performance")}
        raw_rows = query(path, "select count(*) as n from raw.events")[0]["n"]
        # a full refresh of the models reading the raw source, without a window: the same events, plus the row
        # before 2000 that no partition reads; the row of 2099 is not due yet
        before = fingerprints["staging.events_cleaned"]
        dbt(["build", "--full-refresh", "--quiet", "--select", "events_screened", "events_cleaned", "events_quarantine"])
        full_refresh_quarantine = Counter({(r["d"], r["reason"]): r["n"] for r in query(path, quarantine_sql)})
        full_refresh_cleaned_same = table_fingerprints(path)["staging.events_cleaned"] == before
    finally:
        os.environ.pop("MEASURE_EVENTS_PATH", None)
    _REFERENCE["run"] = ReferenceRun(
        exports=exports, now=now, outcome=expected_outcome(rows, now), success=result.success, failures=failures,
        seconds=seconds, checks=checks, fingerprints=fingerprints, raw_rows=raw_rows, rejected=rejected,
        quarantined=quarantined, cleaned=cleaned, daily=daily, full_refresh_quarantine=full_refresh_quarantine,
        full_refresh_cleaned_same=full_refresh_cleaned_same)
    return _REFERENCE["run"]
