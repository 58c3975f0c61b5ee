{#- Convert an integer amount in cents to a numeric amount in the currency unit. -#}
{% macro cents_to_dollars(column_name, scale=2) -%}
    round(({{ column_name }} / 100.0)::numeric, {{ scale }})
{%- endmacro %}
