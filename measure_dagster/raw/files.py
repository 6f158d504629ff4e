"""Loading Measure.js events into the local DuckDB `raw.events`, from BigQuery exports or the generator.

Every load replaces one time window in one transaction (delete the window, insert it again), so
re-running a load is idempotent and a failed load leaves the table as it was.

BigQuery exports come as newline-delimited JSON (optionally gzipped) or Parquet. JSON exports
write TIMESTAMP as `2026-10-05 09:00:00.000000 UTC`; hand-made files tend to use ISO 8601 with an
offset; Parquet exports hold a UTC-adjusted timestamp (TIMESTAMPTZ in DuckDB). All of them end up
as a naive TIMESTAMP holding UTC wall time. Rows that cannot be placed in any partition go to
`raw.events_rejected` with the reason instead of being dropped silently: no timestamp, an
unparseable one, one before 2000-01-01 or before the first partition, or one in the future.

A file that cannot be read as a whole (not NDJSON, a line that is not a JSON object or not
UTF-8, a broken Parquet or gzip file) is an error naming the file and, where it can, the line:
exports are machine-written, so such a file is damaged, and loading the rest of it would hide
that. Nothing is loaded then (the transaction rolls back).
"""

from __future__ import annotations

import codecs
import glob
import gzip
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

import duckdb

from measure_dagster.privacy import erasure
from measure_dagster.raw import generator, schema

EVENT_FILE_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz", ".parquet")
REJECTED_TABLE = "raw.events_rejected"
# Older than any real Measure.js event: a broken clock or a default value (1970-01-01).
MIN_EVENT_TIME = datetime(2000, 1, 1)

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class EventFilesError(ValueError):
    """The configured events path, or one of the files it names, cannot be used."""


class NoEventsError(EventFilesError):
    """The files hold no event for the window being loaded (a missing export?)."""


@dataclass
class LoadReport:
    rows_loaded: int
    rows_rejected: int
    files: list[str] = field(default_factory=list)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)


def _is_event_file(name: str) -> bool:
    return name.lower().endswith(EVENT_FILE_SUFFIXES)


def resolve_event_files(path: str) -> list[str]:
    """Absolute paths of the event files named by `path`: a folder (searched recursively), a file or a glob."""
    expanded = os.path.expanduser(path)
    p = Path(expanded)
    if p.is_dir():
        files = [str(f.absolute()) for f in p.rglob("*") if f.is_file() and _is_event_file(f.name)]
    elif p.is_file():
        if not _is_event_file(p.name):
            raise EventFilesError(f"events file {path!r} is not one of {', '.join(EVENT_FILE_SUFFIXES)}")
        files = [str(p.absolute())]
    elif any(ch in expanded for ch in "*?["):
        files = [os.path.abspath(f) for f in glob.glob(expanded, recursive=True)
                 if os.path.isfile(f) and _is_event_file(f)]
        if not files:
            raise EventFilesError(f"events glob {path!r} matches no {'/'.join(EVENT_FILE_SUFFIXES)} files")
    else:
        raise EventFilesError(f"events path {path!r} does not exist")
    if not files:
        raise EventFilesError(f"events folder {path!r} holds no {'/'.join(EVENT_FILE_SUFFIXES)} files")
    return sorted(files)


def _quote_table(table: str) -> str:
    """`schema.table` or `table`, validated and quoted: table names cannot be bound as parameters."""
    parts = table.split(".")
    if not 1 <= len(parts) <= 2 or not all(_IDENT.match(p) for p in parts):
        raise ValueError(f"invalid table name {table!r}")
    return ".".join(f'"{p}"' for p in parts)


def _prepare(con: duckdb.DuckDBPyConnection, target: str) -> str:
    # TIMESTAMPTZ -> TIMESTAMP conversions use the session time zone: make that UTC.
    con.execute("set TimeZone = 'UTC'")
    ensure_raw_tables(con)
    quoted = _quote_table(target)
    if "." in quoted:
        con.execute(f"create schema if not exists {quoted.split('.')[0]}")
    con.execute(schema.duckdb_create_table_sql(quoted))
    return quoted


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(schema.duckdb_create_table_sql("raw.events"))
    con.execute(f"""create table if not exists {REJECTED_TABLE} (
  source_file VARCHAR, reason VARCHAR, raw_record VARCHAR, loaded_at TIMESTAMP
)""")


def _naive_utc(value: datetime | date | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _window(column: str, start: datetime | None, end: datetime | None) -> tuple[str, list]:
    """SQL condition (with ? parameters) for start <= column < end; None bounds are open."""
    conds, params = [], []
    if start is not None:
        conds.append(f"{column} >= ?")
        params.append(start)
    if end is not None:
        conds.append(f"{column} < ?")
        params.append(end)
    return (" and ".join(conds) or "true"), params


def _q(name: str) -> str:
    escaped = name.replace('"', '""')
    return f'"{escaped}"'


# The staging table holds, per file row: where it came from, the timestamp as found in the file
# (for the rejected record), the parsed timestamp, and every other column already in its final type.
_STAGE = "__measure_events_stage"
_PARSE_TS = "try_cast({} as TIMESTAMPTZ)::TIMESTAMP"  # both BigQuery's '... UTC' and ISO 8601 offsets


def _stage_columns() -> dict[str, str]:
    cols = {"__source_file": "VARCHAR", "__ts_raw": "VARCHAR"}
    cols.update(schema.duckdb_columns())
    return cols


def _json_select() -> str:
    cols = dict(schema.duckdb_columns(), timestamp="VARCHAR")  # parsed ourselves: several formats, bad values
    columns = "{" + ", ".join(f"'{name}': '{typ}'" for name, typ in cols.items()) + "}"
    others = ", ".join(_q(n) for n in schema.column_names() if n != "timestamp")
    return (f'select ? as __source_file, "timestamp" as __ts_raw, {_PARSE_TS.format(_q("timestamp"))} as "timestamp", '
            f"{others} from read_json(?, format = 'newline_delimited', columns = {columns})")


def _parquet_select(con: duckdb.DuckDBPyConnection, file: str) -> str:
    """Select list mapping one Parquet file's columns onto ours: cast by name, NULL where absent."""
    present = {row[0].lower(): (row[0], row[1]) for row in
               con.execute("describe select * from read_parquet(?)", [file]).fetchall()}
    exprs = []
    for name, typ in schema.duckdb_columns().items():
        if name.lower() not in present:
            exprs.append(f"NULL::{typ} as {_q(name)}")
            if name == "timestamp":
                exprs.append("NULL::VARCHAR as __ts_raw")
            continue
        src, src_type = present[name.lower()]
        if name == "timestamp":
            exprs.append(f"{_q(src)}::VARCHAR as __ts_raw")
            if src_type.upper().startswith("TIMESTAMP"):
                exprs.append(f"{_q(src)}::TIMESTAMP as {_q(name)}")  # TIMESTAMPTZ lands as UTC wall time
            else:
                exprs.append(f"{_PARSE_TS.format(f'{_q(src)}::VARCHAR')} as {_q(name)}")
        else:
            # Struct casts match fields by name and fill missing ones with NULL.
            exprs.append(f"{_q(src)}::{typ} as {_q(name)}")
    return f"select ? as __source_file, {', '.join(exprs)} from read_parquet(?)"


def _stage_file(con: duckdb.DuckDBPyConnection, file: str, start: datetime | None, end: datetime | None,
                usable_from: datetime, usable_until: datetime) -> None:
    """Stage the file's rows of the window, and those to reject (outside every partition)."""
    cond, params = _window('"timestamp"', start, end)
    try:
        select = _parquet_select(con, file) if file.lower().endswith(".parquet") else _json_select()
        con.execute(f'insert into {_STAGE} by name select * from ({select}) '
                    f'where "timestamp" is null or ({cond}) or "timestamp" < ? or "timestamp" > ?',
                    [file, file, *params, usable_from, usable_until])
    except duckdb.Error as exc:
        raise EventFilesError(_unreadable_file_message(file, exc)) from None


def _open_text_lines(file: str):
    return gzip.open(file, "rb") if file.lower().endswith(".gz") else open(file, "rb")


def _first_bad_json_line(file: str, max_lines: int = 10_000_000) -> str | None:
    """Where an NDJSON file stops being one JSON object per line, in words; None if nowhere."""
    try:
        with _open_text_lines(file) as handle:
            for number, raw in enumerate(handle, start=1):
                if number > max_lines:
                    return None
                if not raw.strip():
                    continue
                try:
                    text = codecs.decode(raw, "utf-8")
                except UnicodeDecodeError as error:
                    return f"line {number} is not valid UTF-8 (byte {error.start + 1} of the line)"
                try:
                    value = json.loads(text)
                except ValueError as error:
                    return f"line {number} is not valid JSON ({error.msg} at column {error.colno})"
                if not isinstance(value, dict):
                    return f"line {number} is not a JSON object"
    except (OSError, EOFError) as error:  # gzip: truncated or not gzip at all
        return f"cannot be decompressed ({error})"
    return None


def _unreadable_file_message(file: str, exc: Exception) -> str:
    engine_message = str(exc).strip().splitlines()[0]
    problem = None if file.lower().endswith(".parquet") else _first_bad_json_line(file)
    if problem:
        return f"events file {file!r} is malformed: {problem}; nothing was loaded (fix or remove the file)"
    return f"cannot read events file {file!r}: {engine_message}"


def load_window_from_files(con: duckdb.DuckDBPyConnection, path: str, start: datetime | None,
                           end: datetime | None, target: str = "raw.events", *,
                           first_partition: datetime | date | None = None, now: datetime | None = None,
                           require_events: bool = False, erasure_salt: Callable[[], str] | None = None) -> LoadReport:
    """Replace [start, end) of `target` with the events in the files named by `path`.

    Rows that no partition can hold go to raw.events_rejected, replacing the rows rejected
    earlier from the same files (so every load records them again, whatever its window): a
    missing or unparseable timestamp, one before 2000-01-01 or before `first_partition`, one
    after `now` (default: the current time). With `require_events`, a window without any event
    raises NoEventsError and changes nothing. With `erasure_salt`, the events of people erased
    after the event's time are left out (measure_dagster/privacy/erasure.py).
    """
    files = resolve_event_files(path)
    start, end = _naive_utc(start), _naive_utc(end)
    if start is not None and end is not None and start > end:
        raise ValueError(f"window start {start} is after its end {end}")
    first_partition = _naive_utc(first_partition)
    usable_from = max(MIN_EVENT_TIME, first_partition) if first_partition is not None else MIN_EVENT_TIME
    usable_until = _naive_utc(now) or datetime.now(UTC).replace(tzinfo=None)
    table = _prepare(con, target)
    names = schema.column_names()
    column_list = ", ".join(_q(n) for n in names)
    raw_record = "to_json(struct_pack(" + ", ".join(
        f"{_q(n)} := {'__ts_raw' if n == 'timestamp' else _q(n)}" for n in names) + "))"

    con.begin()
    try:
        stage_cols = ", ".join(f"{_q(n)} {t}" for n, t in _stage_columns().items())
        con.execute(f"create or replace temp table {_STAGE} ({stage_cols})")
        for file in files:
            _stage_file(con, file, start, end, usable_from, usable_until)

        cond, params = _window('"timestamp"', start, end)
        usable = '"timestamp" >= ? and "timestamp" <= ?'
        if require_events and not con.execute(f"select count(*) from {_STAGE} where {cond} and {usable}",
                                              [*params, usable_from, usable_until]).fetchall()[0][0]:
            raise NoEventsError(f"no events between {start or 'the beginning'} and {end or 'now'} (UTC) in "
                                f"{len(files)} events file(s) of {path!r}: is the export of that day missing?")
        con.execute(f"delete from {table} where {cond}", params)
        rows_loaded = con.execute(
            f'insert into {table} ({column_list}) select {column_list} from {_STAGE} where {cond} and {usable}',
            [*params, usable_from, usable_until],
        ).fetchall()[0][0]
        if erasure_salt is not None:
            rows_loaded -= erasure.drop_erased_events(con, table, erasure_salt, cond, params)

        con.execute(f"delete from {REJECTED_TABLE} where source_file in (select unnest(?::VARCHAR[]))", [files])
        rows_rejected = con.execute(f"""
            insert into {REJECTED_TABLE} (source_file, reason, raw_record, loaded_at)
            select __source_file,
                   case when __ts_raw is null then 'missing timestamp'
                        when "timestamp" is null then 'unparseable timestamp'
                        when "timestamp" < ? then 'timestamp before 2000-01-01'
                        when "timestamp" < ? then 'timestamp before the first partition'
                        else 'timestamp in the future' end,
                   {raw_record}, current_timestamp::TIMESTAMP
            from {_STAGE} where "timestamp" is null or "timestamp" < ? or "timestamp" > ?""",
            [MIN_EVENT_TIME, usable_from, usable_from, usable_until]).fetchall()[0][0]
        if erasure_salt is not None:
            rows_rejected -= erasure.drop_erased_rejected(con, erasure_salt)
        by_reason = dict(con.execute(
            f"select reason, count(*) from {REJECTED_TABLE} where source_file in (select unnest(?::VARCHAR[])) group by 1",
            [files]).fetchall())
        con.execute(f"drop table {_STAGE}")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return LoadReport(rows_loaded=rows_loaded, rows_rejected=rows_rejected, files=files, rejected_by_reason=by_reason)


def load_window_from_generator(con: duckdb.DuckDBPyConnection, start_day: date, end_day_exclusive: date,
                               events_per_day: int = generator.DEFAULT_EVENTS_PER_DAY,
                               seed: int = generator.DEFAULT_SEED, target: str = "raw.events",
                               erasure_salt: Callable[[], str] | None = None) -> LoadReport:
    """Replace the days [start_day, end_day_exclusive) of `target` with generated traffic."""
    table = _prepare(con, target)
    column_list = ", ".join(_q(n) for n in schema.column_names())
    cond, params = _window('"timestamp"', _naive_utc(start_day), _naive_utc(end_day_exclusive))
    rows_loaded = 0
    con.begin()
    try:
        con.execute(f"delete from {table} where {cond}", params)
        for day_table in generator.generate_days(start_day, end_day_exclusive, events_per_day, seed):
            con.register("__measure_generated_day", day_table)
            try:
                rows_loaded += con.execute(
                    f"insert into {table} ({column_list}) select {column_list} from __measure_generated_day"
                ).fetchall()[0][0]
            finally:
                con.unregister("__measure_generated_day")
        if erasure_salt is not None:
            rows_loaded -= erasure.drop_erased_events(con, table, erasure_salt, cond, params)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return LoadReport(rows_loaded=rows_loaded, rows_rejected=0, files=[])


def event_days_in_files(files: list[str]) -> set[date]:
    """The UTC days with events in these files (read in a private in-memory DuckDB, so a sensor
    never touches the warehouse file)."""
    days: set[date] = set()
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        for file in files:
            try:
                select = _parquet_select(con, file) if file.lower().endswith(".parquet") else _json_select()
                rows = con.execute(
                    f'select distinct cast("timestamp" as date) from ({select}) where "timestamp" is not null', [file, file]
                ).fetchall()
            except duckdb.Error as exc:
                raise EventFilesError(_unreadable_file_message(file, exc)) from None
            days.update(row[0] for row in rows)
    return days
