"""Per-user monthly rollups kept in the warehouse, updated from each night's changes only.

Scoring reads a user's complete months from a rollup instead of re-reading every event of the
window; only the partial months at the window's edges come from the staged events (see
``sql/intermediate/int_transaction_months.sql``). A rollup is kept as a log of signed changes:
ingest appends, for the months a night touches, the counts of the rows it loaded (+1) and of the
stored rows they replaced (-1), so a night costs what it loads. Readers sum a month's rows.
When the appended changes grow past ``COMPACT_SHARE`` of the table, it is compacted into one row
per (user, month). A warehouse made before a rollup existed gets it built from the staged rows.
"""

from __future__ import annotations

import logging
import time

import duckdb

from sesame.sqlmodels import read_sql, relation

log = logging.getLogger(__name__)

# staged table -> its rollup (a model under sql/rollups/ of the same name)
ROLLUPS = {"transactions": "transaction_months"}
COMPACT_SHARE = 0.2  # compact when appended change rows exceed this share of the table


def ensure_rollups(con: duckdb.DuckDBPyConnection) -> None:
    """Builds each missing rollup from its staged table (empty on a new warehouse): the
    staged table's rows recorded as one first load."""
    existing = {row[0] for row in relation(con, "database/main_table_names").fetchall()}
    for table, rollup in ROLLUPS.items():
        if rollup in existing:
            continue
        started = time.perf_counter()
        record_changes(con, table, f"from stg_{table}", None)
        log.info("built the %s rollup in %.1f s", rollup, time.perf_counter() - started)


def record_changes(
    con: duckdb.DuckDBPyConnection, table: str, loaded: str, replaced: str | None
) -> None:
    """Appends the changes of one ingest of ``table`` to its rollup, if it has one.

    ``loaded``: a query of the staged rows this ingest adds; ``replaced``: of the stored rows
    they replace (None: none). Both without parameters, run before the rows are deleted. The
    first load of an empty table is one row per (user, month) already: it counts as compact."""
    rollup = ROLLUPS.get(table)
    if rollup is None:
        return
    source = f"select *, 1 as sign from ({loaded})"
    if replaced is not None:
        source += f" union all by name select *, -1 as sign from ({replaced})"
    con.execute(f"create or replace temp view rollup_source as {source}")
    try:
        model = read_sql(f"rollups/{rollup}")
        con.execute(f"create table if not exists {rollup} as from ({model}) limit 0")
        first_load = not con.execute(f"select exists (from {rollup})").fetchall()[0][0]
        con.execute(
            f"insert into {rollup} by name select * replace ($compacted as compacted) "
            f"from ({model})",
            {"compacted": first_load and replaced is None},
        )
    finally:
        con.execute("drop view rollup_source")


def compact_if_needed(con: duckdb.DuckDBPyConnection) -> None:
    """Sums each rollup into one row per key when its appended changes have grown large."""
    for rollup in ROLLUPS.values():
        rows, changes = con.execute(
            f"select count(*), count(*) filter (where not compacted) from {rollup}"
        ).fetchall()[0]
        if changes <= COMPACT_SHARE * rows:
            continue
        started = time.perf_counter()
        con.execute(f"create or replace temp table rollup_compacted as {_summed(rollup)}")
        con.execute(f"delete from {rollup}")
        con.execute(f"insert into {rollup} by name from rollup_compacted")
        con.execute("drop table rollup_compacted")
        log.info("compacted the %s rollup in %.1f s", rollup, time.perf_counter() - started)


def _summed(rollup: str) -> str:
    """One row per (user, month) with the summed counts; months summing to no event go."""
    return (
        "select user_id, month_start, "
        "cast(sum(columns(* exclude (user_id, month_start, compacted))) as integer), "
        f"true as compacted from {rollup} "
        "group by user_id, month_start having sum(transactions) <> 0"
    )
