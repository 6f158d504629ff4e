{#-
  Which raw events cannot be used, and why: the one rule, evaluated once per raw row by
  staging.events_screened; events_cleaned keeps the rows without a reason, events_quarantine the
  rows with one, and the look-backs of events_sessionated and purchases read the rows
  events_cleaned keeps, so they cannot drift.

  The expressions read the raw source's columns unqualified (timestamp, client_id, hash, ...).
  A row gets the first reason that applies, in this order:

    timestamp before 2000-01-01   older than any real Measure.js event: a broken clock or a default value
    missing visitor key           client_id and hash both NULL or '': the event belongs to nobody
    value too long                a string (any column, record field or ab_test field) longer than
                                  var max_value_length characters: garbage or an attack, not a browser
    malformed parameters          `parameters` is neither empty nor a JSON object (the collector
                                  always writes an object)

  Rows timestamped today or later (UTC) are not processed yet by any model, in a partition run (a
  partition ends at yesterday's midnight at the latest) or in a full refresh alike, so a full
  refresh holds exactly the rows of the partitions. Rows without a timestamp never reach the raw
  table locally (the loader's raw.events_rejected) and are skipped here.
-#}

{#- A var that must be a whole number >= 0 (it is pasted into SQL and test configs): anything else
    is a compilation error, never SQL. -#}
{% macro integer_var(name) -%}
    {%- set value = var(name) | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]{1,18}', value) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a whole number >= 0, got " ~ (value | tojson)) }}
    {%- endif -%}
    {{ return(value | int) }}
{%- endmacro %}

{#- The reason a raw event is quarantined, or NULL when it is usable. -#}
{% macro raw_event_quarantine_reason() -%}
    case
        when timestamp < timestamp '2000-01-01 00:00:00' then 'timestamp before 2000-01-01'
        when nullif(client_id, '') is null and nullif({{ adapter.quote('hash') }}, '') is null then 'missing visitor key'
        when greatest(
            {%- for column in raw_text_columns() %}
            coalesce(length({{ column }}), 0),
            {%- endfor %}
            {%- for record, fields in raw_repeated_record_fields().items() %}
            {{ max_length_in_records(record, fields) }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        ) > {{ integer_var('max_value_length') }} then 'value too long'
        when nullif(parameters, '') is not null and not coalesce({{ is_json_object('parameters') }}, false) then 'malformed parameters'
    end
{%- endmacro %}

{#- The raw event is due: before today's UTC midnight, i.e. inside a partition that can exist. -#}
{% macro raw_event_is_due() -%}
    timestamp < {{ utc_today_start() }}
{%- endmacro %}
