{{
    config(
        incremental_strategy=visitor_state_strategy(),
        unique_key='visitor_key',
        cluster_by=['visitor_key'],
        window_column='session_date',
        window_lookback_days=var('session_lookback_days'),
        visitor_state_tail_column='session_date',
        tags=['partitioned'],
    )
}}

{#-
  One row per human session (core.session_aggregates), with what depends on the visitor's
  other sessions:
  - user_id: the session's own login, else the user the visitor was last logged in as before the
    session, else (before its first login) the first user it logged in as (README, user stitching)
  - source / medium / campaign: a direct session inherits them from the visitor's last
    non-direct session of the `direct_attribution_days` before it (is_inherited_source); a
    hash-only visitor (no client_id) from one of the `hash_only_attribution_hours` before it:
    the hash is salted daily, so a hash seen again on a later day is another browser
  Both can change a session of a visitor whose sessions a run rewrote, and no other. A partition
  run rewrites the sessions that started in its days or their look-back (the tail, the rows
  session_aggregates rewrote) or later, of the visitors with a session in them: their rules
  read the sessions of the attribution window before the tail and the visitor's last login
  before that. A visitor's sessions before the tail can change only when it had no login before
  the tail and logs in from the tail on (anonymous sessions before a first login take its user):
  then the run rewrites all of them (visitor_state_tail_column: the strategy replaces the tail's
  rows, or the visitor's rows when the run wrote any before the tail). A full build, and the run
  that creates the table, compute every session of the visitors they touch.
  window_column only scopes the tests of a partition run to the sessions started in its days.
-#}
{%- set session_metrics = var('session_metrics', {}) or {} -%}
{%- set attribution_micros = integer_var('direct_attribution_days') * 86400 * 1000000 -%}
{%- set hash_only_attribution_micros = integer_var('hash_only_attribution_hours') * 3600 * 1000000 -%}
{#- the tail: the first day a partition run rewrites; none on a full build (every session) and on
    the run that creates the table (every session of the touched visitors). Compiled as a daily
    run: is_incremental() needs the warehouse, which an offline compile does not reach. -#}
{%- set is_partition_run = flags.WHICH not in ('run', 'build', 'retry') or is_incremental() -%}
{%- set tail = visitor_state_tail() if is_partition_run else none -%}
{%- if tail is not none -%}
    {#- the earliest session a rule of the tail's sessions reads (the last login aside): a source
        at most the attribution window before, a day added for the hours of hash-only visitors -#}
    {%- set attribution_days = [integer_var('direct_attribution_days'), (integer_var('hash_only_attribution_hours') + 23) // 24] | max -%}
    {%- set context_start = tail - modules.datetime.timedelta(days=attribution_days + 1) -%}
{%- endif %}

-- read by is_touched_visitor() in partition runs only: a full build touches every visitor
with touched_visitors as (  -- noqa: ST03

    {{ visitors_of_rewritten_sessions() }}

),
{%- if tail is not none %}

-- per touched visitor, how much of its history the run rewrites. Its sessions before the tail
-- change only when they are all anonymous and it logged in from the tail on (they take the user
-- of its first login, which the run may have rewritten): then the run rewrites its whole history
-- (a few visitors, those whose first login is that recent).
visitor_scope as (

    select
        visitor_key,
        (
            count(case when session_date < {{ date_literal(tail) }} then 1 end) > 0
            and count(case when session_date < {{ date_literal(tail) }} then session_user_id end) = 0
            and count(case when session_date >= {{ date_literal(tail) }} then session_user_id end) > 0
        ) as is_whole_history,
        -- the last login before the sessions the rules read: the user of their anonymous sessions until another login
        max(
            case when session_date < {{ date_literal(context_start) }} and session_user_id is not null then {{ epoch_micros('session_start') }} end
        ) as last_login_before_context_micros
    from {{ ref('session_aggregates') }}
    where {{ is_touched_visitor() }}
    group by 1

),
{%- endif %}

-- the sessions the run writes, of the visitors it touched; a session is its visitor and start
-- instant (session_id hashes the two: events_sessionated). Each CTE reads the columns it needs
-- from the table: one CTE of whole sessions read three times would be held in memory whole.
session_aggregates as (

    select
        session_aggregates.*,
        {{ epoch_micros('session_aggregates.session_start') }} as start_micros
    from {{ ref('session_aggregates') }} as session_aggregates
    {{- sessions_in_scope(tail, from_date=tail) }}

),

-- the rules are window functions over the visitor's sessions in start order (a join of each
-- session with every other of its visitor grew with the square of a loyal visitor's sessions),
-- narrow (DuckDB holds every column a window carries), joined back on visitor and start
session_order as (

    select
        session_aggregates.visitor_key,
        {{ epoch_micros('session_aggregates.session_start') }} as start_micros,
        session_aggregates.session_user_id,
        session_aggregates.is_direct,
        session_aggregates.client_id is null as is_hash_only
    from {{ ref('session_aggregates') }} as session_aggregates
    {{- sessions_in_scope(tail, from_date=context_start, with_last_login=true) }}

),

session_neighbours as (

    select
        visitor_key,
        start_micros,
        session_user_id,
        is_direct,
        is_hash_only,
        last_value(session_user_id ignore nulls) over earlier_sessions as last_login_before,
        first_value(session_user_id ignore nulls) over (
            partition by visitor_key order by start_micros
            range between current row and unbounded following
        ) as first_login_from,
        max(case when not is_direct then start_micros end) over earlier_sessions as last_source_start
    from session_order
    window earlier_sessions as (
        partition by visitor_key order by start_micros
        range between unbounded preceding and 1 preceding
    )

),

session_rules as (

    select
        visitor_key,
        start_micros,
        -- an anonymous session: the user of the visitor's last logged-in session before it, else
        -- (before any login) of its first one. A login never rewrites the sessions before it that
        -- already had a user: another person logging in on the same browser does not take over
        -- the earlier one's history.
        case when session_user_id is null then coalesce(last_login_before, first_login_from) end as stitched_user_id,
        -- a direct session: the visitor's last non-direct session that started at most
        -- direct_attribution_days before it (never an inherited source: last non-direct click)
        case
            when
                is_direct
                and start_micros - last_source_start
                <= case when is_hash_only then {{ hash_only_attribution_micros }} else {{ attribution_micros }} end
                then last_source_start
        end as source_start_micros
    from session_neighbours

),

-- only the sessions a rule changes: the joins back hold these, not every session
session_links as (

    select *
    from session_rules
    where stitched_user_id is not null or source_start_micros is not null

),

source_sessions as (

    select
        session_aggregates.visitor_key,
        {{ epoch_micros('session_aggregates.session_start') }} as start_micros,
        session_aggregates.source,
        session_aggregates.medium,
        session_aggregates.campaign
    from {{ ref('session_aggregates') }} as session_aggregates
    {{- sessions_in_scope(tail, from_date=context_start, condition='not session_aggregates.is_direct') }}

),

inherited_sources as (

    select
        session_links.visitor_key,
        session_links.start_micros,
        source_sessions.source,
        source_sessions.medium,
        source_sessions.campaign
    from session_links
    inner join source_sessions
        on
            session_links.visitor_key = source_sessions.visitor_key
            and session_links.source_start_micros = source_sessions.start_micros

)

select
    session_aggregates.session_id,
    session_aggregates.visitor_key,
    session_aggregates.client_id,
    coalesce(session_aggregates.session_user_id, session_links.stitched_user_id) as user_id,
    session_aggregates.session_start,
    session_aggregates.session_end,
    session_aggregates.session_date,
    {{ seconds_between('session_aggregates.session_start', 'session_aggregates.session_end') }} as session_duration,
    session_aggregates.events,
    session_aggregates.pageviews,
    session_aggregates.unique_pages,
    session_aggregates.landing_page,
    session_aggregates.exit_page,
    session_aggregates.referrer,
    session_aggregates.country,
    session_aggregates.device_type,
    session_aggregates.event_names,
    coalesce(inherited_sources.source, session_aggregates.source) as source,
    coalesce(inherited_sources.medium, session_aggregates.medium) as medium,
    case when inherited_sources.start_micros is not null then inherited_sources.campaign else session_aggregates.campaign end as campaign,
    inherited_sources.start_micros is not null as is_inherited_source,
    -- purchases once per transaction_id and their revenue in reporting_currency (core.session_revenue)
    coalesce(session_revenue.transactions, 0) as transactions,
    cast(coalesce(session_revenue.revenue, 0) as {{ type_money() }}) as revenue{% if session_metrics %},{% endif %}
    {%- for name in session_metrics %}
    session_aggregates.{{ name }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from session_aggregates
left join session_links
    on
        session_aggregates.visitor_key = session_links.visitor_key
        and session_aggregates.start_micros = session_links.start_micros
left join inherited_sources
    on
        session_aggregates.visitor_key = inherited_sources.visitor_key
        and session_aggregates.start_micros = inherited_sources.start_micros
left join {{ ref('session_revenue') }} as session_revenue on session_aggregates.session_id = session_revenue.session_id
