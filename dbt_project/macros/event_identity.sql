{#-
  event_id: the md5 (hex) of an event's fields, each encoded so that the concatenation can be
  read back into the fields (an injective encoding): NULL as 'N', any other value as its length
  in characters, ':' and the value. Joining the bare values with '|' was not: url 'x|' with an
  empty referrer and url 'x' with referrer '|' gave one id and were dropped as duplicates.
  NULL and '' stay distinct: a streamed duplicate repeats every field exactly, NULLs included.
  Only length, concat and md5 (dbt.hash: to_hex(md5()) on BigQuery), which give the same text and
  the same hex on both engines (both count characters, both hash UTF-8), so ids agree across them.
-#}
{% macro event_fingerprint(fields) -%}
    {%- set parts = [] -%}
    {%- for field in fields -%}
        {%- set text = 'cast(' ~ field ~ ' as ' ~ dbt.type_string() ~ ')' -%}
        {%- do parts.append(
            "case when " ~ text ~ " is null then 'N' else concat(cast(length(" ~ text ~ ") as "
            ~ dbt.type_string() ~ "), ':', " ~ text ~ ") end") -%}
    {%- endfor -%}
    {{ dbt.hash("concat(" ~ parts | join(", ") ~ ")") }}
{%- endmacro %}
