{#-
  URLs and traffic sources of core.sessions. The rules are dbt vars (dbt_project.yml):
  click_ids, search_engines, internal_referrers, tracking_parameters. Everything here is built
  from the cross-db primitives (regex_extract, regex_replace, regex_contains, string_literal),
  so it runs on DuckDB and BigQuery alike.
-#}

{#- Lower-case host of a URL, without a leading `www.`; NULL when the value is not scheme://host... -#}
{% macro url_host(url) -%}
    {{ regex_replace('lower(' ~ regex_extract(url, string_literal('^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]+)')) ~ ')',
                     string_literal('^www\\.'), "''") }}
{%- endmacro %}

{#- Value of a query parameter of a URL (first occurrence, not URL-decoded); NULL when absent or empty. -#}
{% macro url_parameter(url, name) -%}
    {{ regex_extract(url, string_literal('^[^?#]*\\?(?:[^#]*?&)??' ~ modules.re.escape(name) ~ '=([^&#]*)')) }}
{%- endmacro %}

{#- The tracking parameters, as one RE2 alternation of names: `utm_*`-style entries match a
    prefix; the click ids of var click_ids are always included. -#}
{% macro tracking_parameter_pattern() -%}
    {%- set names = [] -%}
    {%- for name in var('tracking_parameters', []) | list + var('click_ids', {}) | list -%}
        {%- set name = name | string | trim -%}
        {%- set alternative = modules.re.escape(name[:-1]) ~ '[^=&]*' if name.endswith('*') else modules.re.escape(name) -%}
        {%- if alternative not in names -%}{%- do names.append(alternative) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(names | join('|')) }}
{%- endmacro %}

{#-
  The URL without tracking parameters (var tracking_parameters: utm_*, gclid, fbclid, wbraid,
  gbraid), other parameters and the #fragment kept in order: the page, for landing/exit pages
  and page reports. `https://a.example/p?utm_source=x&id=2#top` -> `https://a.example/p?id=2#top`.
  The query is cut out, its separators doubled so that every parameter is framed by `&...&`
  (RE2 has no look-around, and a global replace does not overlap matches), the tracking ones
  removed, and the rest joined again.
-#}
{% macro strip_tracking_parameters(url) -%}
    {%- set names = tracking_parameter_pattern() -%}
    {%- set query = regex_extract(url, string_literal('^[^?#]*\\?([^#]*)')) -%}
    {%- set framed = "'&' || replace(" ~ query ~ ", '&', '&&') || '&'" -%}
    {%- set removed = regex_replace(framed, string_literal('&(?i:' ~ names ~ ')(?:=[^&]*)?&'), "''") -%}
    {%- set kept = "trim(" ~ regex_replace(removed, string_literal('&+'), "'&'") ~ ", '&')" -%}
    (
        {{ regex_extract(url, string_literal('^([^?#]*)')) }}
        || coalesce('?' || nullif({{ kept }}, ''), '')
        || coalesce({{ regex_extract(url, string_literal('^[^#]*(#.*)$')) }}, '')
    )
{%- endmacro %}

{#-
  Traffic source of a session, from its landing URL and the referrer of its first event. Rules,
  in order of precedence (core.sessions composes the macros below over its CTEs):
    1. a known click id in the landing URL (var click_ids, first present in the var's order:
       gclid, wbraid, gbraid -> google / cpc; fbclid -> facebook / paid-social; tblci ->
       taboola / cpc; li_fat_id -> linkedin / paid-social);
    2. an external referrer whose host matches a search engine (var search_engines: name -> RE2
       on the host without www.) -> name / organic;
    3. another external referrer -> its host (without www.) / referral;
    4. nothing of the above (no referrer, or an internal one) -> (direct) / (none).
  A referrer is internal when its host is the landing page's host, a subdomain or a parent
  domain of it (www. ignored), or matches one of var internal_referrers (payment providers,
  login pages). utm_source and utm_medium in the landing URL override source and medium field
  by field (as in Measure.js's own model); a session tagged with any utm_* parameter is not
  direct, and a field neither its tags nor a rule name is '(not set)': a landing URL with only
  utm_campaign (or utm_content, utm_term, utm_id) and no referrer is (not set) / (not set) with
  its campaign (Measure.js labels it direct / none, yet does not treat it as direct either).
  The landing URL and referrer are the session's first pageview's, else its first event's.
-#}

{#- The utm_* parameters a landing URL can carry. Any of them, with a value, makes a session
    non-direct (as in Measure.js's own model): a campaign-only tag keeps its campaign. -#}
{% macro utm_parameters() -%}
    {{ return(['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term', 'utm_id']) }}
{%- endmacro %}

{#- The URL carries at least one utm_* parameter with a value. -#}
{% macro has_utm_tag(url) -%}
    ({% for name in utm_parameters() %}{{ url_parameter(url, name) }} is not null{{ ' or ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- The value of the click id click_id_of() names, or NULL. -#}
{% macro click_id_value_of(url) -%}
    case
        {%- for name in var('click_ids', {}) %}
        when {{ url_parameter(url, name) }} is not null then {{ url_parameter(url, name) }}
        {%- endfor %}
    end
{%- endmacro %}

{#-
  What names the traffic source of a pageview, for events_sessionated's split_session_on_new_source:
  - `has_source_signal`: a utm_* tag, a click id or an external referrer (rules above);
  - `source_signal`: a fingerprint of the referrer, the click id and its value and the utm_*
    values (NULL and '' alike): two pageviews of one visit with the same fingerprint bring the
    same source (Measure.js compares referrer, click id and utm parameters the same way).
-#}
{% macro has_source_signal(url, referrer) -%}
    ({{ has_utm_tag(url) }}
     or {{ click_id_of(url) }} is not null
     or {{ is_external_referrer(url_host(referrer), url_host(url)) }})
{%- endmacro %}

{% macro source_signal(url, referrer) -%}
    {%- set fields = [referrer, click_id_of(url), click_id_value_of(url)] -%}
    {%- for name in utm_parameters() -%}{%- do fields.append(url_parameter(url, name)) -%}{%- endfor -%}
    {{ event_fingerprint(fields) }}
{%- endmacro %}

{#- The first click id of var click_ids present in the URL, or NULL. -#}
{% macro click_id_of(url) -%}
    case
        {%- for name in var('click_ids', {}) %}
        when {{ url_parameter(url, name) }} is not null then {{ string_literal(name) }}
        {%- endfor %}
    end
{%- endmacro %}

{#- The name of the search engine of var search_engines whose pattern matches the host, or NULL. -#}
{% macro search_engine_of(host) -%}
    case
        {%- for name, pattern in var('search_engines', {}).items() %}
        when {{ regex_contains(host, string_literal(pattern)) }} then {{ string_literal(name) }}
        {%- endfor %}
    end
{%- endmacro %}

{#- The referrer host is another site's: not the landing host, a subdomain or a parent of it, nor internal_referrers. -#}
{% macro is_external_referrer(referrer_host, landing_host) -%}
    coalesce(
        {{ referrer_host }} != coalesce({{ landing_host }}, '')
        and not ends_with({{ referrer_host }}, '.' || coalesce({{ landing_host }}, ''))
        and not ends_with(coalesce({{ landing_host }}, ''), '.' || {{ referrer_host }})
        {%- for pattern in var('internal_referrers', []) %}
        and not {{ regex_contains(referrer_host, string_literal(pattern)) }}
        {%- endfor %},
        false
    )
{%- endmacro %}

{#- Source and medium from click id, search engine and external referrer (rules 1-3), NULL when none applies. -#}
{% macro rule_source(click_id, search_engine, is_external, referrer_host) -%}
    case
        {%- for name, rule in var('click_ids', {}).items() %}
        when {{ click_id }} = {{ string_literal(name) }} then {{ string_literal(rule['source']) }}
        {%- endfor %}
        when {{ is_external }} and {{ search_engine }} is not null then {{ search_engine }}
        when {{ is_external }} then {{ referrer_host }}
    end
{%- endmacro %}

{% macro rule_medium(click_id, search_engine, is_external) -%}
    case
        {%- for name, rule in var('click_ids', {}).items() %}
        when {{ click_id }} = {{ string_literal(name) }} then {{ string_literal(rule['medium']) }}
        {%- endfor %}
        when {{ is_external }} and {{ search_engine }} is not null then 'organic'
        when {{ is_external }} then 'referral'
    end
{%- endmacro %}
