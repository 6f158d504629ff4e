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

  `select_with_visitor_key(relation)` is a SELECT of every column of `relation` (raw events:
  timestamp, client_id, hash) plus `visitor_key` and helper columns prefixed `vk_`. The block
  is a function of one UTC day of raw events, so events_cleaned (a day's partition) and the
  look-back of events_sessionated (whole earlier days of the raw source) give every event the
  same visitor_key whatever order partitions run in.
-#}
{% macro select_with_visitor_key(relation) -%}
    {%- set hash = adapter.quote('hash') -%}
    {%- set timeout_micros = (var('session_timeout_seconds') | int) * 1000000 -%}
    select
        vk_blocks.*,
        case
            when nullif(vk_blocks.client_id, '') is not null then vk_blocks.client_id
            when vk_blocks.vk_hash is not null
                and vk_blocks.vk_block_min_client_id = vk_blocks.vk_block_max_client_id
                and vk_blocks.timestamp <= vk_blocks.vk_block_last_client_timestamp
                then vk_blocks.vk_block_min_client_id
            else vk_blocks.vk_hash
        end as visitor_key
    from (
        select
            vk_numbered.*,
            min(nullif(vk_numbered.client_id, '')) over (partition by vk_numbered.vk_hash, vk_numbered.vk_date, vk_numbered.vk_block)
                as vk_block_min_client_id,
            max(nullif(vk_numbered.client_id, '')) over (partition by vk_numbered.vk_hash, vk_numbered.vk_date, vk_numbered.vk_block)
                as vk_block_max_client_id,
            max(case when nullif(vk_numbered.client_id, '') is not null then vk_numbered.timestamp end)
                over (partition by vk_numbered.vk_hash, vk_numbered.vk_date, vk_numbered.vk_block)
                as vk_block_last_client_timestamp
        from (
            select
                vk_gaps.*,
                -- default frame (range): events at the same instant share their block
                sum(case when vk_gaps.vk_gap_micros is null or vk_gaps.vk_gap_micros > {{ timeout_micros }} then 1 else 0 end)
                    over (partition by vk_gaps.vk_hash, vk_gaps.vk_date order by vk_gaps.timestamp) as vk_block
            from (
                select
                    vk_events.*,
                    nullif(vk_events.{{ hash }}, '') as vk_hash,
                    cast(vk_events.timestamp as date) as vk_date,
                    {{ epoch_micros('vk_events.timestamp') }} - lag({{ epoch_micros('vk_events.timestamp') }})
                        over (partition by nullif(vk_events.{{ hash }}, ''), cast(vk_events.timestamp as date) order by vk_events.timestamp)
                        as vk_gap_micros
                from {{ relation }} as vk_events
            ) as vk_gaps
        ) as vk_numbered
    ) as vk_blocks
{%- endmacro %}
