{#-
  The visitor of an event: its client_id when the visitor consented (the collector sends ''
  otherwise), else the daily-salted `hash` fingerprint. Used by events_cleaned and by the
  session look-back of events_sessionated, so both see the same visitors.
-#}
{% macro visitor_key(client_id='client_id', hash='hash') -%}
    coalesce(nullif({{ client_id }}, ''), nullif({{ hash }}, ''))
{%- endmacro %}
