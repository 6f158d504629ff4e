{#- The filter of models/core/sessions.sql's CTEs over core.session_aggregates (aliased
    session_aggregates): the sessions of the touched visitors. In a partition run (a tail), those
    from `from_date` on, joined with the model's visitor_scope CTE: every session of a visitor
    whose whole history the run rewrites and, with_last_login, the visitor's last login before. -#}
{% macro sessions_in_scope(tail, from_date, condition=none, with_last_login=false) %}
    {%- if tail is not none %}
    inner join visitor_scope on session_aggregates.visitor_key = visitor_scope.visitor_key
    where
        {% if condition %}{{ condition }} and {% endif %}(
            visitor_scope.is_whole_history
            or session_aggregates.session_date >= {{ date_literal(from_date) }}
            {%- if with_last_login %}
            or {{ epoch_micros('session_aggregates.session_start') }} = visitor_scope.last_login_before_context_micros
            {%- endif %}
        )
    {%- else %}
    where {% if condition %}{{ condition }} and {% endif %}{{ is_touched_visitor() }}
    {%- endif %}
{%- endmacro %}
