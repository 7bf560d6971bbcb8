"""Deliveries: the export files a night finds, against the manifest of delivered files.

For each table of the contract (ingest loads what this plans):

1. find the Parquet files under ``<input>/<table>/`` (plain or hive-partitioned): ``discover``;
2. compare them with the ``ingested_files`` manifest: a new path is a new file; a recorded one
   must not have changed (contract v2: delivered files do not change) and is skipped, so a
   night's cost follows the new files, not all history. A delivered file that changed or is gone
   stops the run before anything is loaded, unless the operator accepts it (``accept_changed``):
   then the rows it delivered are taken out and its new content is loaded in its original place
   in the delivery order (``plan_table``);
3. check every new file's schema: each listed column present with a type that widens to the
   contract's without loss; anything else stops the run naming table, file and column
   (``check_schema``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from sesame.errors import DeliveredFileChangedError, ExportError, UsageError
from sesame.schema import (
    TABLES,
    Column,
    Table,
)
from sesame.sqlmodels import relation


@dataclass(frozen=True)
class ExportFile:
    """One Parquet file of an export table."""

    table: str
    path: Path  # absolute
    source_file: str  # relative to the export directory, as recorded in the warehouse
    size_bytes: int
    modified_ns: int  # the file system's modification time, nanoseconds since the epoch
    content_sha256: str | None = None  # the sha256 of its bytes, once ingest has hashed it
    # the modification time of its original delivery, when that is not modified_ns: an accepted
    # changed file keeps its place in the delivery order
    delivery_ns: int | None = None

    @property
    def modified_at(self) -> datetime:
        """The modification time in UTC (for people; comparisons use ``modified_ns``)."""
        return datetime.fromtimestamp(self.modified_ns / 1e9, tz=UTC).replace(tzinfo=None)

    @property
    def delivered_ns(self) -> int:
        """The modification time that places the file's rows in the delivery order."""
        return self.modified_ns if self.delivery_ns is None else self.delivery_ns


def discover(input_dir: Path, table: Table) -> list[ExportFile]:
    """Every Parquet file of ``table`` under the export directory, in byte order of path."""
    folder = input_dir / table.name
    if not folder.is_dir():
        raise ExportError(table.name, f"no folder {folder} in the export directory {input_dir}")
    files = []
    for path in sorted(folder.rglob("*.parquet"), key=lambda p: os.fsencode(p)):
        if any(part.startswith((".", "_")) for part in path.relative_to(folder).parts):
            continue  # hidden and temporary files (e.g. _SUCCESS, .part) are not data
        stat = path.stat()
        files.append(
            ExportFile(
                table=table.name,
                path=path.resolve(),
                source_file=path.relative_to(input_dir).as_posix(),
                size_bytes=stat.st_size,
                modified_ns=stat.st_mtime_ns,
            )
        )
    return files


def _accepts(column: Column, arrow_type: pa.DataType) -> bool:
    """Whether an Arrow type converts to the column's contract type without loss."""
    t = pa.types
    if t.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if t.is_null(arrow_type):
        return True  # an all-null column: nullability is checked row by row
    match column.type:
        case "int64" | "int8":
            return t.is_integer(arrow_type) and not t.is_uint64(arrow_type)
        case "double":
            return t.is_floating(arrow_type) or t.is_integer(arrow_type)
        case "bool":
            return t.is_boolean(arrow_type)
        case "string":
            return (
                t.is_string(arrow_type)
                or t.is_large_string(arrow_type)
                or t.is_string_view(arrow_type)
            )
        case "timestamp":
            return (t.is_timestamp(arrow_type) and arrow_type.tz is None) or t.is_date(arrow_type)
        case "date":
            return t.is_date(arrow_type)
    return False


def check_schema(table: Table, export: ExportFile) -> None:
    """Raises ExportError when the file cannot be read or misses a column or has a lossy type."""
    try:
        schema = pq.read_schema(export.path)
    except (OSError, pa.ArrowException) as error:
        raise ExportError(
            table.name, f"cannot read the Parquet file ({error})", file=str(export.path)
        ) from error
    for column in table.columns:
        index = schema.get_field_index(column.name)
        if index < 0:
            raise ExportError(
                table.name,
                "the column is missing (the contract lists it)",
                file=str(export.path),
                column=column.name,
            )
        arrow_type = schema.field(index).type
        if not _accepts(column, arrow_type):
            raise ExportError(
                table.name,
                f"type {arrow_type} does not convert without loss to {column.type}",
                file=str(export.path),
                column=column.name,
            )


@dataclass(frozen=True)
class DeliveredFile:
    """A file's entry in the ``ingested_files`` manifest: what was delivered and ingested."""

    source_file: str
    size_bytes: int
    modified_ns: int  # as last seen (a touch with the same bytes refreshes it)
    delivery_ns: int  # the original delivery's modification time: its place in the order
    content_sha256: str | None  # None for a file ingested before hashes were recorded
    run_id: str


@dataclass(frozen=True)
class FileChange:
    """A delivered file that differs from its manifest entry, or is gone (``current`` None)."""

    table: str
    delivered: DeliveredFile
    current: ExportFile | None
    detail: str  # what differs, for the error message


@dataclass
class TablePlan:
    """What one ingest does to a table, settled before anything is loaded."""

    table: Table
    files: list[ExportFile] = field(default_factory=list)  # to load: new and accepted changed
    removed: list[str] = field(default_factory=list)  # accepted changed or gone: rows go first
    refreshed: list[ExportFile] = field(default_factory=list)  # same bytes: new mtime or hash
    changes: list[FileChange] = field(default_factory=list)  # changed or gone, not accepted
    empty: bool = False  # the table's folder holds no export file at all


def content_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, in hex."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def delivered_files(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, DeliveredFile]:
    """The manifest's entry of every file of ``table``, by path (for a path recorded more than
    once, by warehouses from before changes stopped the run: its latest entry)."""
    rows = relation(con, "ingest/delivered_files", {"table": table}).fetchall()
    return {row[0]: DeliveredFile(*row) for row in rows}


def plan_table(
    table: Table,
    files: list[ExportFile],
    delivered: dict[str, DeliveredFile],
    accepted: set[str],
) -> TablePlan:
    """Compares a table's files with the manifest: the new files to load, and the delivered
    ones that changed or are gone (to load again and take out when ``accepted`` names them,
    else to stop the run).

    The check costs little each night: a delivered file whose size and modification time are
    the ones recorded is taken as unchanged without reading it. Only when either differs is it
    hashed (a different size is a change without hashing): the same bytes under a new
    modification time (a touch, a copy) are no change, and its recorded modification time is
    refreshed; other bytes are a change. New files are hashed once, when they are ingested. An
    entry from before hashes were recorded is hashed on its next check (a one-off read of the
    delivered files); until then a new modification time on it cannot be told from a change,
    and counts as one."""
    plan = TablePlan(table)
    present = {export.source_file for export in files}
    for export in files:
        entry = delivered.get(export.source_file)
        if entry is None:
            plan.files.append(replace(export, content_sha256=content_sha256(export.path)))
            continue
        same_stat = (export.size_bytes, export.modified_ns) == (
            entry.size_bytes,
            entry.modified_ns,
        )
        if same_stat and entry.content_sha256 is not None:
            continue  # unchanged: the nightly fast path, nothing read
        if export.size_bytes != entry.size_bytes:
            detail = (
                "has changed since it was ingested "
                f"(size {entry.size_bytes:,} -> {export.size_bytes:,} bytes)"
            )
            digest = None
        else:
            digest = content_sha256(export.path)
            hashed = replace(export, content_sha256=digest, delivery_ns=entry.delivery_ns)
            if same_stat or digest == entry.content_sha256:
                plan.refreshed.append(hashed)  # the same bytes: record the hash or the new mtime
                continue
            detail = (
                "has changed since it was ingested (same size, other bytes)"
                if entry.content_sha256 is not None
                else "has a new modification time since it was ingested, and no content hash "
                "was recorded then to tell a touch from a change"
            )
        if export.source_file not in accepted:
            plan.changes.append(FileChange(table.name, entry, export, detail))
            continue
        plan.removed.append(export.source_file)
        plan.files.append(
            replace(
                export,
                content_sha256=digest or content_sha256(export.path),
                delivery_ns=entry.delivery_ns,
            )
        )
    for source_file, entry in sorted(delivered.items()):
        if source_file in present:
            continue
        if source_file in accepted:
            plan.removed.append(source_file)
        else:
            plan.changes.append(
                FileChange(
                    table.name, entry, None, "is gone (deleted or moved) since it was ingested"
                )
            )
    return plan


def _accepted_source_files(
    input_dir: Path, accept_changed: Sequence[str | Path], known: set[str]
) -> dict[str, str]:
    """The manifest path of each path given to accept, by the path as given: relative to the
    export directory (as errors name it), or any path to a file inside it."""
    resolved = {}
    for given in accept_changed:
        candidate = Path(given)
        source_file = candidate.as_posix()
        if candidate.is_absolute() or source_file not in known:
            absolute = candidate if candidate.is_absolute() else Path.cwd() / candidate
            with contextlib.suppress(ValueError):
                source_file = absolute.resolve().relative_to(input_dir.resolve()).as_posix()
        resolved[str(given)] = source_file
    return resolved


def plan_ingest(
    con: duckdb.DuckDBPyConnection,
    input_dir: Path,
    run_id: str,
    accept_changed: Sequence[str | Path] = (),
) -> list[TablePlan]:
    """Every table's plan, with every new or accepted file's schema checked: any problem stops
    the run here, before anything is loaded. Raises ``DeliveredFileChangedError`` for a
    delivered file that changed or is gone and is not accepted, and ``UsageError`` for an
    accepted path that is not such a file."""
    discovered = {table.name: discover(input_dir, table) for table in TABLES}
    delivered = {table.name: delivered_files(con, table.name) for table in TABLES}
    known = {path for entries in delivered.values() for path in entries} | {
        export.source_file for files in discovered.values() for export in files
    }
    accepted = _accepted_source_files(input_dir, accept_changed, known)
    plans = [
        plan_table(table, discovered[table.name], delivered[table.name], set(accepted.values()))
        for table in TABLES
    ]
    changes = [change for plan in plans for change in plan.changes]
    taken = {source_file for plan in plans for source_file in plan.removed}
    for given, source_file in accepted.items():
        if source_file in taken:
            continue
        table_name = source_file.split("/", 1)[0]
        entry = delivered.get(table_name, {}).get(source_file)
        if entry is not None and entry.run_id == run_id:
            continue  # accepted by this run already (a retried ingest): nothing left to do
        raise UsageError(
            f"--accept-changed {given}: not a delivered file that changed or is gone (give "
            "its path relative to the export directory, as the error that stopped the run "
            "names it, e.g. bills/part-0.parquet)"
        )
    if changes:
        first = changes[0]
        raise DeliveredFileChangedError(
            first.table, first.delivered.source_file, first.detail, others=len(changes) - 1
        )
    for plan in plans:
        plan.empty = not discovered[plan.table.name]
        for export in plan.files:
            check_schema(plan.table, export)
    return plans
