{{
    config(
        window_column='session_date',
        window_lookback_days=var('session_lookback_days'),
        partition_by=bigquery_day_partition('session_date'),
        cluster_by=['visitor_key'],
        upstream_partition_offsets={'purchases': [-(var('session_lookback_days') | int), var('session_lookback_days') | int]},
        tags=['partitioned'],
    )
}}

{#-
  Purchases and revenue per human session with at least one purchase, by the date the session
  started (the window of core.session_aggregates: a partition rewrites the sessions that started
  in the `session_lookback_days` before it too, reading their purchases up to that many days
  after it). transactions counts purchases once per transaction (not is_repeat_transaction);
  revenue is in var reporting_currency; transactions_without_revenue are counted transactions
  whose value or currency was unusable (staging.purchases.revenue_issue). core.sessions carries
  these columns for every session (0 without a purchase).
-#}
{%- set lookback_days = var('session_lookback_days') | int -%}

with purchases as (

    select *
    from {{ ref('purchases') }}
    where
        {{ in_partition_window('event_date', lookback_days=lookback_days, lookahead_days=lookback_days) }}
        and {{ in_partition_window('session_start', lookback_days=lookback_days, column_type='timestamp') }}
        and not is_bot

)

select
    session_id,
    visitor_key,
    cast(session_start as date) as session_date,
    count(case when not is_repeat_transaction then 1 end) as transactions,
    count(case when not is_repeat_transaction and revenue is null then 1 end) as transactions_without_revenue,
    cast(coalesce(sum(case when not is_repeat_transaction then revenue end), 0) as {{ type_money() }}) as revenue,
    count(*) as purchase_events
from purchases
group by 1, 2, 3
