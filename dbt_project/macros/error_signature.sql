{#- The signature of an error message (METRICS.md, error_signatures_daily): lower-case;
    then replace, in this order, UUIDs, e-mail addresses, http(s) URLs, IPv4 addresses,
    hex runs of 8+ characters, single- or double-quoted strings and numbers by
    placeholders; collapse white space; trim; keep the first 200 characters.
    Patterns are RE2 and avoid backslashes so that Jinja and SQL leave them alone. -#}
{% macro error_signature(message) -%}
    {%- set replacements = [
        ('[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>'),
        ('[a-z0-9._%+-]+@[a-z0-9-]+([.][a-z0-9-]+)*[.][a-z]{2,}', '<email>'),
        ('https?://[^[:space:]]+', '<url>'),
        ('[0-9]{1,3}([.][0-9]{1,3}){3}', '<ip>'),
        ('[0-9a-f]{8,}', '<hex>'),
        ("'[^']*'|\"[^\"]*\"", '<str>'),
        ('[0-9]+([.][0-9]+)?', '<n>'),
    ] -%}
    {%- set expr = namespace(sql='lower(' ~ message ~ ')') -%}
    {%- for pattern, placeholder in replacements -%}
        {%- set expr.sql = "regexp_replace(" ~ expr.sql ~ ", '" ~ pattern | replace("'", "''")
            ~ "', '" ~ placeholder ~ "', 'g')" -%}
    {%- endfor -%}
    left(trim(regexp_replace({{ expr.sql }}, '[[:space:]]+', ' ', 'g')), 200)
{%- endmacro %}
