"""Python data contracts of the platform's source tables: the one definition of them."""

from models.contract import Column, LogicalType, SourceTable
from models.tables import SOURCE_TABLES, TABLES_BY_NAME

__all__ = ["SOURCE_TABLES", "TABLES_BY_NAME", "Column", "LogicalType", "SourceTable"]
