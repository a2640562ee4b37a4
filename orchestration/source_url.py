"""Where the platform's source database is: one URL, parsed the same way everywhere.

Demo generation writes to it and extraction reads from it, so both must agree on what a
URL means, relative SQLite paths included.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, NamedTuple

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")
_PASSWORD = re.compile(r"(?P<head>://[^:/@]+:)(?P<password>[^@]*)(?P<tail>@)")


class SourceLocation(NamedTuple):
    """kind 'sqlite': target is an absolute file path; 'postgresql': the URL as given."""

    kind: Literal["sqlite", "postgresql"]
    target: str


def parse_source_url(url: str) -> SourceLocation:
    """`sqlite:///relative/path`, `sqlite:////absolute/path` or `postgresql://...`.

    A relative SQLite path is resolved against the current working directory.
    """
    if url.startswith(SQLITE_PREFIX):
        path = url.removeprefix(SQLITE_PREFIX)
        if not path or path.endswith("/"):
            raise ValueError(f"SQLite source URL without a file name: {url!r}")
        return SourceLocation("sqlite", str(Path(path).resolve()))
    if url.startswith(POSTGRES_PREFIXES):
        return SourceLocation("postgresql", url)
    raise ValueError(
        f"unsupported source URL {mask_url(url)!r}: expected sqlite:///relative/path.sqlite, "
        "sqlite:////absolute/path.sqlite or postgresql://user:password@host:port/database"
    )


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***: safe for logs, errors and metadata."""
    return _PASSWORD.sub(r"\g<head>***\g<tail>", url)
