"""Ingest: new export files -> validated, deduplicated staging tables in the warehouse.

For each table of the contract, in dependency order (users first, so foreign keys can be checked):

1. plan the night's files (``sesame.deliveries``): the new files under ``<input>/<table>/``
   against the ``ingested_files`` manifest, a changed or gone delivered file stopping the run
   unless accepted, every new file's schema checked;
2. read the new files with ``sql/staging/stg_<table>.sql`` and check each row against the
   contract's rules; bad rows go to ``quarantine`` with their reason, the rest go on;
3. merge into ``stg_<table>`` by primary key: the later file wins (newer modification time; on
   a tie, the later path in byte order), also against rows loaded on earlier nights.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from sesame.deliveries import ExportFile, plan_ingest
from sesame.errors import ExportError
from sesame.incremental import record_user_changes
from sesame.rollups import compact_if_needed, ensure_rollups, record_changes
from sesame.schema import (
    EARLIEST_DATE,
    LATEST_DATE,
    OPEN_END_DATE,
    TABLES,
    Table,
)
from sesame.sqlmodels import execute, read_sql, relation, run_script
from sesame.warehouse import pause_point

log = logging.getLogger(__name__)

# Columns ingest adds to every staging table.
LINEAGE_COLUMNS = ("source_file", "source_modified_ns", "ingest_run_id")


@dataclass(frozen=True)
class TableIngest:
    """What ingest did to one table."""

    table: str
    files: int
    rows_read: int
    rows_quarantined: int
    empty: bool = False  # its folder holds no export file at all: scored without it


def _unreadable_file(
    con: duckdb.DuckDBPyConnection, staging: str, files: list[ExportFile], error: duckdb.Error
) -> tuple[ExportFile, str]:
    """The file that fails to read, found by reading the files one by one (failure path only)."""
    for export in files:
        try:
            execute(
                con,
                f"create or replace temp table unreadable_probe as {staging}",
                {"files": [str(export.path)]},
            )
        except duckdb.Error as file_error:
            return export, str(file_error)
        finally:
            con.execute("drop table if exists unreadable_probe")
    return files[0], str(error)


# contract v2: every timestamp and date lies in EARLIEST_DATE .. LATEST_DATE (any time of day)
TIME_BOUNDS: dict[str, object] = {
    "earliest_time": datetime.combine(EARLIEST_DATE, datetime.min.time()),
    "after_latest_time": datetime.combine(LATEST_DATE + timedelta(days=1), datetime.min.time()),
    "earliest_date": EARLIEST_DATE,
    "after_latest_date": LATEST_DATE + timedelta(days=1),
}


def _staged(table: Table) -> tuple[str, dict[str, object]]:
    """The table's staging model, with OPEN_END_DATE (at any time of day) in an open-ended
    column staged as null (still open), as the contract means it; with its bound values."""
    staging = read_sql(f"staging/stg_{table.name}")
    open_ends = [column.name for column in table.columns if column.open_end]
    if not open_ends:
        return staging, {}
    replaced = ", ".join(
        f"case when cast({_quoted(name)} as date) = $open_end_date then null "
        f"else {_quoted(name)} end as {_quoted(name)}"
        for name in open_ends
    )
    return f"select * replace ({replaced}) from ({staging})", {"open_end_date": OPEN_END_DATE}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rule_checks(table: Table) -> tuple[list[str], dict[str, object]]:
    """SQL expressions, one per rule, each giving a reason or null; with their bound values."""
    checks: list[str] = []
    values: dict[str, object] = {}
    for column in table.columns:
        name = f"loaded.{_quoted(column.name)}"
        if not column.nullable:
            checks.append(f"case when {name} is null then '{column.name} is null' end")
        if column.values is not None:
            parameter = f"allowed_{column.name}"
            values[parameter] = list(column.values)
            checks.append(
                f"case when {name} is not null and not list_contains(${parameter}, {name}) "
                f"then '{column.name} has an unknown value' end"
            )
        if column.exclusive_minimum is not None:
            parameter = f"above_{column.name}"
            values[parameter] = column.exclusive_minimum
            checks.append(
                f"case when {name} <= ${parameter} or isnan({name}) "
                f"then '{column.name} must be > {column.exclusive_minimum:g}' end"
            )
        if column.minimum is not None:
            parameter = f"min_{column.name}"
            values[parameter] = column.minimum
            nan = f" or isnan({name})" if column.type == "double" else ""
            checks.append(
                f"case when {name} < ${parameter}{nan} "
                f"then '{column.name} must be >= {column.minimum:g}' end"
            )
        if column.maximum is not None:  # inf is above it too
            parameter = f"max_{column.name}"
            values[parameter] = column.maximum
            checks.append(
                f"case when {name} > ${parameter} "
                f"then '{column.name} must be <= {column.maximum:g}' end"
            )
        if column.type in ("timestamp", "date"):
            # a date column is compared with dates: a far-off date does not cast to a timestamp
            first, after_last = (
                ("$earliest_time", "$after_latest_time")
                if column.type == "timestamp"
                else ("$earliest_date", "$after_latest_date")
            )
            values |= TIME_BOUNDS
            open_end = f" (or {OPEN_END_DATE}: still open)" if column.open_end else ""
            checks.append(
                f"case when {name} < {first} or {name} >= {after_last} then '{column.name} "
                f"must lie in {EARLIEST_DATE} .. {LATEST_DATE}{open_end}' end"
            )
    checks.append(  # duplicate_keys: the keys a file holds more than once (see _ingest_table)
        "case when duplicate_keys.source_path is not null "
        f"then 'duplicate key ({', '.join(table.primary_key)}) within the file' end"
    )
    for user_key in table.user_keys:
        name = f"loaded.{_quoted(user_key)}"
        checks.append(
            f"case when {name} is not null and not exists "
            f"(select 1 from stg_users where stg_users.user_id = {name}) "
            f"then '{user_key} is not a known user' end"
        )
    return checks, values


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction for the block: committed when it succeeds, rolled back on any error."""
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def ingest_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    files: list[ExportFile],
    run_id: str,
    max_bad_row_share: float = 1.0,
    *,
    removed: Sequence[str] = (),
    refreshed: Sequence[ExportFile] = (),
) -> TableIngest:
    """Loads new files of one table into ``stg_<table>``, bad rows into ``quarantine``, in one
    transaction: a failure loads nothing of the table (so the step can be retried).

    In the same transaction, first: the staged rows and manifest entries of the ``removed``
    files (accepted changed or gone files; a changed one is among ``files`` again, with its
    original delivery time) are taken out, also from the rollups; and the manifest entries of
    the ``refreshed`` files (the same bytes) get their new modification time and hash."""
    started = time.perf_counter()
    with transaction(con):
        if removed:
            _remove_files(con, table, removed)
        for export in refreshed:
            _refresh_entry(con, export)
        result = _ingest_table(con, table, files, run_id, max_bad_row_share)
    if files:
        log.info(
            "ingested %s: %d new file(s), %s rows, %s quarantined in %.1f s",
            table.name,
            result.files,
            f"{result.rows_read:,}",
            f"{result.rows_quarantined:,}",
            time.perf_counter() - started,
        )
    return result


def _remove_files(con: duckdb.DuckDBPyConnection, table: Table, removed: Sequence[str]) -> None:
    """Takes the rows the ``removed`` files delivered out of ``stg_<table>`` and its rollup,
    and the files out of the manifest. (A key such a file had taken over from an earlier file
    is not given back to that file's row: rows a file lost are not kept.)"""
    target = f"stg_{table.name}"
    con.register("removed_files_frame", pl.DataFrame({"source_file": list(removed)}))
    try:
        run_script(con, "ingest/removed_files")
    finally:
        con.unregister("removed_files_frame")
    in_removed = "source_file in (select source_file from removed_files)"
    taken_back = con.execute(f"select count(*) from {target} where {in_removed}").fetchall()[0][0]
    _record_changes(  # before the rows go, as for replaced rows
        con, table.name, f"from {target} limit 0", f"from {target} where {in_removed}"
    )
    con.execute(f"delete from {target} where {in_removed}")
    execute(
        con,
        f"delete from ingested_files where table_name = $table and {in_removed}",
        {"table": table.name},
    )
    con.execute("drop table removed_files")
    log.warning(
        "accepted changed or gone export files of %s: took out the %s row(s) they delivered (%s)",
        table.name,
        f"{taken_back:,}",
        ", ".join(removed),
    )


def _refresh_entry(con: duckdb.DuckDBPyConnection, export: ExportFile) -> None:
    """Records a delivered file's modification time and hash when its bytes are unchanged."""
    execute(
        con,
        read_sql("ingest/refresh_entry"),
        {
            "modified_ns": export.modified_ns,
            "modified_at": export.modified_at,
            "sha256": export.content_sha256,
            "table": export.table,
            "source_file": export.source_file,
        },
    )


def check_bad_row_share(
    con: duckdb.DuckDBPyConnection, table: Table, max_bad_row_share: float
) -> None:
    """The circuit breaker: stops the run when too many of a table's new rows are bad.

    A few bad rows are an upstream slip and go to quarantine; many mean a broken export, and
    scores computed from the rest would mislead."""
    rows, bad = relation(con, "ingest/bad_rows").fetchall()[0]
    if not bad or bad <= max_bad_row_share * rows:
        return
    reason, file, count = relation(con, "ingest/most_common_break").fetchall()[0]
    first_word = reason.split(" ", 1)[0]
    raise ExportError(
        table.name,
        f"{bad:,} of {rows:,} new rows ({bad / rows:.1%}) break the contract's rules, more than "
        f"the {max_bad_row_share:.0%} allowed (SESAME_MAX_BAD_ROW_SHARE); most often "
        f"'{reason}' ({count:,} rows). Nothing was published: fix the export and run again",
        file=file,
        column=first_word if first_word in table.column_names else None,
    )


def _ingest_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    files: list[ExportFile],
    run_id: str,
    max_bad_row_share: float,
) -> TableIngest:
    target = f"stg_{table.name}"
    if not files:
        return TableIngest(table.name, 0, 0, 0)

    file_frame = pl.DataFrame(
        {
            "path": [str(f.path) for f in files],
            "source_file": [f.source_file for f in files],
            "source_modified_ns": [f.delivered_ns for f in files],
        }
    )
    checks, values = _rule_checks(table)
    parameters = values | _staged(table)[1] | {"files": [str(f.path) for f in files]}
    con.register("export_files_frame", file_frame)
    try:
        # the new rows are read where they are used, not copied aside: a first load is tens of
        # millions of rows, and a temporary copy of them would spill to disk
        checked, repeated = _checked_rows(con, table, files, checks, parameters)
        check_bad_row_share(con, table, max_bad_row_share)
        row_json = ", ".join(f"{_quoted(c)} := {_quoted(c)}" for c in table.column_names)
        execute(
            con,
            "insert into quarantine (table_name, source_file, reason, row_json, run_id) "
            f"select $table, source_file, quarantine_reason, to_json(struct_pack({row_json})), "
            "$run_id from quarantined order by source_file",
            {"table": table.name, "run_id": run_id},
        )
        _merge(con, table, target, repeated, run_id, checked, parameters)
    finally:
        con.unregister("export_files_frame")
    counts = relation(con, "ingest/file_counts").fetchall()
    by_file = {row[0]: (row[1], row[2]) for row in counts}
    manifest = pl.DataFrame(
        {
            "table_name": [table.name] * len(files),
            "source_file": [f.source_file for f in files],
            "size_bytes": [f.size_bytes for f in files],
            "modified_at": [f.modified_at for f in files],
            "modified_ns": [f.modified_ns for f in files],
            "delivery_ns": [f.delivered_ns for f in files],
            "content_sha256": pl.Series([f.content_sha256 for f in files], dtype=pl.String),
            "rows_read": [by_file.get(f.source_file, (0, 0))[0] for f in files],
            "rows_quarantined": [by_file.get(f.source_file, (0, 0))[1] for f in files],
            "run_id": [run_id] * len(files),
        }
    )
    con.register("manifest_frame", manifest)
    run_script(con, "ingest/record_files")
    con.unregister("manifest_frame")
    for temporary in ("quarantined", "file_rows", "duplicate_keys", "repeated_keys"):
        con.execute(f"drop table {temporary}")
    return TableIngest(
        table.name,
        len(files),
        sum(v[0] for v in by_file.values()),
        sum(v[1] for v in by_file.values()),
    )


def _checked_rows(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    files: list[ExportFile],
    checks: list[str],
    parameters: dict[str, object],
) -> tuple[str, bool]:
    """The new rows with their lineage and quarantine reason (null for a good row), as a query
    on ``export_files_frame`` and the temporary tables this makes: ``repeated_keys`` and
    ``duplicate_keys`` (keys held more than once, and within one file), ``quarantined`` (the bad
    rows) and ``file_rows`` (rows per file); and whether any key comes more than once. An
    unreadable file stops with ``ExportError``."""
    staging = _staged(table)[0]
    key = table.primary_key
    key_list = ", ".join(_quoted(k) for k in key)
    try:
        # keys the new rows hold more than once (usually none): one hash aggregate over the
        # key columns alone; then, among those keys only, the ones repeated within a file
        execute(
            con,
            f"create or replace temp table repeated_keys as select {key_list} "
            f"from ({staging}) group by all having count(*) > 1",
            parameters,
        )
        in_repeated = " and ".join(
            f"repeated_keys.{_quoted(k)} is not distinct from loaded.{_quoted(k)}" for k in key
        )
        repeated = bool(relation(con, "ingest/any_repeated_key").fetchall()[0][0])
        execute(
            con,
            f"create or replace temp table duplicate_keys as select source_path, {key_list} "
            f"from ({staging}) as loaded "
            + (
                f"where exists (select 1 from repeated_keys where {in_repeated}) "
                "group by all having count(*) > 1"
                if repeated
                else "limit 0"  # no key comes twice: nothing to look for
            ),
            parameters,
        )
        same_key = " and ".join(
            f"duplicate_keys.{_quoted(k)} is not distinct from loaded.{_quoted(k)}" for k in key
        )
        checked = (
            "select loaded.* exclude (source_path), export_files.source_file, "
            "export_files.source_modified_ns, "
            f"nullif(concat_ws('; ', {', '.join(checks)}), '') as quarantine_reason "
            f"from ({staging}) as loaded "
            "inner join export_files_frame as export_files "
            "on loaded.source_path = export_files.path "
            "left join duplicate_keys on duplicate_keys.source_path = loaded.source_path "
            f"and {same_key}"
        )
        execute(
            con,
            "create or replace temp table quarantined as "
            f"select * from ({checked}) where quarantine_reason is not null",
            parameters,
        )
        execute(
            con,
            "create or replace temp table file_rows as select export_files.source_file, "
            f"count(*) as rows from ({staging}) as loaded "
            "inner join export_files_frame as export_files "
            "on loaded.source_path = export_files.path group by all",
            parameters,
        )
    except duckdb.Error as error:
        # the failed statement aborted the table's transaction: find the culprit outside it
        con.execute("rollback")
        culprit, message = _unreadable_file(
            con, read_sql(f"staging/stg_{table.name}"), files, error
        )
        con.execute("begin transaction")
        raise ExportError(
            table.name, f"cannot read the Parquet file ({message})", file=str(culprit.path)
        ) from error
    return checked, repeated


def _merge(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    target: str,
    repeated: bool,
    run_id: str,
    checked: str,
    parameters: dict[str, object],
) -> None:
    """Merges the good rows of ``checked`` (a query, run with ``parameters``) into
    ``stg_<table>`` by key: the later file wins (newer modification time; on a tie, the later
    path), also against earlier nights' rows.

    The costly parts run only when needed: the window over the new rows when a key repeats
    among them (``repeated``); the delete and anti-join when the table holds rows already."""
    key = table.primary_key
    key_list = ", ".join(_quoted(k) for k in key)
    columns = ", ".join(_quoted(c) for c in table.column_names)
    good = (
        f"select {columns}, source_file, source_modified_ns, $run_id as ingest_run_id "
        f"from ({checked}) where quarantine_reason is null"
    )
    if repeated:  # a key among the new rows more than once: the later file's row wins
        good += (
            f" qualify row_number() over (partition by {key_list} "
            "order by source_modified_ns desc, source_file desc) = 1"
        )
    if not con.execute(f"select exists (select 1 from {target})").fetchall()[0][0]:
        execute(con, f"insert into {target} by name {good}", parameters | {"run_id": run_id})
        _record_changes(con, table.name, f"from {target}", None)  # the first load: every row
        return
    execute(
        con, f"create or replace temp table incoming as {good}", parameters | {"run_id": run_id}
    )
    # the keys the new rows share with stored ones (usually none), found by a join that scans
    # only the stored key columns; the delete, which costs a pass over the whole table even
    # when it removes nothing, runs only when there is something to replace
    key_match = " and ".join(f"incoming.{_quoted(k)} = {target}.{_quoted(k)}" for k in key)
    con.execute(
        f"create or replace temp table clashes as select {_qualified('incoming', key)}, "
        f"(incoming.source_modified_ns > {target}.source_modified_ns or "
        f"(incoming.source_modified_ns = {target}.source_modified_ns "
        f"and incoming.source_file > {target}.source_file)) as incoming_wins "
        f"from incoming inner join {target} on {key_match}"
    )
    if relation(con, "ingest/any_clash").fetchall()[0][0]:
        clash_match = " and ".join(f"clashes.{_quoted(k)} = {target}.{_quoted(k)}" for k in key)
        is_replaced = (
            f"exists (select 1 from clashes where {clash_match} and clashes.incoming_wins)"
        )
        replaced = f"select {target}.* from {target} where {is_replaced}"
        kept_match = " and ".join(f"clashes.{_quoted(k)} = incoming.{_quoted(k)}" for k in key)
        loaded = (
            "select incoming.* from incoming where not exists "
            f"(select 1 from clashes where {kept_match} and not clashes.incoming_wins)"
        )
        _record_changes(con, table.name, loaded, replaced)  # before the replaced rows go
        con.execute(f"delete from {target} where {is_replaced}")
        con.execute(f"insert into {target} by name {loaded}")
    else:
        _record_changes(con, table.name, "from incoming", None)
        con.execute(f"insert into {target} by name from incoming")
    con.execute("drop table incoming; drop table clashes")


def _record_changes(
    con: duckdb.DuckDBPyConnection, table: str, loaded: str, replaced: str | None
) -> None:
    """The changes of one ingest of ``table``: into its rollup (``record_changes``), and the
    users they touch into ``user_changes`` (an incremental night scores those again).
    ``loaded``: a query of the rows it adds; ``replaced``: of the stored rows they replace or
    take out (None: none); both run before the stored rows go."""
    record_changes(con, table, loaded, replaced)
    record_user_changes(con, loaded, replaced)


def _qualified(relation: str, columns: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"{relation}.{_quoted(c)}" for c in columns)


def ensure_staging_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Creates every empty ``stg_<table>`` with the contract's columns and lineage columns."""
    duck_types = {
        "int64": "bigint",
        "int8": "bigint",
        "double": "double",
        "bool": "boolean",
        "string": "varchar",
        "timestamp": "timestamp",
        "date": "date",
    }
    for table in TABLES:
        columns = [f"{_quoted(c.name)} {duck_types[c.type]}" for c in table.columns]
        columns += ["source_file varchar", "source_modified_ns bigint", "ingest_run_id varchar"]
        con.execute(f"create table if not exists stg_{table.name} ({', '.join(columns)})")


def ingest_exports(
    con: duckdb.DuckDBPyConnection,
    input_dir: Path,
    run_id: str,
    max_bad_row_share: float = 1.0,
    *,
    accept_changed: Sequence[str | Path] = (),
) -> list[TableIngest]:
    """Ingests every table's new files; schema errors and delivered files that changed or are
    gone stop before anything is loaded, and a table with more than ``max_bad_row_share`` bad
    new rows stops the run.

    ``accept_changed``: delivered files (paths relative to the export directory, or inside it)
    whose change the operator accepts: the rows each delivered are taken out, and a changed
    one's new content is loaded in its original place in the delivery order (a later
    correction still wins over it); one that is gone leaves the manifest. A path that is not
    a changed or gone delivered file is a ``UsageError``."""
    ensure_staging_tables(con)
    ensure_rollups(con)
    if not input_dir.is_dir():
        raise ExportError("*", f"the export directory {input_dir} does not exist")
    # check everything first: a bad or changed file stops the run before any load
    plans = plan_ingest(con, input_dir, run_id, accept_changed)
    results = []
    for plan in plans:
        result = ingest_table(
            con,
            plan.table,
            plan.files,
            run_id,
            max_bad_row_share,
            removed=plan.removed,
            refreshed=plan.refreshed,
        )
        if plan.empty:
            log.warning(
                "table %s: its folder %s holds no export file; scores are computed without it "
                "(the runs row lists it in empty_tables)",
                plan.table.name,
                input_dir / plan.table.name,
            )
            result = replace(result, empty=True)
        results.append(result)
        if plan.files or plan.removed:
            pause_point("ingest")
    with transaction(con):
        compact_if_needed(con)
    if not any(result.files for result in results):
        log.info("no new export files in %s", input_dir)
    return results
