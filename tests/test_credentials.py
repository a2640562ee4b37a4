"""No credentials anywhere: a password in FLOWMART_SOURCE_URL is masked in everything a
refresh prints, logs or stores (Dagster's storage, runs.log, dbt's logs and artifacts,
the warehouses), whether the refresh succeeds or the source refuses it.

The source is a real PostgreSQL server (started by the tests) with a role that must
authenticate with its password, so the password really travels in the URL."""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import traceback
import zlib
from contextlib import closing, suppress
from datetime import date
from pathlib import Path

import duckdb
import pytest

from models import TABLES_BY_NAME
from orchestration.defs.dbt import dbt_process_environment, hidden_from_dbt
from orchestration.demo import generate_demo_source, write_source
from orchestration.settings import DBT_PROJECT_DIR, load_settings
from orchestration.source import SourceDatabase, SourceUnavailableError, open_source
from orchestration.source_url import (
    RedactedError,
    display_url,
    mask_url,
    parse_source_url,
    redact,
    redacted_errors,
)
from tests.conftest import Flowmart
from tests.postgres_server import PostgresServer, postgres_available

AVAILABLE, WHY_NOT = postgres_available()
if not AVAILABLE and os.environ.get("CI"):
    raise RuntimeError(f"CI must run the PostgreSQL tests: {WHY_NOT}")


def needs_postgres(test):
    return pytest.mark.postgres(pytest.mark.skipif(not AVAILABLE, reason=WHY_NOT)(test))


ROLE = "analyst"
DBT_OUTPUTS = [DBT_PROJECT_DIR / "logs", DBT_PROJECT_DIR / "target"]  # shared by every home


# -- mask_url and redact: known answers ----------------------------------------------
@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("postgresql://u:pw@db.example:5432/app", "postgresql://u:***@db.example:5432/app"),
        ("postgres://u:p%40ss%2Fw@h/app", "postgres://u:***@h/app"),
        ("postgresql://:pw@h/app", "postgresql://:***@h/app"),
        ("postgresql://u:@h/app", "postgresql://u:***@h/app"),
        ("postgresql://u:p@ss@h/app", "postgresql://u:***@h/app"),  # unencoded @ in it
        ("postgresql://u@h/app", "postgresql://u@h/app"),
        ("postgresql://h/app", "postgresql://h/app"),
        ("postgresql://u@h:5432/app?password=pw", "postgresql://u@h:5432/app?password=***"),
        (
            "postgresql://h/app?user=u&password=p%26w&sslmode=require",
            "postgresql://h/app?user=u&password=***&sslmode=require",
        ),
        (
            "postgresql://h/app?sslpassword=k&pass%77ord=pw",
            "postgresql://h/app?sslpassword=***&pass%77ord=***",
        ),
        ("postgresql://h/app?passfile=/p/.pgpass", "postgresql://h/app?passfile=/p/.pgpass"),
        ("host=h user=u password=pw dbname=app", "host=h user=u password=*** dbname=app"),
        ("password = pw host=h", "password = *** host=h"),
        (r"host=h password='p w\'x' dbname=app", "host=h password=*** dbname=app"),
        ("password=pw", "password=***"),
        ("host=h passfile=/p/.pgpass", "host=h passfile=/p/.pgpass"),
        (
            'cannot connect to "postgresql://u:pw@h/app": refused (user "u")',
            'cannot connect to "postgresql://u:***@h/app": refused (user "u")',
        ),
        ("sqlite:////data/demo.sqlite", "sqlite:////data/demo.sqlite"),
        ("", ""),
    ],
)
def test_mask_url(text, masked):
    assert mask_url(text) == masked
    assert mask_url(masked) == masked


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:Qx7@Zk4@h/app",  # libpq: password Qx7, host Zk4@h
        "postgresql://u:Qx7/Zk4@h/app",  # libpq: host u, port Qx7
        "postgresql://u:Qx7/Zk4?x@h/app",
        "postgresql://u:Qx7 Zk4@h/app",
        "postgresql://u:Qx7Zk4@h/app@x",
    ],
)
def test_a_url_libpq_would_cut_elsewhere_is_refused_unseen(url):
    with pytest.raises(ValueError, match="percent-encode") as error:
        parse_source_url(url)
    assert "Qx7" not in str(error.value) and "Zk4" not in str(error.value)
    assert display_url(url) == "postgresql://(malformed URL, not shown)"


def test_unusual_but_unambiguous_urls_are_accepted():
    url = "postgresql://u:Qx7?Zk4#@h/app?sslmode=require&application_name=a@b"
    assert parse_source_url(url) == ("postgresql", url)
    assert display_url(url) == "postgresql://u:***@h/app?sslmode=require&application_name=a@b"
    url = "postgresql://h:5432/app?user=me@corp"
    assert parse_source_url(url) == ("postgresql", url)
    assert display_url(url) == url


def test_settings_do_not_show_the_password(monkeypatch):
    monkeypatch.setenv("FLOWMART_SOURCE_URL", "postgresql://u:Qx7Zk4@h/app")
    assert "postgresql://u:***@h/app" in repr(load_settings())
    assert "Qx7Zk4" not in repr(load_settings())


def test_redacted_errors_replace_only_what_shows_the_password():
    url = "postgresql://u:Qx7Zk4@h/app"
    with pytest.raises(RedactedError, match=r"^ValueError: no \*\*\* here$"), redacted_errors(url):
        raise ValueError("no Qx7Zk4 here")
    with pytest.raises(RedactedError) as error, redacted_errors(url):
        try:
            raise OSError("postgresql://u:Qx7Zk4@h/app is down")
        except OSError as exc:
            raise KeyError("table") from exc
    assert "Qx7Zk4" not in "".join(traceback.format_exception(error.value))
    assert str(error.value) == "KeyError: 'table'"
    with pytest.raises(KeyError) as error, redacted_errors(url):
        raise KeyError("nothing secret")
    assert error.value.__traceback__ is not None


def test_redact_removes_the_urls_password_wherever_it_appears():
    url = "postgresql://u:S3cr%2Ft@h/app?sslpassword=k3y"
    message = "auth failed for S3cr/t (encoded S3cr%2Ft), key k3y, at postgresql://u:S3cr%2Ft@h"
    assert (
        redact(message, url)
        == "auth failed for *** (encoded ***), key ***, at postgresql://u:***@h"
    )
    assert redact("nothing secret here", url) == "nothing secret here"
    assert redact("pw is not in this", "sqlite:////tmp/x.sqlite") == "pw is not in this"


# -- end to end ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def source():
    frames = generate_demo_source(days=1, executions_per_day=40, seed=3, end_date=date(2026, 3, 4))
    with PostgresServer() as server:
        write_source(frames, server.url)
        password = f"S3cr3t-Pa55-{secrets.token_hex(8)}"
        yield server, server.add_password_role(ROLE, password), password


@needs_postgres
def test_driver_errors_do_not_show_the_password(source):
    server, url, password = source
    # libpq quotes a token it cannot percent-decode: here, the whole password
    with pytest.raises(SourceUnavailableError) as error:
        SourceDatabase(url.replace(password, f"{password}%zz"))
    shown = "".join(traceback.format_exception(error.value))
    assert "invalid percent-encoded token" in shown
    assert f"cannot connect to the source postgresql://{ROLE}:***@127.0.0.1:{server.port}/" in shown
    assert password not in shown
    with pytest.raises(RedactedError) as error:  # the demo writer, on the same URL
        write_source({}, url.replace(password, f"{password}%zz"))
    assert password not in "".join(traceback.format_exception(error.value))


@needs_postgres
def test_errors_while_the_source_is_read_do_not_show_the_password(source):
    _, url, password = source
    with (
        pytest.raises(RedactedError, match=r"lost postgresql://analyst:\*\*\*@") as error,
        open_source(url) as database,
        database.read_changes(TABLES_BY_NAME["plan"], None),
    ):
        raise duckdb.IOException(f"lost {url}")  # as DuckDB reading the stream might
    assert password not in "".join(traceback.format_exception(error.value))


def _sqlite_hits(path: Path, secret: bytes) -> list[str]:
    """Text and blobs (zlib-compressed ones decompressed: Dagster's snapshots) of every
    table of a SQLite file that contain the secret."""
    hits = []
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    data = value.encode() if isinstance(value, str) else value
                    if not isinstance(data, bytes):
                        continue
                    with suppress(zlib.error):
                        data += zlib.decompress(data)
                    if secret in data:
                        hits.append(f"{path} table {table}")
    return hits


def _duckdb_hits(path: Path, secret: str) -> list[str]:
    """Rows and view definitions of a DuckDB file that contain the secret (DuckDB
    compresses strings on disk, so the file's bytes alone prove nothing)."""
    hits = []
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.sql(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = current_database()"
        ).fetchall()
        for schema, table in tables:
            (count,) = con.execute(
                f'SELECT count(*) FROM "{schema}"."{table}" t '
                "WHERE contains(CAST(t AS VARCHAR), ?)",
                [secret],
            ).fetchone()
            if count:
                hits.append(f"{path} table {schema}.{table}")
        (views,) = con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE contains(sql, ?)", [secret]
        ).fetchone()
        if views:
            hits.append(f"{path} views")
    return hits


def files_containing(roots: list[Path], secret: str) -> list[str]:
    """Every file under `roots` whose bytes, SQLite tables or DuckDB tables hold `secret`."""
    needle = secret.encode()
    hits = []
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            data = path.read_bytes()
            if needle in data:
                hits.append(str(path))
            elif data.startswith(b"SQLite format 3\0"):
                hits += _sqlite_hits(path, needle)
            elif path.suffix == ".duckdb":
                hits += _duckdb_hits(path, secret)
    return hits


@needs_postgres
def test_the_password_is_in_no_output_log_or_file(source, tmp_path, monkeypatch, capfd, caplog):
    server, url, password = source
    wrong_password = f"Wr0ng-Pa55-{secrets.token_hex(8)}"
    address = f"127.0.0.1:{server.port}"
    home = tmp_path / "home"
    caplog.set_level(logging.DEBUG)
    printed = []

    def flowmart(source_url: str, *args: str) -> tuple[int, str, str]:
        # capfd, not capsys: dbt and other subprocesses write to the file descriptors
        code, out, err = Flowmart(home, source_url, monkeypatch, capfd).run(*args)
        printed.extend([out, err])
        return code, out, err

    code, out, err = flowmart(url, "refresh")
    assert code == 0, err
    assert f"source     postgresql://{ROLE}:***@{address}/flowmart" in out
    assert "published  marts.workflow_runs_daily" in out
    code, out, _ = flowmart(url, "status")
    assert code == 0
    assert f"source      postgresql://{ROLE}:***@{address}/flowmart" in out
    published = (home / "published" / "flowmart.duckdb").read_bytes()

    # A database that does not exist: a clear error naming the (masked) source.
    code, _, err = flowmart(url.replace(f"{address}/flowmart", f"{address}/no_such_db"), "refresh")
    assert code == 1
    masked = f"postgresql://{ROLE}:***@{address}/no_such_db"
    assert f"cannot connect to the source {masked}" in err, err
    assert 'database "no_such_db" does not exist' in err
    assert "NOT published" in err

    # A wrong password: the server refuses it, and neither password is shown.
    code, _, err = flowmart(url.replace(password, wrong_password), "refresh")
    assert code == 1
    assert f"cannot connect to the source postgresql://{ROLE}:***@{address}/flowmart" in err, err
    assert f'password authentication failed for user "{ROLE}"' in err

    # A password libpq cannot percent-decode: it quotes the password in its error.
    code, _, err = flowmart(url.replace(password, f"{password}%zz"), "refresh")
    assert code == 1
    assert f"cannot connect to the source postgresql://{ROLE}:***@{address}/flowmart" in err, err
    assert 'invalid percent-encoded token: "***"' in err
    assert (home / "published" / "flowmart.duckdb").read_bytes() == published

    logged = [f"{record.getMessage()}\n{record.exc_text or ''}" for record in caplog.records]
    dagster_storage = home / "dagster"
    assert any(p.suffix == ".db" for p in dagster_storage.rglob("*")), "no Dagster storage?"
    assert (home / "logs" / "runs.log").stat().st_size > 0
    for secret in (password, wrong_password):
        assert not [text for text in printed if secret in text], "printed"
        assert not [text for text in logged if secret in text], "logged"
        assert files_containing([home, *DBT_OUTPUTS], secret) == []


def test_dbt_never_gets_the_source_url(monkeypatch, tmp_path):
    """dbt reads the working warehouse only: neither a dbt process (dbt parse) nor the
    in-process dbt run has the source URL, with its password, in its environment."""
    url = "postgresql://analyst:Pg-s3cret@db.example.com:5432/platform"
    monkeypatch.setenv("FLOWMART_SOURCE_URL", url)
    monkeypatch.setenv("FLOWMART_HOME", str(tmp_path))
    env = dbt_process_environment(load_settings())
    assert "FLOWMART_SOURCE_URL" not in env
    assert env["FLOWMART_WORK_DB"] == str(load_settings().work_db)
    assert not any("s3cret" in value for value in env.values())
    with hidden_from_dbt():
        assert "FLOWMART_SOURCE_URL" not in os.environ
        assert load_settings().source_url != url
    assert os.environ["FLOWMART_SOURCE_URL"] == url  # the run's other steps still have it
