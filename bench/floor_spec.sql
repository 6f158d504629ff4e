-- The specification's floor: ONLY the models of the Measure.js specification
-- (/work/shared/measure_js/dbt-pipeline.md: dedupe, visitor key, bot filter, sessionization on a
-- 30-minute gap, sessions, users, clients, daily performance), as one hand-written DuckDB script
-- over raw.events, written the fastest way we know. No quarantine rules, no consent stitching,
-- no traffic sources, no analytics marts, no tests: what (a) of `make bench` compares the whole
-- pipeline with. bench/floor.sql is the richer floor (the pipeline's core path), kept as a
-- second reference. On the generator's data (no quarantined rows, no consent given mid-visit,
-- no rows differing only by '' vs NULL) both give the pipeline's row counts.
set TimeZone = 'UTC';
create schema if not exists floor_spec;

-- exact duplicates (streamed inserts) dropped; visitor = client_id, else the daily hash; is_bot
create or replace table floor_spec.events_cleaned as
select
    *,
    coalesce(nullif(client_id, ''), nullif("hash", '')) as visitor_key,
    cast(timestamp as date) as event_date,
    coalesce(device.is_bot, false)
        or coalesce(regexp_matches(lower(user_agent), 'bot|spider|crawl|slurp|headless|lighthouse|pingdom|uptime|python-requests|curl/|wget/'), false)
        as is_bot
from (select distinct * from raw.events where timestamp < cast(current_date as timestamp))
where coalesce(nullif(client_id, ''), nullif("hash", '')) is not null;

-- a gap of more than 1800 s starts a session (microseconds, as both engines agree); the session's
-- start is the running max of the starts so far: two windows over one order
create or replace table floor_spec.events_sessionated as
select
    * exclude (gap),
    md5(visitor_key || '|' || cast(epoch_us(session_start) as varchar)) as session_id
from (
    select
        *,
        max(case when gap is null or gap > 1800000000 then timestamp end)
            over (partition by visitor_key order by timestamp rows between unbounded preceding and current row) as session_start
    from (
        select *, epoch_us(timestamp) - lag(epoch_us(timestamp)) over (partition by visitor_key order by timestamp) as gap
        from floor_spec.events_cleaned
    )
);

-- human sessions
create or replace table floor_spec.sessions as
select
    session_id, visitor_key, max(client_id) as client_id, max(nullif(user_id, '')) as user_id,
    min(timestamp) as session_start, max(timestamp) as session_end,
    (epoch_us(max(timestamp)) - epoch_us(min(timestamp))) / 1000000.0 as session_duration,
    count(*) as events, count(*) filter (where event_name = 'pageview') as pageviews, count(distinct url) as unique_pages
from floor_spec.events_sessionated
where not is_bot
group by 1, 2;

-- one row per human visitor, with the user_id it was last logged in as
create or replace table floor_spec.users as
select
    e.visitor_key, e.client_id, e.user_id, e.first_seen, e.last_seen, e.days_active, e.total_events, e.total_sessions,
    s.avg_session_duration
from (
    select visitor_key, max(client_id) as client_id, arg_max(nullif(user_id, ''), timestamp) as user_id,
        min(timestamp) as first_seen, max(timestamp) as last_seen, count(distinct event_date) as days_active,
        count(*) as total_events, count(distinct session_id) as total_sessions
    from floor_spec.events_sessionated
    where not is_bot
    group by 1
) as e
left join (select visitor_key, avg(session_duration) as avg_session_duration from floor_spec.sessions group by 1) as s
    on s.visitor_key = e.visitor_key;

-- visitors never logged in
create or replace table floor_spec.clients as
select * exclude (user_id) from floor_spec.users where user_id is null;

create or replace table floor_spec.daily_performance as
select
    d.date, d.daily_active_users, d.daily_active_registered_users, d.total_sessions, d.total_events, d.pageviews,
    s.avg_session_duration
from (
    select event_date as date, count(distinct visitor_key) as daily_active_users,
        count(distinct nullif(user_id, '')) as daily_active_registered_users, count(distinct session_id) as total_sessions,
        count(*) as total_events, count(*) filter (where event_name = 'pageview') as pageviews
    from floor_spec.events_sessionated
    where not is_bot
    group by 1
) as d
left join (
    select cast(session_start as date) as date, avg(session_duration) as avg_session_duration
    from floor_spec.sessions
    group by 1
) as s on s.date = d.date;
