"""Review marts end to end: a generated source, a real `flowmart refresh`, and every row
and column of review_daily and feedback_keywords_monthly compared with an independent
polars implementation of METRICS.md (floats with relative tolerance 1e-6)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tests.oracle import assert_same, read_mart
from tests.text_rules import remove_personal_data

DECIDED = ("approved", "revision_requested", "rejected")
STOP_WORDS = (
    Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "english_stop_words.csv"
)


def decided_reviews(frames) -> pl.DataFrame:
    """Decided tasks with their execution's organization and workflow (reviews of
    unknown executions left out), the UTC day of decided_at and the turnaround."""
    executions = frames["process_instance"].select(
        pl.col("id").alias("process_instance_id"),
        pl.col("organization_id").alias("org_id"),
        pl.col("process_meta_id").alias("workflow_id"),
    )
    return (
        frames["review_task"]
        .filter(pl.col("status").is_in(DECIDED) & pl.col("decided_at").is_not_null())
        .join(executions, on="process_instance_id", how="inner")
        .with_columns(
            pl.col("decided_at").dt.convert_time_zone("UTC").dt.date().alias("day"),
            ((pl.col("decided_at") - pl.col("created_at")).dt.total_microseconds() / 1e6).alias(
                "turnaround_s"
            ),
        )
    )


def expected_review_daily(frames) -> pl.DataFrame:
    first = (pl.col("round") == 1) & pl.col("subject_id").is_not_null()
    first_approved = first & (pl.col("status") == "approved")
    return (
        decided_reviews(frames)
        .group_by("org_id", "workflow_id", "day")
        .agg(
            pl.len().alias("decided"),
            (pl.col("status") == "approved").sum().alias("approved"),
            (pl.col("status") == "revision_requested").sum().alias("revision_requested"),
            (pl.col("status") == "rejected").sum().alias("rejected"),
            pl.col("subject_id").filter(first).n_unique().alias("first_pass_subjects"),
            pl.col("subject_id").filter(first_approved).n_unique().alias("first_pass_approved"),
            pl.col("turnaround_s").mean().alias("avg_turnaround_s"),
            pl.col("turnaround_s").quantile(0.5, "linear").alias("p50_turnaround_s"),
            pl.col("turnaround_s").quantile(0.9, "linear").alias("p90_turnaround_s"),
        )
        .with_columns(
            pl.when(pl.col("first_pass_subjects") > 0)
            .then(pl.col("first_pass_approved") / pl.col("first_pass_subjects"))
            .alias("first_pass_approval_rate")
        )
    )


def expected_feedback_keywords(frames) -> pl.DataFrame:
    stop_words = pl.read_csv(STOP_WORDS, schema={"word": pl.String})["word"]
    tokens = (
        decided_reviews(frames)
        .filter(pl.col("status").is_in(("revision_requested", "rejected")))
        .select(
            "id",
            "org_id",
            "workflow_id",
            pl.col("day").dt.truncate("1mo").alias("month"),
            pl.col("feedback")
            .map_elements(remove_personal_data, return_dtype=pl.String)
            .str.to_lowercase()
            .str.extract_all(r"[\p{L}\p{Nd}]+")
            .alias("keyword"),
        )
        .explode("keyword")
        .filter(
            (pl.col("keyword").str.len_chars() >= 3)
            & ~pl.col("keyword").str.contains(r"^\p{Nd}+$")
            & ~pl.col("keyword").is_in(stop_words.implode())
        )
    )
    return (
        tokens.group_by("org_id", "workflow_id", "month", "keyword")
        .agg(pl.len().alias("mentions"), pl.col("id").n_unique().alias("reviews_mentioning"))
        .sort(["mentions", "keyword"], descending=[True, False])
        .with_columns(
            pl.int_range(1, pl.len() + 1).over("org_id", "workflow_id", "month").alias("rank")
        )
    )


def test_review_daily(built):
    frames, published = built
    expected = expected_review_daily(frames)
    assert expected.height > 0 and expected["first_pass_approval_rate"].null_count() > 0
    actual = read_mart(published, "review_daily")
    assert_same(actual, expected, ["org_id", "workflow_id", "day"])


def test_feedback_keywords_monthly(built):
    frames, published = built
    expected = expected_feedback_keywords(frames)
    assert expected.height > 0 and expected["month"].n_unique() >= 1
    actual = read_mart(published, "feedback_keywords_monthly")
    assert_same(actual, expected, ["org_id", "workflow_id", "month", "keyword"])


def test_stop_words_are_the_published_list():
    words = pl.read_csv(STOP_WORDS, schema={"word": pl.String})["word"]
    assert words.len() == words.n_unique() == 317
    assert {"the", "and", "please", "none", "off", "no one"} <= set(words)
    assert words.to_list() == sorted(words.to_list())
