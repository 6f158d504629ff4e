{{
    config(
        window_column='event_date',
        partition_by=bigquery_day_partition('event_date'),
        cluster_by=['visitor_key'],
        tags=['partitioned'],
    )
}}

{#- The fields that make an event an event: streamed duplicates share all of them, hence an event_id
    (macros/event_identity.sql: each field encoded unambiguously, so distinct events never share one;
    macros/raw_columns.sql: every value of the collector's schema, in its order). -#}
{%- set fingerprint_fields = raw_fingerprint_fields() -%}

{%- set cleaned_columns = [
    'event_id', 'timestamp', 'event_date', 'visitor_key', 'client_id', 'visitor_hash', 'user_id', 'consent_given',
    'event_type', 'event_name', 'parameters', 'url', 'referrer', 'user_agent',
    'device_type', 'device_brand', 'device_model', 'device_browser', 'device_browser_version',
    'device_os', 'device_os_version', 'ip_trunc', 'continent', 'country', 'country_code', 'city',
    'ab_test', 'is_bot',
] -%}

with source_events as (

    -- everything but staging.events_quarantine's rows (macros/quarantine.sql)
    select {{ raw_column_names() | join(', ') }}
    from {{ ref('events_screened') }}
    where
        {{ in_partition_window('event_date') }}
        and quarantine_reason is null

),

-- consent given mid-visit, on a narrow projection of the day (macros/visitor_key.sql)
visitor_key_stitches as (

    {{ visitor_key_stitches('source_events') }}

),

cleaned as (

    select
        {{ event_fingerprint(fingerprint_fields) }} as event_id,
        timestamp,
        cast(timestamp as date) as event_date,
        {{ visitor_key('source_events', 'visitor_key_stitches') }} as visitor_key,
        nullif(client_id, '') as client_id,
        nullif({{ adapter.quote('hash') }}, '') as visitor_hash,
        nullif(user_id, '') as user_id,
        consent_given,
        nullif(event_type, '') as event_type,
        nullif(event_name, '') as event_name,
        nullif(parameters, '') as parameters,
        nullif(url, '') as url,
        nullif(referrer, '') as referrer,
        nullif(user_agent, '') as user_agent,
        nullif(device.type, '') as device_type,
        nullif(device.brand, '') as device_brand,
        nullif(device.model, '') as device_model,
        nullif(device.browser, '') as device_browser,
        nullif(device.browser_version, '') as device_browser_version,
        nullif(device.os, '') as device_os,
        nullif(device.os_version, '') as device_os_version,
        nullif(location.ip_trunc, '') as ip_trunc,
        nullif(location.continent, '') as continent,
        nullif(location.country, '') as country,
        nullif(location.country_code, '') as country_code,
        nullif(location.city, '') as city,
        ab_test,
        coalesce(device.is_bot, false)
        or coalesce({{ regex_contains('lower(user_agent)', string_literal(var('bot_user_agent_pattern') | lower)) }}, false)
            as is_bot
    from source_events
    left join visitor_key_stitches on {{ visitor_key_stitch_join('source_events', 'visitor_key_stitches') }}
    -- events without any visitor key cannot be attributed; they are counted by a check on the source
    where {{ visitor_key('source_events', 'visitor_key_stitches') }} is not null

),

-- Streamed duplicates, without sorting or hashing whole rows: the event_ids seen more than once
-- (a narrow aggregate; ~1 % of events), then one row of each. Rows sharing an event_id are equal
-- in every cleaned column (NULL and '' encode alike and both clean to NULL), so any copy will do.
duplicated_event_ids as (

    select event_id
    from cleaned
    group by event_id
    having count(*) > 1

),

single_events as (

    select cleaned.*
    from cleaned
    left join duplicated_event_ids on cleaned.event_id = duplicated_event_ids.event_id
    where duplicated_event_ids.event_id is null

),

deduplicated_events as (

    select {{ cleaned_columns | join(', ') }}
    from (
        select
            cleaned.*,
            row_number() over (partition by cleaned.event_id) as duplicate_rank
        from cleaned
        inner join duplicated_event_ids on cleaned.event_id = duplicated_event_ids.event_id
    ) as duplicates
    where duplicate_rank = 1

)

select * from single_events
union all
select * from deduplicated_events
