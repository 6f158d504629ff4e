{{
    config(
        window_column='date',
        window_lookback_days=var('session_lookback_days'),
        partition_by=bigquery_day_partition('date'),
        upstream_partition_offsets={
            'session_aggregates': [-(var('session_lookback_days') | int), 0],
            'session_revenue': [-(var('session_lookback_days') | int), 0],
        },
        tags=['partitioned'],
    )
}}

{#-
  Conversions per UTC date a session started and its own traffic source / medium / campaign
  (core.session_aggregates: the landing URL and referrer of the session itself; the direct
  sessions' inherited source of core.sessions needs the visitor's whole history, which a
  partition does not read). A campaign-less session counts under campaign '(not set)'.
  - converting_sessions: sessions with at least one transaction (purchases counted once per
    transaction_id); conversion_rate = converting_sessions / sessions
  - revenue: in reporting_currency (var currency_rates); revenue_per_session = revenue / sessions
    (all sessions, converting or not); transactions_without_revenue: transactions whose value or
    currency could not be used (staging.purchases.revenue_issue), so their revenue is missing here
  A partition rewrites the dates of core.session_aggregates' window, so it is exact whichever
  order partitions run in.
-#}
{%- set lookback_days = var('session_lookback_days') | int -%}

with sessions as (

    select
        session_id,
        session_date,
        source,
        medium,
        coalesce(campaign, '(not set)') as campaign
    from {{ ref('session_aggregates') }}
    where {{ in_partition_window('session_date', lookback_days=lookback_days) }}

),

session_revenue as (

    select
        session_id,
        transactions,
        transactions_without_revenue,
        revenue
    from {{ ref('session_revenue') }}
    where {{ in_partition_window('session_date', lookback_days=lookback_days) }}

)

select
    sessions.session_date as date,
    sessions.source,
    sessions.medium,
    sessions.campaign,
    count(*) as sessions,
    count(case when session_revenue.transactions > 0 then 1 end) as converting_sessions,
    {{ safe_ratio('count(case when session_revenue.transactions > 0 then 1 end)', 'count(*)') }} as conversion_rate,
    cast(coalesce(sum(session_revenue.transactions), 0) as {{ dbt.type_bigint() }}) as transactions,
    cast(coalesce(sum(session_revenue.transactions_without_revenue), 0) as {{ dbt.type_bigint() }}) as transactions_without_revenue,
    cast(coalesce(sum(session_revenue.revenue), 0) as {{ type_money() }}) as revenue,
    {{ string_literal(var('reporting_currency')) }} as currency,
    {{ safe_ratio('coalesce(sum(session_revenue.revenue), 0)', 'count(*)') }} as revenue_per_session
from sessions
left join session_revenue on sessions.session_id = session_revenue.session_id
group by 1, 2, 3, 4
