{{
    config(
        materialized='incremental',
        incremental_strategy=visitor_state_strategy(),
        unique_key=visitor_state_key(['session_id']),
        cluster_by=['visitor_key'],
        window_column='session_date',
        window_lookback_days=var('session_lookback_days'),
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
  Both can change any session of a visitor whose sessions a run rewrote, and no other: a
  partition run recomputes every session of the visitors with a session started in its days or
  their look-back (the rows session_aggregates rewrote) and replaces those visitors' rows.
  window_column only scopes the tests of a partition run to the sessions started in its days.
-#}
{%- set session_metrics = var('session_metrics', {}) or {} -%}
{%- set attribution_micros = integer_var('direct_attribution_days') * 86400 * 1000000 -%}
{%- set hash_only_attribution_micros = integer_var('hash_only_attribution_hours') * 3600 * 1000000 -%}

with touched_visitors as (

    select distinct visitor_key
    from {{ ref('session_aggregates') }}
    where {{ in_partition_window('session_date', lookback_days=var('session_lookback_days')) }}

),

-- every session of those visitors, the only input of the rules below
session_aggregates as (

    select *
    from {{ ref('session_aggregates') }}
    where visitor_key in (select visitor_key from touched_visitors)

),

-- the visitor's sessions in start order, narrow: the rules below are window functions over them
-- (a join of each session with every other of its visitor grew with the square of a loyal
-- visitor's sessions), joined back by session_id
session_order as (

    select
        session_id,
        visitor_key,
        client_id,
        session_user_id,
        is_direct,
        {{ epoch_micros('session_start') }} as start_micros
    from session_aggregates

),

session_neighbours as (

    select
        session_id,
        visitor_key,
        client_id,
        session_user_id,
        is_direct,
        start_micros,
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

-- an anonymous session: the user of the visitor's last logged-in session before it, else (before
-- any login) of its first one. A login never rewrites the sessions before it that already had a
-- user: another person logging in on the same browser does not take over the earlier one's history.
stitched_users as (

    select
        session_id,
        coalesce(last_login_before, first_login_from) as user_id
    from session_neighbours
    where session_user_id is null

),

-- a direct session: the visitor's last non-direct session that started at most
-- direct_attribution_days before it (never an inherited source: last non-direct click); of two
-- starting at the same time, the greater session_id
inherited_source_sessions as (

    select
        session_id,
        source_session_id
    from (
        select
            direct_session.session_id,
            earlier.session_id as source_session_id,
            row_number() over (
                partition by direct_session.session_id order by earlier.session_id desc
            ) as tie_order
        from session_neighbours as direct_session
        inner join session_order as earlier
            on
                direct_session.visitor_key = earlier.visitor_key
                and direct_session.last_source_start = earlier.start_micros
                and not earlier.is_direct
        where
            direct_session.is_direct
            and direct_session.start_micros - direct_session.last_source_start
            <= case when direct_session.client_id is null then {{ hash_only_attribution_micros }} else {{ attribution_micros }} end
    ) as ranked
    where tie_order = 1

),

inherited_sources as (

    select
        inherited_source_sessions.session_id,
        earlier.source,
        earlier.medium,
        earlier.campaign
    from inherited_source_sessions
    inner join session_aggregates as earlier on inherited_source_sessions.source_session_id = earlier.session_id

)

select
    session_aggregates.session_id,
    session_aggregates.visitor_key,
    session_aggregates.client_id,
    coalesce(session_aggregates.session_user_id, stitched_users.user_id) as user_id,
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
    case when inherited_sources.session_id is not null then inherited_sources.campaign else session_aggregates.campaign end as campaign,
    inherited_sources.session_id is not null as is_inherited_source,
    -- purchases once per transaction_id and their revenue in reporting_currency (core.session_revenue)
    coalesce(session_revenue.transactions, 0) as transactions,
    cast(coalesce(session_revenue.revenue, 0) as {{ type_money() }}) as revenue{% if session_metrics %},{% endif %}
    {%- for name in session_metrics %}
    session_aggregates.{{ name }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from session_aggregates
left join inherited_sources on session_aggregates.session_id = inherited_sources.session_id
left join stitched_users on session_aggregates.session_id = stitched_users.session_id
left join {{ ref('session_revenue') }} as session_revenue on session_aggregates.session_id = session_revenue.session_id
