{{
    config(
        window_column='session_date',
        window_lookback_days=var('session_lookback_days'),
        partition_by=bigquery_day_partition('session_date'),
        cluster_by=['visitor_key'],
        upstream_partition_offsets={'events_sessionated': [-(var('session_lookback_days') | int), var('session_lookback_days') | int]},
        tags=['partitioned'],
    )
}}

{#-
  One row per human session, by the date it started: everything about a session that its own
  events decide. core.sessions adds what depends on the visitor's other sessions (a user_id
  seen later, a direct session's inherited source) over these rows, so the daily run does not
  sessionize all history again.
  - source / medium / campaign: the session's own traffic source, from the landing URL and
    referrer of its first pageview, else of its first event (macros/traffic_source.sql, rules in
    the vars click_ids, search_engines, internal_referrers): a session starting with a click or
    a scroll carries the previous page's URL and referrer there. is_direct when neither a utm_*
    tag nor a rule named one
  - landing_page / exit_page: URL of the first pageview (else the first event) / the last event,
    without tracking parameters
  - with var require_pageview (Measure.js's rule), sessions without a pageview are left out
  - one count column per entry of var session_metrics (trusted SQL conditions from the
    project's configuration, pasted as they are); changing it needs a --full-refresh
  A session can last past midnight: a partition run rewrites the sessions that started in the
  `session_lookback_days` before it too, reading their events up to `session_lookback_days`
  after it, so whichever partition runs last, every session ends up as in a full refresh.
-#}
{%- set session_metrics = var('session_metrics', {}) or {} -%}
{%- set reserved_columns = [
    'session_id', 'visitor_key', 'client_id', 'user_id', 'session_start', 'session_end', 'session_date',
    'session_duration', 'events', 'pageviews', 'unique_pages', 'landing_page', 'exit_page', 'referrer',
    'country', 'device_type', 'event_names', 'source', 'medium', 'campaign', 'is_inherited_source',
    'landing_url', 'session_user_id', 'is_direct',
] -%}
{%- for name in session_metrics -%}
{%- if not modules.re.fullmatch('[a-z_][a-z0-9_]*', name | string) or name in reserved_columns -%}
        {{ exceptions.raise_compiler_error("var session_metrics: " ~ (name | tojson) ~ " is not a usable column name (lower-case letters, digits, _; not a column of sessions)") }}
    {%- endif -%}
{%- endfor -%}
{%- set lookback_days = var('session_lookback_days') | int -%}

with events as (

    select
        *,
        -- the URL without tracking parameters (utm_*, click ids)
        {{ strip_tracking_parameters('url') }} as page
    from {{ ref('events_sessionated') }}
    where
        {{ in_partition_window('event_date', lookback_days=lookback_days, lookahead_days=lookback_days) }}
        and {{ in_partition_window('session_start', lookback_days=lookback_days, column_type='timestamp') }}
        and not is_bot

),

ordered_events as (

    select
        *,
        row_number() over (partition by session_id order by timestamp, event_id) as position_in_session,
        row_number() over (partition by session_id order by timestamp desc, event_id desc) as position_from_end,
        -- the landing event: the first pageview, else the first event
        row_number() over (
            partition by session_id order by case when event_name = 'pageview' then 0 else 1 end, timestamp, event_id
        ) as landing_position
    from events

),

event_names as (

    select distinct
        session_id,
        event_name
    from events
    where event_name is not null

),

session_event_names as (

    select
        session_id,
        {{ dbt.listagg('event_name', "', '", 'order by event_name') }} as event_names
    from event_names
    group by 1

),

aggregated as (

    select
        session_id,
        visitor_key,
        max(client_id) as client_id,
        min(session_start) as session_start,
        max(timestamp) as session_end,
        count(*) as events,
        count(case when event_name = 'pageview' then 1 end) as pageviews,
        count(distinct page) as unique_pages,
        max(case when landing_position = 1 then url end) as landing_url,
        max(case when landing_position = 1 then page end) as landing_page,
        max(case when position_from_end = 1 then page end) as exit_page,
        max(case when landing_position = 1 then referrer end) as referrer,
        max(case when position_in_session = 1 then country end) as country,
        max(case when position_in_session = 1 then device_type end) as device_type,
        max(user_id) as session_user_id{% if session_metrics %},{% endif %}
        {%- for name, condition in session_metrics.items() %}
        count(case when ({{ condition }}) then 1 end) as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from ordered_events
    group by 1, 2
    {%- if boolean_var('require_pageview') %}
    having count(case when event_name = 'pageview' then 1 end) > 0
    {%- endif %}

),

-- traffic source, step by step (macros/traffic_source.sql)
landing_signals as (

    select
        session_id,
        {{ url_host('landing_url') }} as landing_host,
        {{ url_host('referrer') }} as referrer_host,
        {{ url_parameter('landing_url', 'utm_source') }} as utm_source,
        {{ url_parameter('landing_url', 'utm_medium') }} as utm_medium,
        {{ url_parameter('landing_url', 'utm_campaign') }} as utm_campaign,
        {{ has_utm_tag('landing_url') }} as has_utm_tag,
        {{ click_id_of('landing_url') }} as click_id
    from aggregated

),

referrer_signals as (

    select
        *,
        {{ search_engine_of('referrer_host') }} as search_engine,
        {{ is_external_referrer('referrer_host', 'landing_host') }} as is_external
    from landing_signals

),

rule_sources as (

    select
        *,
        {{ rule_source('click_id', 'search_engine', 'is_external', 'referrer_host') }} as rule_source,
        {{ rule_medium('click_id', 'search_engine', 'is_external') }} as rule_medium
    from referrer_signals

),

own_sources as (

    select
        aggregated.session_id,
        -- any utm_* tag names a source: what neither the tags nor a rule fill in is (not set)
        coalesce(
            rule_sources.utm_source, rule_sources.rule_source,
            case when rule_sources.has_utm_tag then '(not set)' else '(direct)' end
        ) as source,
        coalesce(
            rule_sources.utm_medium, rule_sources.rule_medium,
            case when rule_sources.has_utm_tag then '(not set)' else '(none)' end
        ) as medium,
        rule_sources.utm_campaign as campaign,
        not rule_sources.has_utm_tag and rule_sources.rule_source is null as is_direct
    from aggregated
    inner join rule_sources on aggregated.session_id = rule_sources.session_id

)

select
    aggregated.session_id,
    aggregated.visitor_key,
    aggregated.client_id,
    aggregated.session_user_id,
    aggregated.session_start,
    aggregated.session_end,
    cast(aggregated.session_start as date) as session_date,
    aggregated.events,
    aggregated.pageviews,
    aggregated.unique_pages,
    aggregated.landing_page,
    aggregated.exit_page,
    aggregated.referrer,
    aggregated.country,
    aggregated.device_type,
    session_event_names.event_names,
    own_sources.source,
    own_sources.medium,
    own_sources.campaign,
    own_sources.is_direct{% if session_metrics %},{% endif %}
    {%- for name in session_metrics %}
    aggregated.{{ name }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from aggregated
inner join own_sources on aggregated.session_id = own_sources.session_id
left join session_event_names on aggregated.session_id = session_event_names.session_id
