"""Loading BigQuery exports (NDJSON, Parquet) and generated traffic into raw.events, one replaced window at a time."""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from measure_dagster.raw import generator, schema
from measure_dagster.raw.files import (
    EventFilesError,
    LoadReport,
    ensure_raw_tables,
    load_window_from_files,
    load_window_from_generator,
    resolve_event_files,
)

DAY5 = datetime(2026, 10, 5)
DAY6 = datetime(2026, 10, 6)

DEVICE = {"type": "desktop", "brand": "Apple", "model": "Mac", "browser": "Safari", "browser_version": "17.4",
          "os": "Mac", "os_version": "14.4", "is_bot": False}
LOCATION = {"ip_trunc": "203.0.113.0", "continent": "Europe", "country": "Germany", "country_code": "DE", "city": "Berlin"}
AB = [{"name": "hero_banner", "variant": "b", "def": "50/50"}, {"name": "checkout_button", "variant": "control", "def": "50/50"}]

# Hand-written export: BigQuery's own timestamp format, ISO 8601 variants, and bad timestamps.
JSON_ROWS = [
    {"timestamp": "2026-10-05 09:00:00.000000 UTC", "event_type": "pageview", "event_name": "pageview",
     "parameters": '{"title": "Home"}', "user_agent": "Mozilla/5.0", "url": "https://shop.example.com/?utm_source=newsletter",
     "referrer": "", "client_id": "c-1", "hash": "h1", "user_id": "", "consent_given": True,
     "device": DEVICE, "ab_test": AB, "location": LOCATION},
    {"timestamp": "2026-10-05T23:59:59.999999Z", "event_type": "event", "event_name": "click", "client_id": "",
     "hash": "h2", "consent_given": False, "device": {"type": "mobile"}, "ab_test": []},  # partial device, no location
    {"timestamp": "2026-10-06T01:30:00.123+02:00", "event_type": "event", "event_name": "scroll"},  # = 05 23:30:00.123 UTC
    {"timestamp": "2026-10-06 00:00:00.000000 UTC", "event_type": "pageview"},  # first instant of the next day
    {"timestamp": "2026-10-04T22:00:00-03:00", "event_type": "pageview"},  # = 05 01:00 UTC
    {"timestamp": None, "event_type": "pageview"},
    {"event_type": "pageview"},  # no timestamp at all
    {"timestamp": "yesterday-ish", "event_type": "pageview"},
]
JSON_DAY5 = [datetime(2026, 10, 5, 1), datetime(2026, 10, 5, 9), datetime(2026, 10, 5, 23, 30, 0, 123000),
             datetime(2026, 10, 5, 23, 59, 59, 999999)]

# Parquet exports: one with a UTC-adjusted (TIMESTAMPTZ) column, one with a plain TIMESTAMP column.
PARQUET_TZ = [datetime(2026, 10, 5, 12, tzinfo=timezone.utc), datetime(2026, 10, 4, 23, 59, 59, tzinfo=timezone.utc), None]
PARQUET_NAIVE = [datetime(2026, 10, 5, 18, 15), datetime(2026, 10, 6, 3)]


def _write_ndjson(path: Path, rows: list[dict]) -> None:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def _write_parquet(path: Path, timestamps: list, tz: str | None) -> None:
    n = len(timestamps)
    table = pa.table({
        "timestamp": pa.array(timestamps, pa.timestamp("us", tz=tz)),
        "event_type": ["pageview"] * n,
        "event_name": ["pageview"] * n,
        "client_id": [""] * n,
        "consent_given": [False] * n,
        # Fewer device fields than the collector schema; no user_id / location columns at all.
        "device": pa.array([{"type": "tablet", "is_bot": True}] * n, pa.struct([("type", pa.string()), ("is_bot", pa.bool_())])),
        "ab_test": pa.array([[{"name": "t", "variant": "a", "def": "d"}]] * n, schema.arrow_schema().field("ab_test").type),
    })
    pq.write_table(table, path)


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    (folder / "2026" / "10").mkdir(parents=True)
    _write_ndjson(folder / "2026" / "10" / "events-000.json", JSON_ROWS)
    _write_parquet(folder / "2026" / "10" / "events-001.parquet", PARQUET_TZ, "UTC")
    _write_parquet(folder / "events-002.parquet", PARQUET_NAIVE, None)
    (folder / "README.md").write_text("not an export")
    return folder


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def _events(con) -> list[tuple]:
    return con.execute("select * from raw.events order by all").fetchall()


def _timestamps(con) -> list[datetime]:
    return [r[0] for r in con.execute('select "timestamp" from raw.events order by 1').fetchall()]


def _canonical(con, typ: str) -> str:
    return con.execute(f"select typeof(NULL::{typ})").fetchall()[0][0]


def test_resolve_folder_recursively_sorted(exports):
    files = resolve_event_files(str(exports))
    assert files == sorted(files)
    assert [Path(f).name for f in files] == ["events-000.json", "events-001.parquet", "events-002.parquet"]
    assert all(Path(f).is_absolute() for f in files)


def test_resolve_glob_and_extensions(exports, tmp_path):
    assert [Path(f).name for f in resolve_event_files(str(exports / "**" / "*.parquet"))] == \
        ["events-001.parquet", "events-002.parquet"]
    other = tmp_path / "other"
    other.mkdir()
    for name in ("a.jsonl", "b.ndjson", "c.json.gz", "d.csv"):
        (other / name).write_text("")
    assert [Path(f).name for f in resolve_event_files(str(other))] == ["a.jsonl", "b.ndjson", "c.json.gz"]


def test_resolve_errors_name_the_path(tmp_path):
    with pytest.raises(EventFilesError, match="does-not-exist"):
        resolve_event_files(str(tmp_path / "does-not-exist"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(EventFilesError, match="empty"):
        resolve_event_files(str(tmp_path / "empty"))
    with pytest.raises(EventFilesError, match=r"nothing-\*\.json"):
        resolve_event_files(str(tmp_path / "nothing-*.json"))
    assert issubclass(EventFilesError, ValueError)


def test_load_one_day_window(con, exports):
    report = load_window_from_files(con, str(exports), DAY5, DAY6)
    assert isinstance(report, LoadReport)
    expected = sorted(JSON_DAY5 + [datetime(2026, 10, 5, 12), datetime(2026, 10, 5, 18, 15)])
    assert report.rows_loaded == len(expected) == 6
    assert report.rows_rejected == 4  # 3 from the JSON file, 1 from the tz-aware parquet
    assert len(report.files) == 3
    assert _timestamps(con) == expected
    assert con.execute("select current_setting('TimeZone')").fetchall()[0][0] == "UTC"


def test_loaded_types_are_the_collector_schema(con, exports):
    load_window_from_files(con, str(exports), DAY5, DAY6)
    described = {name: typ for name, typ, *_ in con.execute("describe raw.events").fetchall()}
    assert list(described) == schema.column_names()
    assert described == {name: _canonical(con, typ) for name, typ in schema.duckdb_columns().items()}


def test_nested_values_and_missing_fields(con, exports):
    load_window_from_files(con, str(exports), DAY5, DAY6)
    full = con.execute("""select device, ab_test, location, consent_given, parameters, client_id
                          from raw.events where "timestamp" = '2026-10-05 09:00:00'""").fetchall()
    assert full == [(DEVICE, AB, LOCATION, True, '{"title": "Home"}', "c-1")]
    partial = con.execute("""select device, ab_test, location, client_id
                             from raw.events where "timestamp" = '2026-10-05 23:59:59.999999'""").fetchall()
    assert partial == [({**{k: None for k in DEVICE}, "type": "mobile"}, [], None, "")]
    from_parquet = con.execute("""select device, ab_test, location, user_id
                                  from raw.events where "timestamp" = '2026-10-05 12:00:00'""").fetchall()
    assert from_parquet == [({**{k: None for k in DEVICE}, "type": "tablet", "is_bot": True},
                             [{"name": "t", "variant": "a", "def": "d"}], None, None)]


def test_rejected_rows(con, exports):
    load_window_from_files(con, str(exports), DAY5, DAY6)
    rejected = con.execute("select source_file, reason, raw_record, loaded_at from raw.events_rejected order by all").fetchall()
    assert len(rejected) == 4
    assert sorted(Path(r[0]).name for r in rejected) == ["events-000.json"] * 3 + ["events-001.parquet"]
    assert sorted(r[1] for r in rejected) == ["missing timestamp"] * 3 + ["unparseable timestamp"]
    assert any(json.loads(r[2])["timestamp"] == "yesterday-ish" for r in rejected)
    assert all(isinstance(r[3], datetime) for r in rejected)


def test_reload_is_idempotent(con, exports):
    load_window_from_files(con, str(exports), DAY5, DAY6)
    events = _events(con)
    rejected = con.execute("select source_file, reason, raw_record from raw.events_rejected order by all").fetchall()
    report = load_window_from_files(con, str(exports), DAY5, DAY6)
    assert report.rows_loaded == 6 and report.rows_rejected == 4
    assert _events(con) == events
    assert con.execute("select source_file, reason, raw_record from raw.events_rejected order by all").fetchall() == rejected


def test_window_replaces_only_its_own_rows(con, exports):
    load_window_from_files(con, str(exports), None, None)  # unbounded: everything parseable
    assert len(_timestamps(con)) == 9
    con.execute("""insert into raw.events ("timestamp", event_type) values
                   ('2026-10-05 10:00:00', 'stale'), ('2026-10-07 10:00:00', 'other day')""")
    # tz-aware bounds are converted to naive UTC: this is [05 00:00, 06 00:00) UTC.
    tz = timezone(timedelta(hours=2))
    report = load_window_from_files(con, str(exports), datetime(2026, 10, 5, 2, tzinfo=tz), datetime(2026, 10, 6, 2, tzinfo=tz))
    assert report.rows_loaded == 6
    kinds = dict(con.execute("select event_type, count(*) from raw.events group by all").fetchall())
    assert "stale" not in kinds and kinds["other day"] == 1
    assert len(_timestamps(con)) == 10
    report = load_window_from_files(con, str(exports), DAY6, None)
    assert report.rows_loaded == 2  # 06 00:00 (JSON) and 06 03:00 (parquet); the 'other day' row is replaced away
    assert con.execute("select count(*) from raw.events where event_type = 'other day'").fetchall()[0][0] == 0


def test_gzipped_ndjson(con, tmp_path):
    path = tmp_path / "events.json.gz"
    with gzip.open(path, "wt") as f:
        f.write(json.dumps(JSON_ROWS[0]) + "\n")
    assert load_window_from_files(con, str(path), None, None).rows_loaded == 1


def test_malformed_file_raises_and_leaves_table_alone(con, exports):
    load_window_from_files(con, str(exports), DAY5, DAY6)
    before = _events(con)
    bad = exports / "events-003.json"
    bad.write_text('{"timestamp": "2026-10-05T10:00:00Z"}\nthis is not json\n')
    with pytest.raises(EventFilesError, match="events-003.json"):
        load_window_from_files(con, str(exports), DAY5, DAY6)
    assert _events(con) == before
    bad.write_text("PAR1 not really parquet")
    bad.rename(exports / "events-003.parquet")
    with pytest.raises(EventFilesError, match="events-003.parquet"):
        load_window_from_files(con, str(exports), DAY5, DAY6)
    assert _events(con) == before


def test_missing_folder(con, tmp_path):
    with pytest.raises(EventFilesError, match="missing"):
        load_window_from_files(con, str(tmp_path / "missing"), DAY5, DAY6)


def test_path_with_single_quote(con, tmp_path):
    folder = tmp_path / "it's exports"
    folder.mkdir()
    _write_ndjson(folder / "o'brien.json", JSON_ROWS)
    _write_parquet(folder / "d'arcy.parquet", PARQUET_TZ, "UTC")
    report = load_window_from_files(con, str(folder), DAY5, DAY6)
    assert (report.rows_loaded, report.rows_rejected) == (5, 4)
    assert load_window_from_files(con, str(folder / "*'*.json"), DAY5, DAY6).rows_loaded == 4
    names = {Path(r[0]).name for r in con.execute("select source_file from raw.events_rejected").fetchall()}
    assert names == {"o'brien.json", "d'arcy.parquet"}


def test_ensure_raw_tables(con):
    ensure_raw_tables(con)
    ensure_raw_tables(con)  # idempotent
    tables = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw'").fetchall()}
    assert tables == {"events", "events_rejected"}
    cols = con.execute("describe raw.events_rejected").fetchall()
    assert [(c[0], c[1]) for c in cols] == [("source_file", "VARCHAR"), ("reason", "VARCHAR"),
                                            ("raw_record", "VARCHAR"), ("loaded_at", "TIMESTAMP")]


def test_load_from_generator(con):
    start, end = date(2026, 10, 5), date(2026, 10, 7)
    report = load_window_from_generator(con, start, end, events_per_day=500, seed=3)
    expected = sum(t.num_rows for t in generator.generate_days(start, end, 500, 3))
    assert report == LoadReport(rows_loaded=expected, rows_rejected=0, files=[])
    per_day = dict(con.execute('select "timestamp"::date, count(*) from raw.events group by 1').fetchall())
    assert per_day == {start: generator.generate_day(start, 500, 3).num_rows,
                       start + timedelta(days=1): generator.generate_day(start + timedelta(days=1), 500, 3).num_rows}
    described = {name: typ for name, typ, *_ in con.execute("describe raw.events").fetchall()}
    assert described == {name: _canonical(con, typ) for name, typ in schema.duckdb_columns().items()}
    events = _events(con)
    load_window_from_generator(con, start, end, events_per_day=500, seed=3)
    assert _events(con) == events
    # A one-day reload touches only that day.
    load_window_from_generator(con, start, start + timedelta(days=1), events_per_day=500, seed=3)
    assert _events(con) == events


def test_generated_and_file_loads_agree(con, tmp_path):
    """A generated day exported as BigQuery would (NDJSON, '... UTC' timestamps) loads back unchanged."""
    day = date(2026, 10, 5)
    table = generator.generate_day(day, 300, seed=5)
    rows = table.to_pylist()
    for r in rows:
        r["timestamp"] = r["timestamp"].strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    _write_ndjson(tmp_path / "export.json", rows)
    load_window_from_files(con, str(tmp_path / "export.json"), None, None)
    from_file = _events(con)
    load_window_from_generator(con, day, day + timedelta(days=1), 300, 5)
    assert _events(con) == from_file


def test_raw_schema_in_dbt():
    """The collector's schema in the dbt project: var raw_events_schema (macros/raw_columns.sql
    derives every raw column list of the SQL from it) and the raw source's documented columns
    (models/sources.yml) are bq_table_schema.json, in its order."""
    import yaml

    from measure_dagster.settings import DBT_PROJECT_DIR

    collector = [(f["name"], f["type"], f.get("mode", "NULLABLE"), {x["name"]: x["type"] for x in f.get("fields", [])})
                 for f in schema.bq_fields()]
    in_var = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["raw_events_schema"]
    assert [(c["name"], c["type"], c.get("mode", "NULLABLE"), c.get("fields", {})) for c in in_var] == collector
    sources = yaml.safe_load((DBT_PROJECT_DIR / "models" / "sources.yml").read_text())["sources"]
    (events,) = [t for s in sources if s["name"] == "raw" for t in s["tables"] if t["name"] == "events"]
    assert [c["name"] for c in events["columns"]] == [name for name, *_ in collector]
