{#- Purchases of the run's window whose value or currency cannot be used (staging.purchases
    .revenue_issue; rules in macros/ecommerce.sql): they count as purchases but add no revenue.
    A warning with the count and the reasons, never a block. -#}
{{ config(severity='warn') }}

select
    event_date,
    revenue_issue,
    event_id,
    transaction_id
from {{ ref('purchases') }}
where
    {{ in_partition_window('event_date') }}
    and revenue_issue is not null
    and not is_bot
    and not is_repeat_transaction
