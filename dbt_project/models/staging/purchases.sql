{{
    config(
        window_column='event_date',
        partition_by=bigquery_day_partition('event_date'),
        cluster_by=['transaction_id'],
        upstream_partition_offsets={'events_screened': [-(var('session_lookback_days') | int), 0]},
        tags=['partitioned'],
    )
}}

{#-
  One row per purchase event (var purchase_event_name) with its session, bots flagged, and its
  ecommerce fields parsed from `parameters` (macros/ecommerce.sql: value, currency, revenue in
  var reporting_currency, or revenue_issue saying why there is none).
  is_repeat_transaction: the same transaction_id was purchased earlier on the same UTC day or the
  `session_lookback_days` days before (reloads, double tracking); such a row is kept, flagged,
  and counted by no mart. Whether an earlier purchase exists must not depend on which partitions
  ran before, so those days are read from events_screened (the rows events_cleaned keeps), like
  the session look-back of events_sessionated. A purchase without transaction_id never repeats.
-#}
{#- the session look-back's days: the same partition mapping of events_screened (dbt_project.yml) -#}
{%- set repeat_days = var('session_lookback_days') | int -%}
{%- set purchase_name = string_literal(var('purchase_event_name')) -%}

with window_purchases as (

    select
        event_id,
        timestamp,
        event_date,
        visitor_key,
        session_id,
        session_start,
        user_id,
        is_bot,
        {{ ecommerce_field('parameters', 'transaction_id') }} as transaction_id,
        {{ ecommerce_field('parameters', 'value') }} as value_text,
        upper({{ ecommerce_field('parameters', 'currency') }}) as currency
    from {{ ref('events_sessionated') }}
    where
        {{ in_partition_window('event_date') }}
        and event_name = {{ purchase_name }}

),

-- earlier purchases of the days before the window, only their transaction ids and times
lookback_purchases as (

    select
        timestamp,
        event_date,
        {{ ecommerce_field('parameters', 'transaction_id') }} as transaction_id
    from {{ ref('events_screened') }}
    where
        {{ before_partition_window('event_date', repeat_days) }}
        and quarantine_reason is null
        and event_name = {{ purchase_name }}

),

occurrences as (

    select
        transaction_id,
        timestamp,
        event_date,
        event_id
    from window_purchases
    where transaction_id is not null

    union all

    select
        transaction_id,
        timestamp,
        event_date,
        cast(null as {{ dbt.type_string() }}) as event_id
    from lookback_purchases
    where transaction_id is not null

),

-- the latest earlier purchase of the same transaction: if any earlier one is within the days, it is
previous_occurrences as (

    select
        event_id,
        lag(event_date) over (partition by transaction_id order by timestamp, event_id) as previous_date
    from occurrences

),

checked as (

    select
        *,
        {{ revenue_issue('value_text', 'currency') }} as revenue_issue,
        {{ try_cast_as(try_cast_as('value_text', type_double()), type_money()) }} as value_number
    from window_purchases

)

select
    checked.event_id,
    checked.timestamp,
    checked.event_date,
    checked.visitor_key,
    checked.session_id,
    checked.session_start,
    checked.user_id,
    checked.is_bot,
    checked.transaction_id,
    coalesce({{ dbt.datediff('previous_occurrences.previous_date', 'checked.event_date', 'day') }} <= {{ repeat_days }}, false)
        as is_repeat_transaction,
    -- the value as sent, when it is one (in its own currency)
    case
        when
            checked.revenue_issue is null
            or checked.revenue_issue in ('missing currency', 'invalid currency', 'currency without rate')
            then checked.value_number
    end as value,
    checked.currency,
    case
        when checked.revenue_issue is null
            then cast(checked.value_number * ({{ currency_rate('checked.currency') }}) as {{ type_money() }})
    end as revenue,
    checked.revenue_issue
from checked
left join previous_occurrences on checked.event_id = previous_occurrences.event_id
