{#-
  The partition's time window, UTC dates [start, end). Dagster passes it as dbt's
  `--event-time-start/--event-time-end` flags: unlike vars, they do not invalidate partial
  parsing, so a partition run does not re-parse the project. The vars partition_start /
  partition_end do the same for people running dbt by hand. Every event-grained model filters
  and replaces exactly this window, so a partition run is idempotent and gives the same rows as
  a full refresh. The window is only read at execution time (never in config(), which partial
  parsing would freeze), and validated before it reaches SQL: a crafted value cannot change a query.
-#}

{% macro parse_partition_date(name) %}
    {%- set value = var(name) | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a date YYYY-MM-DD, got " ~ (value | tojson)) }}
    {%- endif -%}
    {{ return(modules.datetime.datetime.strptime(value, '%Y-%m-%d').date()) }}
{% endmacro %}

{% macro event_time_flag_date(name) %}
    {%- set value = invocation_args_dict.get(name) -%}
    {%- if value is none -%}
        {{ exceptions.raise_compiler_error("--event-time-start and --event-time-end go together") }}
    {%- endif -%}
    {%- if (value.hour, value.minute, value.second, value.microsecond) != (0, 0, 0, 0) -%}
        {{ exceptions.raise_compiler_error("--" ~ name | replace('_', '-') ~ " must be a UTC midnight (daily partitions), got " ~ value) }}
    {%- endif -%}
    {{ return(value.date()) }}
{% endmacro %}

{#- Returns none (no window: process everything) or {'start': date, 'end': date}. -#}
{% macro partition_window(lookback_days=0, lookahead_days=0) %}
    {%- if var('partition_start') or var('partition_end') -%}
        {%- set start = parse_partition_date('partition_start') -%}
        {%- set end = parse_partition_date('partition_end') -%}
    {%- elif invocation_args_dict.get('event_time_start') or invocation_args_dict.get('event_time_end') -%}
        {%- set start = event_time_flag_date('event_time_start') -%}
        {%- set end = event_time_flag_date('event_time_end') -%}
    {%- else -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if end <= start -%}
        {{ exceptions.raise_compiler_error("partition_end (" ~ end ~ ") must be after partition_start (" ~ start ~ ")") }}
    {%- endif -%}
    {%- set delta = modules.datetime.timedelta -%}
    {{ return({'start': start - delta(days=lookback_days | int), 'end': end + delta(days=lookahead_days | int)}) }}
{% endmacro %}

{% macro _bounds_predicate(column, start, end, column_type) -%}
    {%- if column_type == 'timestamp' -%}
        {{ column }} >= timestamp '{{ start.isoformat() }} 00:00:00' and {{ column }} < timestamp '{{ end.isoformat() }} 00:00:00'
    {%- else -%}
        {{ column }} >= date '{{ start.isoformat() }}' and {{ column }} < date '{{ end.isoformat() }}'
    {%- endif -%}
{%- endmacro %}

{#- Predicate keeping rows of the window (widened by lookback/lookahead days); `true` without a window. -#}
{% macro in_partition_window(column, lookback_days=0, lookahead_days=0, column_type='date') -%}
    {%- set window = partition_window(lookback_days, lookahead_days) -%}
    {%- if window is none -%}
        true
    {%- else -%}
        {{ _bounds_predicate(column, window.start, window.end, column_type) }}
    {%- endif -%}
{%- endmacro %}

{#- Predicate keeping the `days` before the window's start; `false` without a window (a full run has no "before"). -#}
{% macro before_partition_window(column, days, column_type='date') -%}
    {%- set window = partition_window() -%}
    {%- if window is none -%}
        false
    {%- else -%}
        {{ _bounds_predicate(column, window.start - modules.datetime.timedelta(days=days | int), window.start, column_type) }}
    {%- endif -%}
{%- endmacro %}

{#- BigQuery insert_overwrite partitions of the window, as literal dates (no scan to find them). -#}
{% macro partition_window_literals(lookback_days=0) %}
    {%- set window = partition_window(lookback_days) -%}
    {%- if window is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set days = (window.end - window.start).days -%}
    {%- set literals = [] -%}
    {%- for offset in range(days) -%}
        {%- do literals.append("date '" ~ (window.start + modules.datetime.timedelta(days=offset)).isoformat() ~ "'") -%}
    {%- endfor -%}
    {{ return(literals) }}
{% endmacro %}
