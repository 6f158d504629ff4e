{{
    config(
        window_column='session_date',
        window_lookback_days=var('session_lookback_days'),
        partition_by=bigquery_day_partition('session_date'),
        tags=['partitioned'],
    )
}}

{#-
  The specification's "Session Duration Distribution" per day the sessions started, every
  bucket present (session_count 0 when empty) so that a chart has all five bars. percentage is
  the bucket's share of that day's sessions; the analysis
  session_duration_distribution_last_7_days.sql sums the counts over its window and recomputes
  the shares. Buckets by session_duration in seconds, lower bound included:
  [0, 60) 0-1 min, [60, 300) 1-5 min, [300, 900) 5-15 min, [900, 3600) 15-60 min, 3600+ 60+ min.
  A duration is the session's own (core.session_aggregates): a partition run replaces the
  dates whose sessions session_aggregates rewrote, its days and their look-back.
-#}
{%- set buckets = [
    ('0-1 min', 0, 60),
    ('1-5 min', 60, 300),
    ('5-15 min', 300, 900),
    ('15-60 min', 900, 3600),
    ('60+ min', 3600, none),
] -%}

with buckets as (

    {%- for label, lower, upper in buckets %}
    select
        {{ loop.index }} as bucket_order,
        {{ string_literal(label) }} as duration_bucket,
        {{ lower }} as min_seconds,
        {{ upper if upper is not none else 'cast(null as ' ~ dbt.type_int() ~ ')' }} as max_seconds
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

sessions as (

    select
        session_date,
        case
            {%- for label, lower, upper in buckets if upper is not none %}
            when session_duration < {{ upper }} then {{ loop.index }}
            {%- endfor %}
            else {{ buckets | length }}
        end as bucket_order
    from (
        select
            session_date,
            {{ seconds_between('session_start', 'session_end') }} as session_duration
        from {{ ref('session_aggregates') }}
        where {{ in_partition_window('session_date', lookback_days=var('session_lookback_days')) }}
    ) as durations

),

counted as (

    select
        session_date,
        bucket_order,
        count(*) as session_count
    from sessions
    group by 1, 2

),

session_dates as (

    select distinct session_date
    from sessions

),

filled as (

    select
        session_dates.session_date,
        buckets.bucket_order,
        buckets.duration_bucket,
        buckets.min_seconds,
        buckets.max_seconds,
        coalesce(counted.session_count, 0) as session_count
    from session_dates
    cross join buckets
    left join counted
        on
            session_dates.session_date = counted.session_date
            and buckets.bucket_order = counted.bucket_order

)

select
    *,
    {{ safe_ratio('session_count * 100', 'sum(session_count) over (partition by session_date)') }} as percentage
from filled
