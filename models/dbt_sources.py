"""Render what dbt knows of the source tables from the contracts: the sources YAML (so
dbt reads what extraction writes) and the `raw_table_keys()` macro (every raw table and
its primary key, for models that go over all of them).

Run `python -m models.dbt_sources` after changing a contract; `--check` (run by
`make lint`) and tests/test_contracts.py fail while a committed file differs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from models import rendering
from models.tables import SOURCE_TABLES

DBT_PROJECT = Path(__file__).resolve().parent.parent / "dbt_project"
SOURCES_YAML = DBT_PROJECT / "models/staging/_sources.yml"
RAW_TABLES_MACRO = DBT_PROJECT / "macros/raw_table_keys.sql"

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


def render_raw_tables_macro() -> str:
    entries = "".join(
        f'        "{t.name}": {json.dumps(list(t.primary_key))},\n' for t in SOURCE_TABLES
    )
    return (
        "{#- Generated from models/ by `python -m models.dbt_sources`: edit the contracts, "
        "not this.\n    Every raw table and its primary key. -#}\n\n"
        "{% macro raw_table_keys() -%}\n"
        "    {{ return({\n" + entries + "    }) }}\n"
        "{%- endmacro %}\n"
    )


def rendered_files() -> dict[Path, str]:
    return {SOURCES_YAML: render_sources_yaml(), RAW_TABLES_MACRO: render_raw_tables_macro()}


def main(argv: list[str]) -> int:
    return rendering.sync(argv, "python -m models.dbt_sources", rendered_files())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
