"""No personal data or secret in any published mart (issue 13).

Unit: the dbt macros that mask personal data and make error signatures, run in DuckDB
on hand-made messages with known answers, agree with the independent scanners of
tests/text_rules.py. End to end: a source seeded with IP addresses (v4 and v6),
e-mail addresses, bearer tokens, API keys, passwords and URL credentials in error
messages, node outputs, review comments, log lines, API paths and every other free-text
column is refreshed with the real CLI, and every text column of every published mart,
in the DuckDB file and in the Parquet files, is scanned for them.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import jinja2
import polars as pl
import pytest

from orchestration.demo import generate_demo_source, write_source
from orchestration.settings import DBT_PROJECT_DIR
from tests.text_rules import mask_personal_data, remove_personal_data, signature

MACROS = ("personal_data.sql", "error_signature.sql")
MARKER = "--expression--"


def macro_sql(call: str) -> str:
    """The SQL a macro call renders to (the macros use plain Jinja only)."""
    source = "".join((DBT_PROJECT_DIR / "macros" / name).read_text() for name in MACROS)
    template = source + MARKER + "{{ " + call + " }}"
    rendered = jinja2.Environment().from_string(template).render()
    return rendered.split(MARKER, 1)[1]


def in_duckdb(call: str, texts: list[str | None]) -> list[str | None]:
    sql = macro_sql(call)
    con = duckdb.connect()
    return [con.execute(f"SELECT {sql} FROM (SELECT ? AS msg)", [t]).fetchone()[0] for t in texts]


MASKED = {  # message -> as a published mart may show it
    "connect ECONNREFUSED 10.107.167.138:5432": "connect ECONNREFUSED <ip>:5432",
    "token of Kenji.Mueller@harbourdental.com.au expired": "token of <email> expired",
    "Authorization: Bearer abcDEF123456789xyz failed": "Authorization: Bearer <token> failed",
    "basic dXNlcjpwYXNzd29yZA== rejected": "basic <token> rejected",
    "GET https://bob:hunter2@api.example.com/v1?api_key=sk_live_abcdefghijklmnop1234&x=1": (
        "GET https://<credentials>@api.example.com/v1?api_key=<secret>&x=1"
    ),
    'config {"password": "s3cr3t!", "user": "ann"}': (
        'config {"password": "<secret>", "user": "ann"}'
    ),
    "DB_PASSWORD=hunter2; retry": "DB_PASSWORD=<secret>; retry",
    "compass: north, bypass=ok": "compass: north, bypass=ok",
    "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc_def-ghi rejected": "jwt <token> rejected",
    "AWS key AKIAIOSFODNN7EXAMPLE denied": "AWS key <key> denied",
    "keys sk-proj-ABCDEFGHIJKLMNOPQRSTUV ghp_abcdefghijklmnopqrstuvwxyz0123": "keys <key> <key>",
    "slack xoxb-1234567890-abcdef gave 403": "slack <key> gave 403",
    "host fe80::1ff:fe23:4567:890a down": "host <ip> down",
    "from 2001:0db8:85a3:0000:0000:8a2e:0370:7334 and [::1]:80": "from <ip> and [<ip>]:80",
    "std::vector at 12:30:45, SMTP 5.1.1": "std::vector at 12:30:45, SMTP 5.1.1",
    "Request to https://b.io/y failed with status 502": (
        "Request to https://b.io/y failed with status 502"
    ),
}

SIGNATURES = {  # message -> its error signature (METRICS.md, secrets masked first)
    "Request to https://a.io/x/1 failed with status 503": "request to <url> failed with status <n>",
    "Key 'x' of 0A1B2C3D-0000-4000-8000-00000000ABCD owned by Ann@Example.com": (
        "key <str> of <uuid> owned by <email>"
    ),
    "connect ECONNREFUSED 52.190.194.245:443": "connect econnrefused <ip>:<n>",
    "  Hash deadbeef00 and  1234.1.1.1  ": "hash <hex> and <n><ip>",
    "Expected \"a\" got 'b', 3.5 s": "expected <str> got <str>, <n> s",
    "401 from fe80::1 for Bearer abcDEF0123456789 (password=hunter2)": (
        "<n> from <ip> for bearer <token> (password=<secret>)"
    ),
    "x" * 250: "x" * 200,
}


def test_the_masking_macro_and_the_independent_scanners_agree_on_known_answers():
    messages = [*MASKED, None]
    assert in_duckdb("personal_data_masked('msg')", messages) == [*MASKED.values(), None]
    assert [mask_personal_data(m) for m in messages] == [*MASKED.values(), None]


def test_signatures_mask_secrets_first_and_match_the_independent_scanners():
    messages = [*SIGNATURES, None]
    assert in_duckdb("error_signature('msg')", messages) == [*SIGNATURES.values(), None]
    assert [signature(m) for m in messages] == [*SIGNATURES.values(), None]


def test_removed_personal_data_leaves_no_placeholder_word():
    text = "Send it to ann@example.com, password=hunter2 please"
    [removed] = in_duckdb("personal_data_removed('msg')", [text])
    assert removed == remove_personal_data(text) == "Send it to  , password=  please"


# -- end to end -----------------------------------------------------------------------
IPV4, IPV6, EMAIL = "10.20.30.40", "2001:db8:85a3::8a2e:370:7334", "jane.doe@example.org"
TOKEN, API_KEY, PASSWORD = "abcDEF0123456789ghij", "sk_live_ZYXWVUTSRQPONMLK9876", "Hunter2Pass"
SECRETS = (IPV4, IPV6, EMAIL, TOKEN, API_KEY, PASSWORD, "bob:pw77@")
SEEDED = (
    f"Call from {IPV4} / {IPV6} for {EMAIL} with Bearer {TOKEN} "
    f"and api_key={API_KEY} password={PASSWORD} via https://bob:pw77@db.internal/x"
)
# What any leak looks like, independently of what was seeded.
LEAKS = {
    "IPv4 address": re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])"),
    "IPv6 address": re.compile(r"(?i)(?<![\w:])[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])"),
    "e-mail address": re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE),
    "bearer token": re.compile(r"(?i)\bbearer\s+(?!<token>)\S{6,}"),
    "API key": re.compile(r"\b(?:sk|pk)_(?:live|test)_\w{8,}|\bAKIA[0-9A-Z]{16}\b"),
    "password-like key=value": re.compile(
        r"(?i)(?:password|passwd|secret|api_key|token)[\"']?\s*[:=]\s*[\"']?(?!<secret>)[^\s\"'<&]+"
    ),
    "URL credentials": re.compile(r"://[^/\s@<]+@"),
}


@pytest.fixture(scope="module")
def seeded_build(tmp_path_factory) -> Path:
    """A small generated source whose every free-text column quotes personal data and
    secrets, refreshed by the real CLI into a fresh home."""
    frames = generate_demo_source(days=2, executions_per_day=60, seed=13, end_date=date(2026, 3, 4))
    seeded = pl.lit(SEEDED)
    frames["node_instance"] = frames["node_instance"].with_columns(
        pl.when(pl.col("status_cd") == 7)
        .then(seeded)
        .otherwise(pl.col("error_details"))
        .alias("error_details"),
        pl.lit(f'{{"message": "{SEEDED}"}}').alias("output"),
    )
    frames["review_task"] = frames["review_task"].with_columns(
        pl.when(pl.col("status").is_in(["revision_requested", "rejected"]))
        .then(seeded)
        .otherwise(pl.col("feedback"))
        .alias("feedback")
    )
    frames["execution_log"] = frames["execution_log"].with_columns(seeded.alias("message"))
    frames["api_key_usage"] = frames["api_key_usage"].with_columns(
        (pl.col("endpoint") + f"/{EMAIL}?api_key={API_KEY}&from={IPV4}").alias("endpoint"),
        seeded.alias("error_message"),
    )
    frames["alert_acknowledgement"] = frames["alert_acknowledgement"].with_columns(
        pl.lit(EMAIL).alias("acknowledged_by"), seeded.alias("note")
    )
    frames["workflow"] = frames["workflow"].with_columns(
        (pl.col("name") + f" for {EMAIL}").alias("name")
    )
    frames["process_instance"] = frames["process_instance"].with_columns(
        (pl.col("process_name") + f" for {EMAIL}").alias("process_name")
    )
    frames["organization"] = frames["organization"].with_columns(
        (pl.col("name") + f" ({EMAIL}, {IPV4})").alias("name")
    )
    root = tmp_path_factory.mktemp("seeded")
    url = f"sqlite:///{root / 'source.sqlite'}"
    write_source(frames, url)
    return root, url


def published_texts(home: Path) -> dict[tuple[str, str, str], list[str]]:
    """(where, mart, column) -> the values of every text column of every published mart,
    in the DuckDB file and in the Parquet files."""
    texts = {}
    published = home / "published"
    with duckdb.connect(str(published / "flowmart.duckdb"), read_only=True) as con:
        columns = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE schema_name = 'marts' AND data_type = 'VARCHAR'"
        ).fetchall()
        for mart, column in columns:
            values = con.execute(f'SELECT DISTINCT "{column}" FROM marts.{mart}').fetchall()
            texts[("duckdb", mart, column)] = [v for (v,) in values if v is not None]
            parquet = published / "parquet" / f"{mart}.parquet"
            values = con.execute(f"SELECT DISTINCT \"{column}\" FROM '{parquet}'").fetchall()
            texts[("parquet", mart, column)] = [v for (v,) in values if v is not None]
    return texts


def test_no_published_text_column_holds_personal_data_or_a_secret(seeded_build, make_flowmart):
    root, url = seeded_build
    flowmart = make_flowmart(url, root / "home")
    code, out, err = flowmart.run("refresh")
    assert code == 0, out + err
    texts = published_texts(flowmart.home)
    assert any(where == "parquet" for where, _, _ in texts)
    leaks = [
        (where, mart, column, kind, value)
        for (where, mart, column), values in texts.items()
        for value in values
        for kind, pattern in LEAKS.items()
        if pattern.search(value)
    ]
    leaks += [
        (where, mart, column, "seeded secret", value)
        for (where, mart, column), values in texts.items()
        for value in values
        if any(secret.lower() in value.lower() for secret in SECRETS)
    ]
    assert leaks == []
    # the seeded text did reach the marts, masked
    samples = texts[("duckdb", "error_signatures_daily", "sample_message")]
    assert mask_personal_data(SEEDED) in samples
    assert "<email>" in " ".join(texts[("duckdb", "api_usage_daily", "endpoint")])
    assert "<email>" in texts[("duckdb", "alert_events", "acknowledged_by")]
    assert any("<email>" in name for name in texts[("duckdb", "fct_executions", "workflow_name")])
