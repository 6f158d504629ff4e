{#- The few places where DuckDB and BigQuery SQL differ; everything else is shared SQL. -#}

{#- Microseconds since the epoch: exact elapsed time, unlike minute/second diff functions,
    which count boundaries on DuckDB and truncate elapsed time on BigQuery. -#}
{% macro epoch_micros(ts) -%}{{ return(adapter.dispatch('epoch_micros', 'measure_js')(ts)) }}{%- endmacro %}
{% macro default__epoch_micros(ts) -%}unix_micros({{ ts }}){%- endmacro %}
{% macro duckdb__epoch_micros(ts) -%}epoch_us({{ ts }}){%- endmacro %}

{% macro regex_contains(value, pattern) -%}{{ return(adapter.dispatch('regex_contains', 'measure_js')(value, pattern)) }}{%- endmacro %}
{% macro default__regex_contains(value, pattern) -%}regexp_contains({{ value }}, {{ pattern }}){%- endmacro %}
{% macro duckdb__regex_contains(value, pattern) -%}regexp_matches({{ value }}, {{ pattern }}){%- endmacro %}

{#- A value as a SQL string literal, escaped for the engine (BigQuery escapes with backslashes). -#}
{% macro string_literal(value) -%}{{ return(adapter.dispatch('string_literal', 'measure_js')(value)) }}{%- endmacro %}
{% macro default__string_literal(value) -%}'{{ value | string | replace("'", "''") }}'{%- endmacro %}
{% macro bigquery__string_literal(value) -%}'{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") | replace("\n", "\\n") }}'{%- endmacro %}

{#- JSON text of a value (used to fingerprint the repeated ab_test record). -#}
{% macro to_json_string(value) -%}{{ return(adapter.dispatch('to_json_string', 'measure_js')(value)) }}{%- endmacro %}
{% macro default__to_json_string(value) -%}to_json_string({{ value }}){%- endmacro %}
{% macro duckdb__to_json_string(value) -%}cast(to_json({{ value }}) as varchar){%- endmacro %}

{#- Seconds between two timestamps, exact to the microsecond, as a float. -#}
{% macro seconds_between(start_ts, end_ts) -%}
    ({{ epoch_micros(end_ts) }} - {{ epoch_micros(start_ts) }}) / 1000000.0
{%- endmacro %}

{#- Mean of the seconds between two timestamps over a group (an aggregate). The microseconds are
    summed as integers, exactly, and divided once: a float average depends on the order rows are
    added in, which differs between runs and engines in the last digit. -#}
{% macro avg_seconds_between(start_ts, end_ts) -%}
    (sum({{ epoch_micros(end_ts) }} - {{ epoch_micros(start_ts) }}) / nullif(count({{ end_ts }}), 0) / 1000000.0)
{%- endmacro %}

{#- The first capturing group of a regular expression (RE2 on both engines; the pattern must have
    exactly one capturing group, BigQuery's rule). NULL when there is no match or it is empty
    (DuckDB returns '' for no match, BigQuery NULL). -#}
{% macro regex_extract(value, pattern) -%}{{ return(adapter.dispatch('regex_extract', 'measure_js')(value, pattern)) }}{%- endmacro %}
{% macro default__regex_extract(value, pattern) -%}nullif(regexp_extract({{ value }}, {{ pattern }}), ''){%- endmacro %}
{% macro duckdb__regex_extract(value, pattern) -%}nullif(regexp_extract({{ value }}, {{ pattern }}, 1), ''){%- endmacro %}

{#- Replaces every match (BigQuery replaces all by default, DuckDB needs the 'g' option). -#}
{% macro regex_replace(value, pattern, replacement) -%}{{ return(adapter.dispatch('regex_replace', 'measure_js')(value, pattern, replacement)) }}{%- endmacro %}
{% macro default__regex_replace(value, pattern, replacement) -%}regexp_replace({{ value }}, {{ pattern }}, {{ replacement }}){%- endmacro %}
{% macro duckdb__regex_replace(value, pattern, replacement) -%}regexp_replace({{ value }}, {{ pattern }}, {{ replacement }}, 'g'){%- endmacro %}

{#- A 64-bit float (dbt.type_float() is a 32-bit FLOAT on DuckDB). -#}
{% macro type_double() -%}{{ return(adapter.dispatch('type_double', 'measure_js')()) }}{%- endmacro %}
{% macro default__type_double() -%}float64{%- endmacro %}
{% macro duckdb__type_double() -%}double{%- endmacro %}

{#- numerator / denominator as a float, NULL when the denominator is 0 or NULL (never integer division). -#}
{% macro safe_ratio(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_double() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- True when a string is a JSON object (`{...}`), false for anything else, NULL for NULL. Each
    engine's own JSON parser decides: DuckDB also accepts trailing commas and NaN, which
    BigQuery rejects; collectors never write either. -#}
{% macro is_json_object(value) -%}{{ return(adapter.dispatch('is_json_object', 'measure_js')(value)) }}{%- endmacro %}
{% macro default__is_json_object(value) -%}
    (json_type(safe.parse_json({{ value }}, wide_number_mode => 'round')) = 'object')
{%- endmacro %}
{% macro duckdb__is_json_object(value) -%}(json_type(try_cast({{ value }} as json)) = 'OBJECT'){%- endmacro %}

{#- The longest of the string fields `fields` over the elements of a repeated record (an array
    of structs), in characters; 0 for an empty or NULL array. -#}
{% macro max_length_in_records(array, fields) -%}{{ return(adapter.dispatch('max_length_in_records', 'measure_js')(array, fields)) }}{%- endmacro %}
{% macro default__max_length_in_records(array, fields) -%}
    coalesce((select max(greatest({% for f in fields %}coalesce(length(record.{{ adapter.quote(f) }}), 0){{ ', ' if not loop.last }}{% endfor %}))
              from unnest({{ array }}) as record), 0)
{%- endmacro %}
{#- list functions, not a correlated subquery over unnest: DuckDB decorrelates that into a join
    over every row, 50x slower at 1M events (BENCHMARKS.md) -#}
{% macro duckdb__max_length_in_records(array, fields) -%}
    coalesce(list_max(list_transform({{ array }}, lambda record: greatest(
        {%- for f in fields %}coalesce(length(record.{{ adapter.quote(f) }}), 0){{ ', ' if not loop.last }}{% endfor -%}
    ))), 0)
{%- endmacro %}

{#- Midnight (UTC) starting the current day, as a timestamp comparable with event timestamps. -#}
{% macro utc_today_start() -%}{{ return(adapter.dispatch('utc_today_start', 'measure_js')()) }}{%- endmacro %}
{% macro default__utc_today_start() -%}timestamp(current_date('UTC')){%- endmacro %}
{% macro duckdb__utc_today_start() -%}cast(current_date as timestamp){%- endmacro %}

{#- Midnight (UTC) `days` whole days before today's: a constant BigQuery prunes partitions by. -#}
{% macro utc_days_before_today_start(days) -%}{{ return(adapter.dispatch('utc_days_before_today_start', 'measure_js')(days)) }}{%- endmacro %}
{% macro default__utc_days_before_today_start(days) -%}timestamp_sub({{ utc_today_start() }}, interval {{ days | int }} day){%- endmacro %}
{% macro duckdb__utc_days_before_today_start(days) -%}({{ utc_today_start() }} - interval {{ days | int }} day){%- endmacro %}

{#- BigQuery's canonical INT64 for dbt.type_bigint() (dbt-bigquery renders the alias `bigint`,
    which BigQuery accepts but GoogleSQL's analyzer, the SQL gate of the tests, does not: one
    spelling everywhere). A root-project bigquery__ macro overrides dbt's own dispatch. -#}
{% macro bigquery__type_bigint() -%}int64{%- endmacro %}
