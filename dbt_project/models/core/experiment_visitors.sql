{{
    config(
        incremental_strategy=visitor_state_strategy(),
        unique_key='visitor_key',
        cluster_by=['visitor_key'],
        tags=['partitioned'],
    )
}}

{#-
  One row per A/B test and human visitor exposed to it (staging.ab_test_exposures, all history):
  - first_exposed_at: the visitor's first event carrying the test
  - variant: the variant it saw; NULL with is_in_several_variants when it was shown two or more
    variants of the test (the assignment broke: the visitor is excluded from the test's figures
    in mart.experiments, and counted there)
  - what happened from the first exposure on: sessions_after_exposure (sessions with an event at
    or after it, the exposing one included), transactions (purchases counted once per
    transaction_id) and revenue (reporting currency) at or after it, is_converted
  A per-visitor state, like core.users: a partition run recomputes the visitors whose inputs it
  rewrote (exposures and purchases of its days, sessions started in its days and their
  look-back) from all their history, and replaces their rows; no other visitor's row can change.
-#}

-- read by is_touched_visitor() in partition runs only: a full build touches every visitor
with touched_visitors as (  -- noqa: ST03

    select visitor_key
    from {{ ref('ab_test_exposures') }}
    where {{ in_partition_window('event_date') }}

    union all

    select visitor_key
    from {{ ref('purchases') }}
    where {{ in_partition_window('event_date') }}

    union all

    -- a session_aggregates run rewrites the sessions started in its look-back days too
    {{ visitors_of_rewritten_sessions() }}

),

exposures as (

    select
        visitor_key,
        test_name,
        variant,
        first_exposed_at
    from {{ ref('ab_test_exposures') }}
    where
        not is_bot
        and test_name is not null
        and variant is not null
        and {{ is_touched_visitor() }}

),

visitors as (

    select
        test_name,
        visitor_key,
        min(first_exposed_at) as first_exposed_at,
        count(distinct variant) as variants_seen,
        min(variant) as first_variant_alphabetically
    from exposures
    group by 1, 2

),

sessions_after as (

    select
        visitors.test_name,
        visitors.visitor_key,
        count(*) as sessions_after_exposure
    from visitors
    inner join {{ ref('session_aggregates') }} as sessions
        on
            visitors.visitor_key = sessions.visitor_key
            and visitors.first_exposed_at <= sessions.session_end
    group by 1, 2

),

purchases_after as (

    select
        visitors.test_name,
        visitors.visitor_key,
        count(*) as transactions,
        count(case when purchases.revenue is null then 1 end) as transactions_without_revenue,
        sum(purchases.revenue) as revenue
    from visitors
    inner join {{ ref('purchases') }} as purchases
        on
            visitors.visitor_key = purchases.visitor_key
            and visitors.first_exposed_at <= purchases.timestamp
            and not purchases.is_bot
            and not purchases.is_repeat_transaction
    group by 1, 2

)

select
    visitors.test_name,
    visitors.visitor_key,
    case when visitors.variants_seen = 1 then visitors.first_variant_alphabetically end as variant,
    visitors.variants_seen > 1 as is_in_several_variants,
    visitors.first_exposed_at,
    coalesce(sessions_after.sessions_after_exposure, 0) as sessions_after_exposure,
    coalesce(purchases_after.transactions, 0) as transactions,
    coalesce(purchases_after.transactions_without_revenue, 0) as transactions_without_revenue,
    cast(coalesce(purchases_after.revenue, 0) as {{ type_money() }}) as revenue,
    coalesce(purchases_after.transactions, 0) > 0 as is_converted
from visitors
left join sessions_after
    on visitors.test_name = sessions_after.test_name and visitors.visitor_key = sessions_after.visitor_key
left join purchases_after
    on visitors.test_name = purchases_after.test_name and visitors.visitor_key = purchases_after.visitor_key
