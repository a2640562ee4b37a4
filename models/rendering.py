"""Files rendered from the contracts (dbt sources, the raw tables macro, raw GE suites):
written by `python -m models.<renderer>`, compared by its `--check` (run by `make lint`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def stale(files: dict[Path, str], orphans: Iterable[Path] = ()) -> list[Path]:
    """Rendered files whose committed text differs, and committed files with no source."""
    differing = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    return sorted([*differing, *orphans])


def sync(
    argv: list[str], command: str, files: dict[Path, str], orphans: Iterable[Path] = ()
) -> int:
    """Write `files` and delete `orphans`; with --check, only report what is stale."""
    orphans = list(orphans)
    if "--check" in argv:
        paths = stale(files, orphans)
        for path in paths:
            print(f"{path} differs from models/: run {command}")
        return 1 if paths else 0
    for path in orphans:
        path.unlink()
        print(f"removed {path}")
    for path, text in files.items():
        path.write_text(text)
        print(f"wrote {path}")
    return 0
