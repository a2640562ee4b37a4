-- noqa: disable=LT02,LT05
{#- Free text as a published mart may show it: personal data and secrets masked.

    Source text (error messages, API paths, names, who acknowledged an alert) can quote
    a person or a credential; no published mart may hold an IP address (v4 or v6), an
    e-mail address, a bearer token, an API key or a password-like key=value. Each is
    replaced by a placeholder, the way error signatures normalize e-mails and IPv4
    addresses (METRICS.md), in this order: credentials in URLs (scheme://user:pw@),
    bearer/basic tokens, JWTs, API keys of the well-known providers, values of
    secret-looking keys (password=..., "api_key": "..."), e-mail addresses, IPv4, then
    IPv6 addresses. Matching ignores case; the text around them is kept as it is.

    RE2 patterns; `\\` in a Jinja string is one backslash in SQL, where DuckDB reads
    `\b` (a word boundary) and `\1` (a group in the replacement) as regular expressions
    do. tests/test_personal_data.py checks each on hand-made text. -#}
{% macro personal_data_masked(text) -%}
    {%- set secret_keys = 'password|passwd|pwd|pass|secret|client_secret|token|access_token'
        ~ '|refresh_token|id_token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key'
        ~ '|private[_-]?key|auth[_-]?token|session[_-]?id|sessionid' -%}
    {%- set replacements = [
        ('(?i)([a-z][a-z0-9+.-]*://)[^/@[:space:]]+@', '\\1<credentials>@'),
        ('(?i)\\b(bearer|basic)[[:space:]]+[a-z0-9._~+/=-]{8,}', '\\1 <token>'),
        ('eyJ[a-zA-Z0-9_-]+[.][a-zA-Z0-9_-]+[.][a-zA-Z0-9_-]*', '<token>'),
        ('(?i)\\b((sk|pk|rk)[-_]((live|test|proj)[-_])?[a-z0-9]{16,}|akia[0-9a-z]{16}|gh[pousr]_[a-z0-9]{20,}|xox[abprs]-[a-z0-9-]{10,}|aiza[0-9a-z_-]{30,}|glpat-[a-z0-9_-]{20,})', '<key>'),
        ('(?i)(^|[^a-z0-9])(' ~ secret_keys ~ ')(["\x27]?[[:space:]]*[:=][[:space:]]*["\x27]?)[^[:space:]"\x27&,;)}]+', '\\1\\2\\3<secret>'),
        ('(?i)[a-z0-9._%+-]+@[a-z0-9-]+([.][a-z0-9-]+)*[.][a-z]{2,}', '<email>'),
        ('[0-9]{1,3}([.][0-9]{1,3}){3}', '<ip>'),
        ('(?i)\\b([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\\b', '<ip>'),
        ('(?i)\\b([0-9a-f]{1,4}:){1,6}(:[0-9a-f]{1,4}){1,6}\\b', '<ip>'),
        ('(?i)(^|[^0-9a-z:])::(([0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})?\\b', '\\1<ip>'),
    ] -%}
    {#- What every rule above needs to match at all, checked first with one expression:
        most text (endpoint templates, names, most messages) has none of it and keeps
        its value without ten replacements (staging views mask every row before a
        partition filter can skip it: 1.5M API paths took 0.7 s, now 0.06 s). -#}
    {%- set anything_to_mask = '(?i)[@:=]|[0-9][.][0-9]|bearer|basic|eyj|[spr]k[-_]|akia'
        ~ '|gh[pousr]_|xox[abprs]-|aiza|glpat-' -%}
    {%- set expr = namespace(sql=text) -%}
    {%- for pattern, placeholder in replacements -%}
        {%- set expr.sql = "regexp_replace(" ~ expr.sql ~ ", '" ~ pattern | replace("'", "''")
            ~ "', '" ~ placeholder ~ "', 'g')" -%}
    {%- endfor -%}
    case
        when regexp_matches({{ text }}, '{{ anything_to_mask }}') then {{ expr.sql }}
        else {{ text }}
    end
{%- endmacro %}

{#- Free text with personal data and secrets removed, placeholders included: for text
    that is cut into words (review feedback into keywords), where a placeholder would
    only add words nobody wrote. -#}
{% macro personal_data_removed(text) -%}
    regexp_replace(
        {{ personal_data_masked(text) }},
        '<(credentials|token|key|secret|email|ip)>', ' ', 'g'
    )
{%- endmacro %}
