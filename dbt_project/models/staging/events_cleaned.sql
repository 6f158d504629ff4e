{{
    config(
        materialized='incremental',
        incremental_strategy=window_incremental_strategy(),
        window_column='event_date',
        partition_by=bigquery_day_partition('event_date'),
        cluster_by=['visitor_key'],
        on_schema_change='fail',
        tags=['partitioned'],
    )
}}

{#- The fields that make an event an event: streamed duplicates share all of them, hence an event_id
    (macros/event_identity.sql: each field encoded unambiguously, so distinct events never share one). -#}
{%- set fingerprint_fields = [
    epoch_micros('timestamp'), 'event_type', 'event_name', 'parameters', 'user_agent', 'url',
    'referrer', 'client_id', adapter.quote('hash'), 'user_id', 'consent_given',
    'device.type', 'device.brand', 'device.model', 'device.browser', 'device.browser_version',
    'device.os', 'device.os_version', 'device.is_bot', to_json_string('ab_test'),
    'location.ip_trunc', 'location.continent', 'location.country', 'location.country_code', 'location.city',
] -%}

with source_events as (

    select *
    from {{ source('raw', 'events') }}
    where timestamp is not null
      and {{ in_partition_window('timestamp', column_type='timestamp') }}
      -- everything but staging.events_quarantine's rows (macros/quarantine.sql)
      and {{ raw_event_is_usable() }}

),

-- visitor_key: client_id, else the hash, with consent given mid-visit stitched (macros/visitor_key.sql)
keyed as (

    {{ select_with_visitor_key('source_events') }}

),

fingerprinted as (

    select
        *,
        {{ event_fingerprint(fingerprint_fields) }} as event_id
    from keyed

),

deduplicated as (

    select
        *,
        row_number() over (partition by event_id order by event_id) as duplicate_rank
    from fingerprinted

),

cleaned as (

    select
        event_id,
        timestamp,
        cast(timestamp as date) as event_date,
        visitor_key,
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
    from deduplicated
    where duplicate_rank = 1
      -- events without any visitor key cannot be attributed; they are counted by a check on the source
      and visitor_key is not null

)

select * from cleaned
