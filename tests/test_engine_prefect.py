"""Prefect's own databases as sources, end to end
(Prefect 3 and 2 on SQLite, Prefect 3 on PostgreSQL): the marts of a
refresh compared with what Prefect itself said of the runs (tests/engine_cases.py)."""

from tests.engine_cases import (  # noqa: F401  (the shared tests, collected here)
    engine_build_of,
    postgres_server,
    test_daily_run_counts_match_the_engine,
    test_executions_match_the_engine,
    test_incremental_refresh_takes_the_engines_later_writes,
    test_node_reliability_matches_the_engine,
)

engine_build = engine_build_of("prefect")
