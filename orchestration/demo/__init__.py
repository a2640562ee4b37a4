"""Demo source data: a simulated platform database to run, test and benchmark flowmart on.

`generate_demo_source` builds every source table as a polars frame; `write_source` loads
such frames into a SQLite file or a PostgreSQL database laid out as the contract says.
"""

from orchestration.demo.generator import generate_demo_source, polars_schema
from orchestration.demo.writer import write_source

__all__ = ["generate_demo_source", "polars_schema", "write_source"]
