{#- The signature of an error message (METRICS.md, error_signatures_daily): lower-case;
    then replace, in this order, UUIDs, e-mail addresses, http(s) URLs, IPv4 addresses,
    hex runs of 8+ characters, single- or double-quoted strings and numbers by
    placeholders; collapse white space; trim; keep the first 200 characters.
    Personal data and secrets are masked first (macros/personal_data.sql): a message
    without them has exactly the signature METRICS.md defines; one with a token, an API
    key, a password-like key=value or an IPv6 address has them as placeholders too,
    never as fragments (the letters of a token would survive the rules above).
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
    {%- set expr = namespace(sql='lower(' ~ personal_data_masked(message) ~ ')') -%}
    {%- for pattern, placeholder in replacements -%}
        {%- set expr.sql = "regexp_replace(" ~ expr.sql ~ ", '" ~ pattern | replace("'", "''")
            ~ "', '" ~ placeholder ~ "', 'g')" -%}
    {%- endfor -%}
    left(trim(regexp_replace({{ expr.sql }}, '[[:space:]]+', ' ', 'g')), 200)
{%- endmacro %}
