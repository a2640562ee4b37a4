"""Which dbt models a run must rebuild: those whose inputs changed, and nothing else.

A model's inputs are the raw tables it reads (through dbt sources), the bookkeeping it
reads (`meta.dirty_days`, `meta.watermarks`), the clock (`utc_now`/`utc_today`), and the
dbt project itself (its files and this installation's vars). What changed since the
last publication:
- raw tables whose rows changed (`meta.changed_inputs`, written by extraction: a row
  re-read unchanged by the overlap is no change);
- `meta.dirty_days`, when any day partition is to be rebuilt (changes or a backfill);
- the clocks, when their value differs from the one the published marts were built with
  (`meta.build_inputs`): the UTC date, and the hour up to which alert windows can be
  evaluated;
- the project, when its fingerprint differs: then everything is rebuilt, as on the
  first build.
The models downstream of a changed input are rebuilt (dbt's graph, from the manifest);
the others keep their tables. A view is never rebuilt for changed rows (it reads them
when queried), only with the project; its data tests still run on the new rows.
Publication records the values it published with and clears the changed inputs, in the
same transaction that commits the watermarks, so a failed or killed run leaves them for
the next one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from orchestration.warehouse import META_SCHEMA, RAW_SCHEMA, run

PROJECT = "project"
UTC_DATE = "clock.utc_date"
EXTRACTED_UNTIL = "clock.extracted_until"
DIRTY_DAYS_INPUT = "meta.dirty_days"
CLOCK_MACROS = frozenset({"macro.flowmart.utc_now"})
# Partitioned models read meta.dirty_days through macros, some only in their incremental
# branch or pre-hook, which dbt's parse does not record as a source dependency.
DIRTY_DAYS_MACROS = frozenset(
    {
        "macro.flowmart.dirty_days",
        "macro.flowmart.day_partitioned",
        "macro.flowmart.month_partitioned",
    }
)
REBUILT_TYPES = ("model", "snapshot", "seed")

# The hour up to which alert windows can be evaluated (alert_events: the hour boundary
# before the last extraction, and never beyond the last data hour + 1 h). It moves with
# the wall clock only while that clock, not the data, bounds the windows: a quiet night
# long after the last row changes nothing. max(pending_at) bounds every data hour.
EXTRACTED_UNTIL_SQL = f"""
    SELECT CAST(least(date_trunc('hour', max(last_extracted)),
                      date_trunc('hour', max(pending_at)) + INTERVAL 1 HOUR) AS VARCHAR)
    FROM {META_SCHEMA}.watermarks"""


def project_value(fingerprint: str, dbt_vars: Mapping[str, Any]) -> str:
    """The project's input value: its files' fingerprint and this installation's vars."""
    text = json.dumps({"files": fingerprint, "vars": dict(dbt_vars)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def current_inputs(con: duckdb.DuckDBPyConnection, project: str) -> dict[str, str]:
    """The value of every non-row input as of now."""
    (extracted_until,) = con.execute(EXTRACTED_UNTIL_SQL).fetchall()[0]
    return {
        PROJECT: project,
        UTC_DATE: datetime.now(UTC).date().isoformat(),
        EXTRACTED_UNTIL: extracted_until or "",
    }


def changed_inputs(con: duckdb.DuckDBPyConnection, current: Mapping[str, str]) -> set[str]:
    """Every input that changed since the last publication."""
    published = dict(
        con.execute(f"SELECT input, published FROM {META_SCHEMA}.build_inputs").fetchall()
    )
    changed = {name for name, value in current.items() if published.get(name) != value}
    changed |= {
        r[0] for r in con.execute(f"SELECT input FROM {META_SCHEMA}.changed_inputs").fetchall()
    }
    if con.execute(f"SELECT count(*) FROM (FROM {META_SCHEMA}.dirty_days LIMIT 1)").fetchall()[0][
        0
    ]:
        changed.add(DIRTY_DAYS_INPUT)
    return changed


def record_build(
    con: duckdb.DuckDBPyConnection, current: Mapping[str, str], plan: RebuildPlan
) -> None:
    """Before dbt builds: the values the working marts are being built with, and which
    nodes this build rebuilds (the mart checks and publication read them)."""
    for name, value in current.items():
        run(
            con,
            f"INSERT INTO {META_SCHEMA}.build_inputs (input, built) VALUES (?, ?) "
            "ON CONFLICT (input) DO UPDATE SET built = excluded.built",
            [name, value],
        )
    run(con, f"DELETE FROM {META_SCHEMA}.rebuilt_models")
    if plan.names:
        run(
            con,
            f"INSERT INTO {META_SCHEMA}.rebuilt_models SELECT unnest(?)",
            [plan.names],
        )


def project_is_published(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the working marts were built by the project the published ones were: only
    then do they differ from them in nothing but what changed since."""
    return bool(
        con.execute(
            f"SELECT count(*) FROM {META_SCHEMA}.build_inputs "
            f"WHERE input = '{PROJECT}' AND built = published"
        ).fetchall()[0][0]
    )


def rebuilt_models(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(f"SELECT name FROM {META_SCHEMA}.rebuilt_models").fetchall()}


def record_publication(con: duckdb.DuckDBPyConnection) -> None:
    """Called by publication, inside its transaction: what was built is now published,
    every changed raw table with it."""
    run(con, f"UPDATE {META_SCHEMA}.build_inputs SET published = built")
    run(con, f"DELETE FROM {META_SCHEMA}.changed_inputs")


def _uses_macro(manifest: Mapping[str, Any], node: Mapping[str, Any], macros: frozenset) -> bool:
    """Whether a node calls one of `macros`, directly or through other macros."""
    seen: set[str] = set()
    pending = list(node.get("depends_on", {}).get("macros", []))
    while pending:
        macro = pending.pop()
        if macro in macros:
            return True
        if macro in seen or macro not in manifest["macros"]:
            continue
        seen.add(macro)
        pending += manifest["macros"][macro].get("depends_on", {}).get("macros", [])
    return False


def _roots(manifest: Mapping[str, Any], changed: set[str]) -> set[str]:
    """The manifest nodes that read a changed input directly."""
    roots = {f"source.flowmart.{name}" for name in changed if name.startswith(f"{RAW_SCHEMA}.")}
    if EXTRACTED_UNTIL in changed:
        roots.add(f"source.flowmart.{META_SCHEMA}.watermarks")
    for inp, macros in ((UTC_DATE, CLOCK_MACROS), (DIRTY_DAYS_INPUT, DIRTY_DAYS_MACROS)):
        if inp in changed:
            roots |= {
                uid for uid, n in manifest["nodes"].items() if _uses_macro(manifest, n, macros)
            }
    if DIRTY_DAYS_INPUT in changed:
        roots.add(f"source.flowmart.{META_SCHEMA}.dirty_days")
    return roots


@dataclass(frozen=True)
class RebuildPlan:
    changed: frozenset[str]  # the inputs that changed
    nodes: tuple[str, ...]  # unique ids of the models, snapshots and seeds to rebuild
    everything: bool  # the project changed (or nothing was published yet): build all
    # names of the data tests of views over changed rows: the views are not rebuilt,
    # so dbt's selection of a rebuilt node's tests would miss them
    tests: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        """dbt node names (unique across models, snapshots, seeds)."""
        return [uid.split(".")[-1] for uid in self.nodes]

    @property
    def selection(self) -> list[str]:
        """What `dbt build --select` runs: the rebuilt nodes (and with them their
        tests), and the tests of the views over changed rows."""
        return self.names + list(self.tests)

    def describe(self) -> str:
        if self.everything:
            return "the project changed or was never published: rebuilding every model"
        if not self.nodes and not self.tests:
            return "no input changed since the last publication: nothing to rebuild"
        return (
            f"rebuilding {len(self.nodes)} models downstream of {', '.join(sorted(self.changed))}"
        )


def _is_view(node: Mapping[str, Any]) -> bool:
    return node.get("config", {}).get("materialized") == "view"


def plan_rebuild(manifest: Mapping[str, Any], changed: set[str]) -> RebuildPlan:
    """The models downstream of the changed inputs (all of them if the project changed),
    views excepted unless the project changed."""
    nodes = manifest["nodes"]
    rebuilt = {uid for uid, n in nodes.items() if n["resource_type"] in REBUILT_TYPES}
    if PROJECT in changed:
        return RebuildPlan(frozenset(changed), tuple(sorted(rebuilt)), everything=True)
    downstream, pending = set(), list(_roots(manifest, changed))
    while pending:
        uid = pending.pop()
        if uid in downstream:
            continue
        downstream.add(uid)
        pending += manifest["child_map"].get(uid, [])
    views = {uid for uid in downstream & rebuilt if _is_view(nodes[uid])}
    view_tests = {
        nodes[uid]["name"]
        for uid in downstream
        if nodes.get(uid, {}).get("resource_type") == "test"
        and views & set(nodes[uid]["depends_on"]["nodes"])
    }
    return RebuildPlan(
        frozenset(changed),
        tuple(sorted(downstream & rebuilt - views)),
        everything=False,
        tests=tuple(sorted(view_tests)),
    )
