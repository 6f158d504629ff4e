-- The floor: the pipeline's core transformations as ONE hand-written DuckDB script over the
-- same raw.events (bench/run.py runs it through the duckdb Python API on a copy of the raw file).
-- Same rules as the dbt models: usable rows (quarantine rules), visitor key with consent
-- stitching per hash/day activity block, dedupe by a fingerprint of all fields (md5, as dbt.hash),
-- is_bot, sessions on a gap > 1800 s per visitor (not split at midnight), human sessions with
-- landing/exit page, traffic source (utm, click id, search engine, referral, direct inheritance
-- within 30 days), users with their current user_id, daily performance.
-- Written the fastest way we know: window functions over the events table without re-joining it,
-- aggregates with arg_min/arg_max, direct-source inheritance as a window instead of a self-join.
set TimeZone = 'UTC';
create schema if not exists floor;

create or replace table floor.events_cleaned as
with usable as (
    select *
    from raw.events
    where timestamp is not null
      and timestamp < cast(current_date as timestamp)
      and timestamp >= timestamp '2000-01-01'
      and not (nullif(client_id, '') is null and nullif("hash", '') is null)
      and greatest(length(event_type), length(event_name), length(parameters), length(user_agent), length(url),
                   length(referrer), length(client_id), length("hash"), length(user_id),
                   length(device.type), length(device.brand), length(device.model), length(device.browser),
                   length(device.browser_version), length(device.os), length(device.os_version),
                   length(location.ip_trunc), length(location.continent), length(location.country),
                   length(location.country_code), length(location.city),
                   coalesce(list_max(list_transform(ab_test, lambda r: greatest(length(r.name), length(r.variant), length(r.def)))), 0)) <= 8192
      and (nullif(parameters, '') is null or coalesce(json_type(try_cast(parameters as json)) = 'OBJECT', false))
),
blocks as (
    select *,
        sum(case when gap is null or gap > 1800000000 then 1 else 0 end)
            over (partition by vk_hash, vk_date order by timestamp) as vk_block
    from (
        select *, nullif("hash", '') as vk_hash, cast(timestamp as date) as vk_date,
            epoch_us(timestamp) - lag(epoch_us(timestamp)) over (partition by nullif("hash", ''), cast(timestamp as date) order by timestamp) as gap
        from usable
    )
),
keyed as (
    select *,
        case
            when nullif(client_id, '') is not null then client_id
            when vk_hash is not null
                and min(nullif(client_id, '')) over b = max(nullif(client_id, '')) over b
                and timestamp <= max(case when nullif(client_id, '') is not null then timestamp end) over b
                then min(nullif(client_id, '')) over b
            else vk_hash
        end as visitor_key
    from blocks
    window b as (partition by vk_hash, vk_date, vk_block)
),
fingerprinted as (
    select *,
        md5(concat_ws('|', coalesce(cast(epoch_us(timestamp) as varchar), ''), coalesce(event_type, ''), coalesce(event_name, ''),
            coalesce(parameters, ''), coalesce(user_agent, ''), coalesce(url, ''), coalesce(referrer, ''), coalesce(client_id, ''),
            coalesce("hash", ''), coalesce(user_id, ''), coalesce(cast(consent_given as varchar), ''),
            coalesce(device.type, ''), coalesce(device.brand, ''), coalesce(device.model, ''), coalesce(device.browser, ''),
            coalesce(device.browser_version, ''), coalesce(device.os, ''), coalesce(device.os_version, ''),
            coalesce(cast(device.is_bot as varchar), ''), coalesce(cast(to_json(ab_test) as varchar), ''),
            coalesce(location.ip_trunc, ''), coalesce(location.continent, ''), coalesce(location.country, ''),
            coalesce(location.country_code, ''), coalesce(location.city, ''))) as event_id
    from keyed
    where visitor_key is not null
)
select distinct on (event_id)
    event_id, timestamp, cast(timestamp as date) as event_date, visitor_key,
    nullif(client_id, '') as client_id, nullif("hash", '') as visitor_hash, nullif(user_id, '') as user_id, consent_given,
    nullif(event_type, '') as event_type, nullif(event_name, '') as event_name, nullif(parameters, '') as parameters,
    nullif(url, '') as url, nullif(referrer, '') as referrer, nullif(user_agent, '') as user_agent,
    nullif(device.type, '') as device_type, nullif(device.browser, '') as device_browser, nullif(device.os, '') as device_os,
    nullif(location.country, '') as country, nullif(location.country_code, '') as country_code, nullif(location.city, '') as city,
    ab_test,
    coalesce(device.is_bot, false)
        or coalesce(regexp_matches(lower(user_agent), 'bot|spider|crawl|slurp|headless|lighthouse|pingdom|uptime|python-requests|curl/|wget/'), false) as is_bot
from fingerprinted;

-- sessions: a gap of more than 1800 s starts a new one; one pass of window functions, no join back
create or replace table floor.events_sessionated as
with numbered as (
    select *,
        sum(case when gap is null or gap > 1800000000 then 1 else 0 end)
            over (partition by visitor_key order by timestamp rows between unbounded preceding and current row) as session_number
    from (
        select *, epoch_us(timestamp) - lag(epoch_us(timestamp)) over (partition by visitor_key order by timestamp) as gap
        from floor.events_cleaned
    )
)
select * exclude (session_number),
    md5(visitor_key || '|' || cast(epoch_us(session_start) as varchar)) as session_id
from (select *, min(timestamp) over (partition by visitor_key, session_number) as session_start from numbered);

create or replace table floor.sessions as
with events as (
    select *,
        -- URL without utm_* and click ids
        regexp_extract(url, '^([^?#]*)', 1)
            || coalesce('?' || nullif(trim(regexp_replace(regexp_replace('&' || replace(nullif(regexp_extract(url, '^[^?#]*\?([^#]*)', 1), ''), '&', '&&') || '&',
                   '&(?i:utm_[^=&]*|gclid|wbraid|gbraid|fbclid)(?:=[^&]*)?&', '', 'g'), '&+', '&', 'g'), '&'), ''), '')
            || coalesce(nullif(regexp_extract(url, '^[^#]*(#.*)$', 1), ''), '') as page
    from floor.events_sessionated
    where not is_bot
),
aggregated as (
    select session_id, visitor_key, max(client_id) as client_id, min(timestamp) as session_start, max(timestamp) as session_end,
        count(*) as events, count(*) filter (where event_name = 'pageview') as pageviews, count(distinct page) as unique_pages,
        arg_min(url, (timestamp, event_id)) as landing_url, arg_min(page, (timestamp, event_id)) as landing_page,
        arg_max(page, (timestamp, event_id)) as exit_page, arg_min(referrer, (timestamp, event_id)) as referrer,
        arg_min(country, (timestamp, event_id)) as country, arg_min(device_type, (timestamp, event_id)) as device_type,
        max(user_id) as session_user_id,
        string_agg(distinct event_name, ', ' order by event_name) as event_names,
        count(*) filter (where event_name = 'purchase') as purchases,
        count(*) filter (where url like '%/signup%') as signups
    from events
    group by 1, 2
),
signals as (
    select *,
        regexp_replace(lower(nullif(regexp_extract(landing_url, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]+)', 1), '')), '^www\.', '') as landing_host,
        regexp_replace(lower(nullif(regexp_extract(referrer, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]+)', 1), '')), '^www\.', '') as referrer_host,
        nullif(regexp_extract(landing_url, '^[^?#]*\?(?:[^#]*?&)??utm_source=([^&#]*)', 1), '') as utm_source,
        nullif(regexp_extract(landing_url, '^[^?#]*\?(?:[^#]*?&)??utm_medium=([^&#]*)', 1), '') as utm_medium,
        nullif(regexp_extract(landing_url, '^[^?#]*\?(?:[^#]*?&)??utm_campaign=([^&#]*)', 1), '') as utm_campaign,
        case
            when nullif(regexp_extract(landing_url, '^[^?#]*\?(?:[^#]*?&)??gclid=([^&#]*)', 1), '') is not null then 'gclid'
            when nullif(regexp_extract(landing_url, '^[^?#]*\?(?:[^#]*?&)??wbraid=([^&#]*)', 1), '') is not null then 'wbraid'
            when nullif(regexp_extract(landing_url, '^[^?#]*\?(?:[^#]*?&)??gbraid=([^&#]*)', 1), '') is not null then 'gbraid'
            when nullif(regexp_extract(landing_url, '^[^?#]*\?(?:[^#]*?&)??fbclid=([^&#]*)', 1), '') is not null then 'fbclid'
        end as click_id
    from aggregated
),
ruled as (
    select *,
        case
            when regexp_matches(referrer_host, '^google\.[a-z]{2,3}(\.[a-z]{2})?$') then 'google'
            when regexp_matches(referrer_host, '^(cn\.)?bing\.com$') then 'bing'
            when regexp_matches(referrer_host, '^(html\.|lite\.)?duckduckgo\.com$') then 'duckduckgo'
            when regexp_matches(referrer_host, '(^|\.)search\.yahoo\.(com|co\.jp)$') then 'yahoo'
            when regexp_matches(referrer_host, '^yandex\.[a-z]{2,3}$') then 'yandex'
            when regexp_matches(referrer_host, '^(m\.)?baidu\.com$') then 'baidu'
            when regexp_matches(referrer_host, '^ecosia\.org$') then 'ecosia'
            when regexp_matches(referrer_host, '^qwant\.com$') then 'qwant'
            when regexp_matches(referrer_host, '^startpage\.com$') then 'startpage'
        end as search_engine,
        coalesce(referrer_host != coalesce(landing_host, '') and not ends_with(referrer_host, '.' || coalesce(landing_host, ''))
            and not ends_with(coalesce(landing_host, ''), '.' || referrer_host)
            and not regexp_matches(referrer_host, '^accounts\.google\.') and not regexp_matches(referrer_host, '(^|\.)paypal\.com$')
            and not regexp_matches(referrer_host, '(^|\.)stripe\.com$') and not regexp_matches(referrer_host, '(^|\.)paddle\.com$'), false) as is_external
    from signals
),
own as (
    select *,
        case when click_id in ('gclid', 'wbraid', 'gbraid') then 'google' when click_id = 'fbclid' then 'facebook'
             when is_external and search_engine is not null then search_engine when is_external then referrer_host end as rule_source,
        case when click_id in ('gclid', 'wbraid', 'gbraid') then 'cpc' when click_id = 'fbclid' then 'paid-social'
             when is_external and search_engine is not null then 'organic' when is_external then 'referral' end as rule_medium
    from ruled
),
sourced as (
    select *,
        coalesce(utm_source, rule_source, case when utm_medium is not null then '(not set)' else '(direct)' end) as own_source,
        coalesce(utm_medium, rule_medium, case when utm_source is not null then '(not set)' else '(none)' end) as own_medium,
        utm_source is null and utm_medium is null and rule_source is null as is_direct
    from own
),
-- the visitor's last non-direct session before this one (a window, not a self-join)
inherited as (
    select *,
        last_value(case when not is_direct then session_start end ignore nulls) over v as prev_start,
        last_value(case when not is_direct then own_source end ignore nulls) over v as prev_source,
        last_value(case when not is_direct then own_medium end ignore nulls) over v as prev_medium,
        last_value(case when not is_direct then {'c': utm_campaign} end ignore nulls) over v as prev_campaign
    from sourced
    window v as (partition by visitor_key order by session_start, session_id rows between unbounded preceding and 1 preceding)
),
current_user_map as (
    select visitor_key, arg_max(user_id, (timestamp, user_id)) as user_id
    from floor.events_cleaned
    where user_id is not null and not is_bot
    group by 1
)
select
    s.session_id, s.visitor_key, s.client_id, coalesce(s.session_user_id, u.user_id) as user_id,
    s.session_start, s.session_end, cast(s.session_start as date) as session_date,
    (epoch_us(s.session_end) - epoch_us(s.session_start)) / 1000000.0 as session_duration,
    s.events, s.pageviews, s.unique_pages, s.landing_page, s.exit_page, s.referrer, s.country, s.device_type, s.event_names,
    case when inh then s.prev_source else s.own_source end as source,
    case when inh then s.prev_medium else s.own_medium end as medium,
    case when inh then s.prev_campaign.c else s.utm_campaign end as campaign,
    inh as is_inherited_source, s.purchases, s.signups
from (select *, coalesce(is_direct and prev_start < session_start
                         and epoch_us(session_start) - epoch_us(prev_start) <= 30 * 86400 * 1000000::bigint, false) as inh
      from inherited) as s
left join current_user_map as u on u.visitor_key = s.visitor_key;

create or replace table floor.users as
select e.visitor_key, e.client_id, m.user_id, e.first_seen, e.last_seen, e.days_active, e.total_events, e.total_sessions,
    s.avg_session_duration
from (
    select visitor_key, max(client_id) as client_id, min(timestamp) as first_seen, max(timestamp) as last_seen,
        count(distinct event_date) as days_active, count(*) as total_events, count(distinct session_id) as total_sessions
    from floor.events_sessionated where not is_bot group by 1
) as e
left join (select visitor_key, arg_max(user_id, (timestamp, user_id)) as user_id
           from floor.events_cleaned where user_id is not null and not is_bot group by 1) as m on m.visitor_key = e.visitor_key
left join (select visitor_key, avg(session_duration) as avg_session_duration from floor.sessions group by 1) as s
    on s.visitor_key = e.visitor_key;

create or replace table floor.daily_performance as
select d.date, d.daily_active_users, d.daily_active_registered_users, d.total_sessions, d.total_events, d.pageviews,
    coalesce(s.sessions_started, 0) as sessions_started, s.avg_session_duration
from (
    select event_date as date, count(distinct visitor_key) as daily_active_users, count(distinct user_id) as daily_active_registered_users,
        count(distinct session_id) as total_sessions, count(*) as total_events, count(*) filter (where event_name = 'pageview') as pageviews
    from floor.events_sessionated where not is_bot group by 1
) as d
left join (
    select cast(session_start as date) as date, count(*) as sessions_started,
        avg((epoch_us(session_end) - epoch_us(session_start)) / 1000000.0) as avg_session_duration
    from (select session_id, min(session_start) as session_start, max(timestamp) as session_end
          from floor.events_sessionated where not is_bot group by 1)
    group by 1
) as s on s.date = d.date;
