"""Dagster definitions, one module per integration, merged by orchestration.definitions."""
