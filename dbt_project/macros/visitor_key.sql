{#-
  The visitor of an event (`visitor_key`): its client_id when the visitor consented (the
  collector sends '' otherwise), else the daily-salted `hash` fingerprint, with consent given
  mid-visit stitched as below. Used by events_cleaned and by the session look-back of
  events_sessionated, so both see the same visitors.

  Consent given mid-visit. A visitor's events before consent carry only the hash; from the
  consent on, the client_id (and the same hash). The hash's *activity block* is its run of
  events on one UTC day without a gap of more than session_timeout_seconds (the hash is
  salted daily, so it identifies a browser for one day only, and the block never crosses a UTC
  midnight). When the events of a block carry exactly one distinct client_id, the block's events
  without a client_id up to its last event with the client_id get it as visitor_key: those before
  the consent, and requests in between that went without the cookie. Events after the last one
  with the client_id keep the hash (consent may have been withdrawn). A block with two or more
  client_ids (two people behind one IP and user agent) stitches nothing. (Measure.js's own model
  also backfills the block's later events; we do not, to respect a withdrawal.)

  The block is a function of one UTC day of raw events, so events_cleaned (a day's partition)
  and the look-back of events_sessionated (whole earlier days of the raw source) give every
  event the same visitor_key whatever order partitions run in.

  Fast on wide rows: the windows run over a narrow projection, one row per (hash, instant) with
  the client_ids seen there, of the hash's days that have events with and without a client_id,
  never over the events' other columns (DuckDB materializes every carried column in every
  window). Events at the same instant share their block.
  `visitor_key_stitches(relation)` yields (vk_hash, vk_timestamp, vk_stitched_client_id) for the
  instants where hash-only events take a client_id; `visitor_key(relation_alias, stitches_alias)`
  is the key of a row of `relation` left-joined to them by `visitor_key_stitch_join`.
-#}
{% macro visitor_key_stitches(relation) -%}
    {%- set hash = adapter.quote('hash') -%}
    {%- set timeout_micros = (var('session_timeout_seconds') | int) * 1000000 -%}
    select vk_hash, vk_timestamp, vk_block_min_client_id as vk_stitched_client_id
    from (
        select
            vk_hash,
            vk_timestamp,
            vk_has_hash_only_event,
            min(vk_min_client_id) over (partition by vk_hash, vk_date, vk_block) as vk_block_min_client_id,
            max(vk_max_client_id) over (partition by vk_hash, vk_date, vk_block) as vk_block_max_client_id,
            max(case when vk_max_client_id is not null then vk_timestamp end)
                over (partition by vk_hash, vk_date, vk_block) as vk_block_last_client_timestamp
        from (
            select
                *,
                sum(case when vk_gap_micros is null or vk_gap_micros > {{ timeout_micros }} then 1 else 0 end)
                    over (partition by vk_hash, vk_date order by vk_timestamp rows between unbounded preceding and current row)
                    as vk_block
            from (
                select
                    *,
                    {{ epoch_micros('vk_timestamp') }} - lag({{ epoch_micros('vk_timestamp') }})
                        over (partition by vk_hash, vk_date order by vk_timestamp) as vk_gap_micros
                from (
                    select
                        nullif(vk_events.{{ hash }}, '') as vk_hash,
                        cast(vk_events.timestamp as date) as vk_date,
                        vk_events.timestamp as vk_timestamp,
                        min(nullif(vk_events.client_id, '')) as vk_min_client_id,
                        max(nullif(vk_events.client_id, '')) as vk_max_client_id,
                        count(*) > count(nullif(vk_events.client_id, '')) as vk_has_hash_only_event
                    from {{ relation }} as vk_events
                    -- only the hash's days with events both with and without a client_id can stitch:
                    -- the windows run over those alone
                    inner join (
                        select nullif({{ hash }}, '') as vk_hash, cast(timestamp as date) as vk_date
                        from {{ relation }}
                        where nullif({{ hash }}, '') is not null
                        group by 1, 2
                        having count(nullif(client_id, '')) > 0 and count(*) > count(nullif(client_id, ''))
                    ) as vk_mixed_days
                        on nullif(vk_events.{{ hash }}, '') = vk_mixed_days.vk_hash
                        and cast(vk_events.timestamp as date) = vk_mixed_days.vk_date
                    group by 1, 2, 3
                ) as vk_instants
            ) as vk_gaps
        ) as vk_blocks
    ) as vk_block_clients
    where vk_has_hash_only_event
      and vk_block_min_client_id = vk_block_max_client_id
      and vk_timestamp <= vk_block_last_client_timestamp
{%- endmacro %}

{% macro visitor_key_stitch_join(relation_alias, stitches_alias) -%}
    {{ stitches_alias }}.vk_hash = nullif({{ relation_alias }}.{{ adapter.quote('hash') }}, '')
    and {{ stitches_alias }}.vk_timestamp = {{ relation_alias }}.timestamp
{%- endmacro %}

{% macro visitor_key(relation_alias, stitches_alias) -%}
    coalesce(nullif({{ relation_alias }}.client_id, ''), {{ stitches_alias }}.vk_stitched_client_id,
             nullif({{ relation_alias }}.{{ adapter.quote('hash') }}, ''))
{%- endmacro %}
