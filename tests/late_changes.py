"""Source changes made after a first refresh of the shared demo source (tests/oracle.py,
`DemoBuilds`): every mart oracle module is checked once more after a second, incremental
refresh of all of them together. Each function takes the source frames and returns them
with its own tables changed; `LATE_CHANGES` names the tables each one changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import polars as pl

from tests.oracle import END, Frames


def late_run_changes(frames: Frames) -> Frames:
    """Run, node, log and local-time marts (tests/test_run_marts.py): an execution whose
    start_time is corrected into the previous month, a waiting execution that completes,
    an organization that changes its time zone (marks no day), and a late ERROR log line."""
    executions, logs = frames["process_instance"], frames["execution_log"]
    late = max(executions["updated_at"].max(), logs["created_at"].max()) + timedelta(hours=1)
    moved = executions.filter(
        (pl.col("state_cd") == 4) & (pl.col("start_time").dt.date() == date(2026, 3, 8))
    )["id"].min()
    waiting = executions.filter(pl.col("state_cd") == 2)["id"].min()
    assert moved is not None and waiting is not None
    is_moved, is_waiting = pl.col("id") == moved, pl.col("id") == waiting
    executions = executions.with_columns(
        pl.when(is_moved)
        .then(pl.col("start_time") - timedelta(days=10))
        .otherwise(pl.col("start_time"))
        .alias("start_time"),
        pl.when(is_moved)
        .then(pl.col("end_time") - timedelta(days=10))
        .when(is_waiting)
        .then(pl.col("start_time") + timedelta(seconds=5))
        .otherwise(pl.col("end_time"))
        .alias("end_time"),
        pl.when(is_waiting).then(4).otherwise(pl.col("state_cd")).cast(pl.Int16).alias("state_cd"),
        pl.when(is_moved | is_waiting)
        .then(late)
        .otherwise(pl.col("updated_at"))
        .alias("updated_at"),
    )
    organizations = frames["organization"]
    org = organizations["id"].min()
    organizations = organizations.with_columns(
        pl.when(pl.col("id") == org)
        .then(pl.lit("Asia/Kolkata"))
        .otherwise(pl.col("timezone"))
        .alias("timezone"),
        pl.when(pl.col("id") == org).then(late).otherwise(pl.col("updated_at")).alias("updated_at"),
    )
    line = logs.head(1).with_columns(
        pl.lit(logs["id"].max() + 1, dtype=logs["id"].dtype).alias("id"),
        pl.lit(moved).alias("process_instance_id"),
        pl.lit(executions.filter(is_moved)["organization_id"][0]).alias("organization_id"),
        pl.lit(None, dtype=pl.String).alias("node_id"),
        pl.lit("ERROR").alias("level"),
        pl.lit("late line").alias("message"),
        pl.lit(late).alias("created_at"),
    )
    return {
        **frames,
        "process_instance": executions,
        "organization": organizations,
        "execution_log": pl.concat([logs, line]),
    }


def late_review_changes(frames: Frames) -> Frames:
    """Review marts (tests/test_review_marts.py): a pending task decided late as
    revision_requested with new feedback, a decided task whose decided_at is corrected
    into the previous month (it leaves its day and month), and an approved round-1 task
    corrected to rejected."""
    reviews = frames["review_task"]
    late = reviews["updated_at"].max() + timedelta(hours=1)
    pending = reviews.filter(pl.col("status") == "pending")["id"].min()
    moved = reviews.filter(
        (pl.col("status") == "revision_requested") & (pl.col("decided_at").dt.date() == END)
    )["id"].min()
    flipped = reviews.filter(
        (pl.col("status") == "approved") & (pl.col("round") == 1) & (pl.col("id") != moved)
    )["id"].min()
    assert pending is not None and moved is not None and flipped is not None
    is_pending, is_moved = pl.col("id") == pending, pl.col("id") == moved
    is_flipped = pl.col("id") == flipped
    reviews = reviews.with_columns(
        pl.when(is_pending)
        .then(pl.lit("revision_requested"))
        .when(is_flipped)
        .then(pl.lit("rejected"))
        .otherwise(pl.col("status"))
        .alias("status"),
        pl.when(is_pending)
        .then(pl.lit("Late: the Tone tone is wrong, café 42 x2y"))
        .when(is_flipped)
        .then(pl.lit("Rejected after audit; wrong pricing."))
        .otherwise(pl.col("feedback"))
        .alias("feedback"),
        pl.when(is_pending)
        .then(late)
        .when(is_moved)
        .then(pl.col("created_at") - timedelta(days=12))
        .otherwise(pl.col("decided_at"))
        .alias("decided_at"),
        pl.when(is_moved)
        .then(pl.col("created_at") - timedelta(days=12, hours=1))
        .otherwise(pl.col("created_at"))
        .alias("created_at"),
        pl.when(is_pending | is_moved | is_flipped)
        .then(late)
        .otherwise(pl.col("updated_at"))
        .alias("updated_at"),
    )
    return {**frames, "review_task": reviews}


def late_usage_rows(frames: Frames) -> Frames:
    """API and AI usage marts (tests/test_usage_marts.py): new append-only rows, API
    requests and AI calls one second after the latest ones (their day is rebuilt whole),
    one of them from a new caller address, one listing a tool twice."""
    usage, calls = frames["api_key_usage"], frames["ai_execution_history"]
    late_usage = usage.tail(3).with_columns(
        (pl.col("id") + usage["id"].max()).alias("id"),
        pl.Series("status_code", [503, 404, 200], dtype=usage["status_code"].dtype),
        pl.Series("ip_address", ["203.0.113.77", None, "203.0.113.77"], dtype=pl.String),
        pl.lit(usage["created_at"].max() + timedelta(seconds=1)).alias("created_at"),
    )
    late_calls = calls.tail(2).with_columns(
        (pl.col("id") + "_late").alias("id"),
        pl.Series("tools_used", ['["web_search","web_search"]', None], dtype=pl.String),
        pl.Series("success", [False, True]),
        pl.lit(calls["created_at"].max() + timedelta(seconds=1)).alias("created_at"),
    )
    return {
        **frames,
        "api_key_usage": pl.concat([usage, late_usage]),
        "ai_execution_history": pl.concat([calls, late_calls]),
    }


LATE_CHANGES: list[tuple[Callable[[Frames], Frames], tuple[str, ...]]] = [
    (late_run_changes, ("process_instance", "organization", "execution_log")),
    (late_review_changes, ("review_task",)),
    (late_usage_rows, ("api_key_usage", "ai_execution_history")),
]


def all_late_changes(frames: Frames) -> tuple[Frames, tuple[str, ...]]:
    """(frames, changed tables) after every function of LATE_CHANGES, applied in turn
    (each to the previous one's result, so two changing one table would compose). Each
    must change no table it does not declare: only declared tables are rewritten in the
    source, so an undeclared change would reach the oracles but not the refresh."""
    changed: list[str] = []
    for change, tables in LATE_CHANGES:
        after = change(frames)
        assert after.keys() == frames.keys(), change.__name__
        undeclared = [
            name for name in frames if name not in tables and after[name] is not frames[name]
        ]
        assert not undeclared, f"{change.__name__} changes undeclared {undeclared}"
        frames = after
        changed += [name for name in tables if name not in changed]
    return frames, tuple(changed)
