{#- Every raw row of a day is accounted for: quarantined (staging.events_quarantine, every copy),
    or one of the copies of an event of staging.events_cleaned; the other copies are streamed
    duplicates, counted here by comparing the rows' values (NULL and '' alike, as cleaning makes
    both NULL), not by event_id, so an identity that merged two different events shows too.
    The documented drops outside any day: rows without a timestamp (locally the loader's
    raw.events_rejected, never in raw.events) and rows not due yet (today or later, UTC), which
    no model processes. The raw rows are counted from the source, their values read from
    staging.events_screened (the one model reading the source whole), so a row lost in between
    shows too. A row per day that is wrong, in the run's window (whole tables without one): the rows do not add up, or events_cleaned does not hold each event exactly once. -#}
{{ config(meta={'dagster': {'ref': {'name': 'events_cleaned'}}}) }}

{%- set compared_fields = ['timestamp', 'consent_given', 'device.is_bot', to_json_string('ab_test')]
                          + raw_text_columns() -%}

-- the raw source's rows per day: its timestamps only
with raw_days as (

    select
        cast(timestamp as date) as event_date,
        count(*) as raw_rows
    from {{ source('raw', 'events') }}
    where
        timestamp is not null
        and {{ in_partition_window('timestamp', column_type='timestamp') }}
        and {{ raw_event_is_due() }}
    group by 1

),

-- the same rows as events_screened holds them (macros/quarantine.sql's reason beside each)
screened_rows as (

    select
        event_date,
        quarantine_reason is null as is_usable,
        {%- for field in compared_fields %}
        {% if loop.index > 4 %}coalesce({{ field }}, ''){% else %}{{ field }}{% endif %} as field_{{ loop.index }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('events_screened') }}
    where {{ in_partition_window('event_date') }}

),

distinct_events as (

    select
        event_date,
        count(*) as copies
    from screened_rows
    where is_usable
    group by
        event_date
        {%- for field in compared_fields %}, field_{{ loop.index }}{% endfor %}

),

duplicate_days as (

    select
        event_date,
        count(*) as events,
        sum(copies - 1) as streamed_duplicates
    from distinct_events
    group by 1

),

quarantine_days as (

    select
        event_date,
        count(*) as quarantined
    from {{ ref('events_quarantine') }}
    where {{ in_partition_window('event_date') }}
    group by 1

),

cleaned_days as (

    select
        event_date,
        count(*) as cleaned
    from {{ ref('events_cleaned') }}
    where {{ in_partition_window('event_date') }}
    group by 1

),

days as (

    select event_date from raw_days
    union distinct
    select event_date from quarantine_days
    union distinct
    select event_date from cleaned_days

),

accounts as (

    select
        days.event_date,
        coalesce(raw_days.raw_rows, 0) as raw_rows,
        coalesce(quarantine_days.quarantined, 0) as quarantined,
        coalesce(cleaned_days.cleaned, 0) as cleaned,
        coalesce(duplicate_days.streamed_duplicates, 0) as streamed_duplicates,
        coalesce(duplicate_days.events, 0) as events
    from days
    left join raw_days on days.event_date = raw_days.event_date
    left join duplicate_days on days.event_date = duplicate_days.event_date
    left join quarantine_days on days.event_date = quarantine_days.event_date
    left join cleaned_days on days.event_date = cleaned_days.event_date

)

select *
from accounts
where raw_rows <> quarantined + cleaned + streamed_duplicates
-- and events_cleaned holds each event once
or cleaned <> events
