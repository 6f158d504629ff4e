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

-- an anonymous session: the user of the visitor's last logged-in session before it, else (before
-- any login) of its first one. A login never rewrites the sessions before it that already had a
-- user: another person logging in on the same browser does not take over the earlier one's history.
stitched_users as (

    select
        session_id,
        user_id
    from (
        select
            anonymous.session_id,
            logged_in.session_user_id as user_id,
            row_number() over (
                partition by anonymous.session_id
                order by
                    case when logged_in.session_start < anonymous.session_start then 0 else 1 end,
                    -- earlier logins latest first, then later ones earliest first
                    case
                        when logged_in.session_start < anonymous.session_start
                            then -{{ epoch_micros('logged_in.session_start') }}
                        else {{ epoch_micros('logged_in.session_start') }}
                    end
            ) as nearness
        from session_aggregates as anonymous
        inner join session_aggregates as logged_in
            on
                anonymous.visitor_key = logged_in.visitor_key
                and logged_in.session_user_id is not null
        where anonymous.session_user_id is null
    ) as ranked
    where nearness = 1

),

-- a direct session: the visitor's last non-direct session that started at most
-- direct_attribution_days before it (never an inherited source: last non-direct click)
inherited_sources as (

    select
        session_id,
        source,
        medium,
        campaign
    from (
        select
            direct_session.session_id,
            earlier.source,
            earlier.medium,
            earlier.campaign,
            row_number() over (
                partition by direct_session.session_id order by earlier.session_start desc, earlier.session_id desc
            ) as recency
        from session_aggregates as direct_session
        inner join session_aggregates as earlier
            on
                direct_session.visitor_key = earlier.visitor_key
                and not earlier.is_direct
                and direct_session.session_start > earlier.session_start
                and {{ epoch_micros('direct_session.session_start') }} - {{ epoch_micros('earlier.session_start') }}
                <= case when direct_session.client_id is null then {{ hash_only_attribution_micros }} else {{ attribution_micros }} end
        where direct_session.is_direct
    ) as ranked
    where recency = 1

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
