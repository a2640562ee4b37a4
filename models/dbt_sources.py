"""Render the dbt sources YAML from the contracts, so dbt reads what extraction writes.

Run `python -m models.dbt_sources` after changing a contract; `--check` (run by
`make lint`) and tests/test_contracts.py fail while the committed YAML differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from models.tables import SOURCE_TABLES

SOURCES_YAML = Path(__file__).resolve().parent.parent / "dbt_project/models/staging/_sources.yml"

HEADER = (
    "# Generated from models/ by `python -m models.dbt_sources`: edit the contracts, not this.\n"
)


def render_sources_yaml() -> str:
    tables = [
        {
            "name": table.name,
            "description": table.description,
            "meta": {
                "primary_key": list(table.primary_key),
                "change_column": table.change_column,
                "append_only": table.append_only,
                "purged_by_source": table.purged,
            },
            "columns": [
                {"name": c.name, "data_type": c.type.duckdb.lower(), "description": c.description}
                for c in table.columns
            ],
        }
        for table in SOURCE_TABLES
    ]
    document = {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "schema": "raw",
                "description": "Raw history of the platform's tables, extracted incrementally; "
                "keeps rows the source purged.",
                "tables": tables,
            }
        ],
    }
    return HEADER + yaml.safe_dump(document, sort_keys=False, width=100)


def main(argv: list[str]) -> int:
    if "--check" in argv:
        if SOURCES_YAML.read_text() != render_sources_yaml():
            print(f"{SOURCES_YAML} differs from models/: run python -m models.dbt_sources")
            return 1
        return 0
    SOURCES_YAML.write_text(render_sources_yaml())
    print(f"wrote {SOURCES_YAML}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
