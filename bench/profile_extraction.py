"""Where extraction's seconds go: each table's statements, timed, on a copy of a home.

Prints figures; it is not a test. From the repository root:

    .venv/bin/python -m bench.profile_extraction --home COPY_OF_A_HOME --source URL

It extracts every table of the contract from the source into the home's warehouse as
a refresh would (the copy's watermarks decide what is read), timing every statement
extraction runs; tables that took more than --over seconds list their slowest ones.
Run it on a copy: the extracted rows stay in the copy's raw history.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

import orchestration.extraction as extraction
import orchestration.partitions as partitions
from models import SOURCE_TABLES
from orchestration import warehouse
from orchestration.settings import load_settings
from orchestration.source import open_source

TIMES: list[tuple[float, str]] = []


def timed(function):
    def wrapper(con, sql, params=None):
        started = time.perf_counter()
        result = function(con, sql, params)
        TIMES.append((time.perf_counter() - started, " ".join(sql.split())[:100]))
        return result

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="a copy of a FLOWMART_HOME")
    parser.add_argument("--source", required=True, help="the source URL")
    parser.add_argument("--over", type=float, default=0.3, help="list statements above this")
    args = parser.parse_args()
    extraction.run = timed(extraction.run)
    extraction.query_one = timed(extraction.query_one)
    partitions.run = timed(partitions.run)
    extracted_at = datetime.now(UTC).replace(tzinfo=None)
    overlap = load_settings().extract_overlap
    work_db = args.home / "warehouse" / "work.duckdb"
    with open_source(args.source) as source, warehouse.connect(work_db) as con:
        for table in SOURCE_TABLES:
            TIMES.clear()
            started = time.perf_counter()
            result = extraction.extract_table(table, source, con, overlap, extracted_at)
            seconds = time.perf_counter() - started
            print(f"{table.name:24} {seconds:6.3f} s  {result.rows_read:>9,} rows read")
            if seconds > args.over:
                for spent, statement in sorted(TIMES, reverse=True)[:6]:
                    print(f"    {spent:6.3f} s  {statement}")


if __name__ == "__main__":
    main()
