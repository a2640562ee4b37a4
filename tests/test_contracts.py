"""models/ is the one definition of the source tables: catch any drift from it."""

import re
from pathlib import Path

import pytest

from models import SOURCE_TABLES, LogicalType
from models.dbt_sources import rendered_files

SHARED_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "source_schema.sql"

_POSTGRES_TYPES = {t.postgres: t for t in LogicalType if t is not LogicalType.JSON}
_POSTGRES_TYPES["JSONB"] = LogicalType.JSON


def parse_shared_schema(sql: str) -> dict[str, dict]:
    """Tables of source_schema.sql: columns with (type, nullable) and the primary key."""
    sql = re.sub(r"--[^\n]*", "", sql)
    tables = {}
    for name, body in re.findall(r"CREATE TABLE (\w+) \((.*?)\n\);", sql, flags=re.S):
        columns, primary_key = {}, ()
        for line in (part.strip() for part in re.split(r",\s*\n", body)):
            if line.startswith("PRIMARY KEY"):
                primary_key = tuple(k.strip() for k in line[line.index("(") + 1 : -1].split(","))
                continue
            column, rest = line.split(None, 1)
            type_name = next(
                t for t in sorted(_POSTGRES_TYPES, key=len, reverse=True) if rest.startswith(t)
            )
            columns[column] = (
                _POSTGRES_TYPES[type_name],
                "NOT NULL" not in rest and "PRIMARY KEY" not in rest,
            )
            if "PRIMARY KEY" in rest:
                primary_key = (column,)
        tables[name] = {"columns": columns, "primary_key": primary_key}
    return tables


@pytest.fixture(scope="module")
def shared_tables() -> dict[str, dict]:
    if not SHARED_SCHEMA.exists():
        pytest.skip(f"{SHARED_SCHEMA} is not beside the project")
    return parse_shared_schema(SHARED_SCHEMA.read_text())


def test_every_shared_table_has_a_contract(shared_tables):
    assert sorted(shared_tables) == sorted(t.name for t in SOURCE_TABLES)


@pytest.mark.parametrize("table", SOURCE_TABLES, ids=lambda t: t.name)
def test_contract_matches_shared_schema(table, shared_tables):
    shared = shared_tables[table.name]
    assert table.column_names == tuple(shared["columns"])
    for column in table.columns:
        logical, nullable = shared["columns"][column.name]
        assert column.type is logical, f"{table.name}.{column.name}"
        assert column.nullable == nullable, f"{table.name}.{column.name} nullability"
    assert table.primary_key == shared["primary_key"]


def test_change_column_is_updated_at_unless_append_only():
    for table in SOURCE_TABLES:
        has_updated_at = "updated_at" in table.column_names
        assert table.append_only != has_updated_at, table.name
        assert table.change_column == ("updated_at" if has_updated_at else table.change_column)


def test_dbt_sources_yaml_and_raw_tables_macro_are_rendered_from_the_contracts():
    for path, text in rendered_files().items():
        assert path.read_text() == text, f"{path}: run python -m models.dbt_sources"


def test_parser_sees_nullable_and_composite_keys(shared_tables):
    """The drift test itself must be able to fail: spot-check what it parsed."""
    assert shared_tables["usage_record"]["primary_key"] == ("billing_owner_id", "period_start")
    assert shared_tables["process_instance"]["columns"]["end_time"] == (
        LogicalType.TIMESTAMP,
        True,
    )
    assert shared_tables["node_instance"]["columns"]["attempts"] == (LogicalType.INTEGER, False)
