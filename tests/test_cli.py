"""The `flowmart` command line: help, status, bad arguments, masked credentials."""

import subprocess
import sys

from tests.sources import create_sqlite_source, execution


def test_help_lists_the_commands():
    out = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for command in ("demo", "refresh", "backfill", "status"):
        assert command in out
    backfill = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "backfill", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--start" in backfill and "--end" in backfill


def test_backfill_rejects_bad_dates(make_flowmart, tmp_path):
    flowmart = make_flowmart(create_sqlite_source(tmp_path / "s.sqlite"))
    code, _, err = flowmart.run("backfill", "--start", "2026-03-05", "--end", "2026-03-01")
    assert code == 2 and "--end is before --start" in err


def test_status_before_any_refresh(make_flowmart, tmp_path):
    flowmart = make_flowmart(create_sqlite_source(tmp_path / "s.sqlite"))
    code, out, _ = flowmart.run("status")
    assert code == 0 and "no refresh has run yet" in out


def test_refresh_status_and_backfill(make_flowmart, tmp_path):
    """A refresh publishes; status shows the watermarks it committed; a backfill
    rebuilds from raw history alone (the source may be gone) and publishes the same."""
    source = tmp_path / "s.sqlite"
    flowmart = make_flowmart(
        create_sqlite_source(
            source,
            {
                "process_instance": [
                    execution("e1", "2026-03-01T10:00:00Z", "2026-03-01T10:00:02Z"),
                ]
            },
        )
    )
    code, out, err = flowmart.run("refresh")
    assert code == 0, err
    assert "published  marts.fct_executions" in out
    code, out, _ = flowmart.run("status")
    assert code == 0
    assert "process_instance" in out and "2026-03-01 10:00:02" in out
    source.unlink()
    code, out, err = flowmart.run("backfill", "--start", "2026-03-01", "--end", "2026-03-01")
    assert code == 0, err
    assert "published  marts.fct_executions" in out


def test_password_in_source_url_is_never_printed(make_flowmart):
    flowmart = make_flowmart("postgresql://analyst:s3cret-pw@127.0.0.1:1/nowhere")
    code, out, err = flowmart.run("refresh")
    assert code == 1
    assert "s3cret-pw" not in out + err
    assert "analyst:***@" in out
