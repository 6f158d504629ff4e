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
        {{ column }} >= {{ date_literal(start) }} and {{ column }} < {{ date_literal(end) }}
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
        {%- do literals.append(date_literal(window.start + modules.datetime.timedelta(days=offset)) | trim) -%}
    {%- endfor -%}
    {{ return(literals) }}
{% endmacro %}

{#-
  The `days` days before the partition window that `relation` (partitioned by the date column
  `column`) holds no row of: what a partition run must add for the look-backs that read those
  days of it. At execution of an incremental run, a query of that column over those days; all of
  them when the table is new or fully refreshed; none without a window (everything is built),
  in a unit test, and when compiling (the form of a daily run whose earlier days are there).
-#}
{% macro missing_days_before_window(relation, column, days) %}
    {%- set window = partition_window() -%}
    {%- if window is none or not execute or flags.WHICH not in ('run', 'build', 'retry') or model.resource_type != 'model' -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set wanted = [] -%}
    {%- for offset in range(days | int, 0, -1) -%}
        {%- do wanted.append(window.start - modules.datetime.timedelta(days=offset)) -%}
    {%- endfor -%}
    {%- if not is_incremental() -%}
        {{ return(wanted) }}
    {%- endif -%}
    {%- set present_query -%}
        select distinct cast({{ column }} as {{ dbt.type_string() }}) from {{ relation }}
        where {{ before_partition_window(column, days) }}
    {%- endset -%}
    {%- set present = run_query(present_query).columns[0].values() -%}
    {%- set missing = [] -%}
    {%- for day in wanted if day.isoformat() not in present -%}
        {%- do missing.append(day) -%}
    {%- endfor -%}
    {{ return(missing) }}
{% endmacro %}

{#- Predicate keeping rows of these whole UTC days (a list of dates); `false` for none. -#}
{% macro on_days(column, days, column_type='date') -%}
    {%- for day in days -%}
        ({{ _bounds_predicate(column, day, day + modules.datetime.timedelta(days=1), column_type) }}){% if not loop.last %} or {% endif %}
    {%- else -%}
        false
    {%- endfor -%}
{%- endmacro %}

{#- A date as a SQL literal, the same in both engines. -#}
{% macro date_literal(value) -%}
    date '{{ value.isoformat() }}'
{%- endmacro %}
