"""Ad hoc SQL on the warehouse, read-only: ``sesame sql``.

Three locks: the file is opened read-only; only SELECT-like statements (select, with, describe,
show, explain, pivot) are accepted; and the connection refuses external access (no ATTACH, COPY,
INSTALL, LOAD, reading or writing other files) with its configuration locked so a query cannot
lift that.

And three bounds, so that one query cannot take the machine from the nightly run: a time limit
(the query is interrupted after ``timeout`` seconds), the job's memory limit
(``SESAME_MEMORY_LIMIT``, set by ``connect_read_only``; ``SESAME_THREADS`` too), and a spill
folder of its own in the system's temporary directory, outside the warehouse (whose disk the
nightly needs), removed after the query. Rows are streamed in batches: a terminal format reads
at most ``limit`` rows (DuckDB plans a LIMIT, a top-N for an ORDER BY), a CSV file takes every
row with bounded memory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sesame.errors import SesameError, UsageError
from sesame.settings import Settings
from sesame.warehouse import connect_read_only

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
BATCH_ROWS = 50_000  # rows DuckDB hands over at a time (a CSV file is written batch by batch)
SPILL_PREFIX = "sesame-sql-"


class ReadOnlyViolation(SesameError):
    """A statement that could change something or reach outside the warehouse."""

    exit_code = 2


class QueryError(SesameError):
    """A query that does not parse or does not bind (a typo, an unknown table or column)."""

    exit_code = 2


class QueryTimeout(SesameError):
    """The query ran longer than its time limit and was interrupted."""

    exit_code = 1

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"the query ran longer than {seconds:g} s and was stopped; raise --timeout or "
            "narrow the query"
        )


def check_read_only(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """The query's single statement, if it only reads; raises ReadOnlyViolation otherwise."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as error:
        raise QueryError(f"the query does not parse: {error}") from error
    if len(statements) != 1:
        raise ReadOnlyViolation(f"give exactly one statement (got {len(statements)})")
    statement = statements[0]
    if statement.type not in ALLOWED:
        # the statement's kind, not only its first word: `with x as (...) delete` is a DELETE
        kind = statement.type.name.replace("_", " ")
        words = statement.query.split()
        first = words[0].upper() if words else kind
        shown = first if first == kind else f"{first} (a {kind} statement)"
        raise ReadOnlyViolation(
            f"sesame sql is read-only: {shown} is refused (it could change the warehouse or "
            "reach outside it); give a query that only reads: SELECT (WITH ... SELECT), "
            "DESCRIBE, SHOW or EXPLAIN"
        )
    return statement.query


class Result:
    """A running query's rows, batch by batch; a failure or the time limit raises SesameError."""

    def __init__(
        self,
        reader: pa.RecordBatchReader,
        stopped: threading.Event,
        timeout: float,
        spill_dir: Path,
    ) -> None:
        self.spill_dir = spill_dir  # where DuckDB spills beyond the memory limit
        self._reader = reader
        self._stopped = stopped
        self._timeout = timeout

    @property
    def schema(self) -> pa.Schema:
        return self._reader.schema

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        while True:
            if self._stopped.is_set():
                raise QueryTimeout(self._timeout)
            try:
                batch = self._reader.read_next_batch()
            except StopIteration:
                return
            # DuckDB's errors reach a reader as Arrow's (OSError): "INTERRUPT Error", "Out of
            # Memory Error", a conversion error...
            except (duckdb.Error, pa.ArrowException, OSError) as error:
                raise _failure(error, self._stopped, self._timeout) from error
            yield batch


def _failure(error: Exception, stopped: threading.Event, timeout: float) -> SesameError:
    if stopped.is_set():
        return QueryTimeout(timeout)
    if isinstance(error, duckdb.PermissionException):  # external access is off
        return ReadOnlyViolation(
            f"sesame sql reads only the warehouse: reading or writing other files is refused "
            f"({error})"
        )
    if isinstance(error, duckdb.Error) and not isinstance(error, SYSTEM_ERRORS):
        return QueryError(f"the query failed: {error}")  # the query's own mistake
    return SesameError(f"the query failed: {error}")


# DuckDB errors that say something about the machine, not the query: exit 1
SYSTEM_ERRORS = (duckdb.IOException, duckdb.OutOfMemoryException, duckdb.InternalException)


HISTORY_VIEW = "score_snapshot_history"


def history_view(con: duckdb.DuckDBPyConnection, settings: Settings) -> bool:
    """Gives the connection ``score_snapshot_history``: every published snapshot of every date,
    read from the Parquet copies (the database keeps month-ends and its last days only, see
    sesame.retention). An Arrow dataset, so the query itself still reaches no file. False when
    no copy is published yet."""
    folder = settings.warehouse / "score_snapshots"
    copies = sorted(folder.glob("snapshot_date=*/data.parquet"))
    if not copies:
        return False
    # the newest copy's columns (an older copy lacks a column added since: it reads as null)
    schema = pq.read_schema(copies[-1]).append(pa.field("snapshot_date", pa.date32()))
    partitioning = ds.partitioning(pa.schema([schema.field("snapshot_date")]), flavor="hive")
    history = ds.dataset(folder, schema=schema, format="parquet", partitioning=partitioning)
    # a file whose name starts with "." (a copy being written aside) is not read
    con.register(HISTORY_VIEW, history)
    return True


@contextmanager
def open_query(
    settings: Settings,
    query: str,
    *,
    timeout: float,
    limit: int | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[Result]:
    """Starts one read-only query on the published warehouse (at most ``limit`` rows) and
    yields its rows; the query is interrupted once ``timeout`` seconds have passed since it
    started, reading its rows included. Its spill folder is removed when the block ends."""
    if timeout <= 0:
        raise UsageError(f"the time limit must be positive (got {timeout:g} s)")
    spill = Path(tempfile.mkdtemp(prefix=SPILL_PREFIX))  # 0700, in TMPDIR or /tmp
    try:
        con = connect_read_only(settings)  # sets memory_limit from the settings
        try:
            statement = check_read_only(con, query)
            # before the lock: DuckDB's default is beside the database, in the warehouse
            con.execute("set temp_directory = $spill", {"spill": str(spill)})
            if settings.threads is not None:  # as the nightly's connections
                con.execute("set threads = $threads", {"threads": settings.threads})
            history_view(con, settings)
            con.execute("set enable_external_access = false")
            con.execute("set lock_configuration = true")
            stopped, done = threading.Event(), threading.Event()

            def watch() -> None:
                if done.wait(timeout):
                    return
                stopped.set()
                # again until the query has stopped: an interrupt that comes before DuckDB has
                # started executing is lost
                while True:
                    con.interrupt()
                    if done.wait(0.05):
                        return

            watcher = threading.Thread(target=watch, name="sesame-sql-timeout", daemon=True)
            watcher.start()
            try:
                try:
                    relation = con.sql(statement)
                    if limit is not None:
                        relation = relation.limit(limit)
                    reader = relation.to_arrow_reader(batch_rows)  # runs to the first batch
                except duckdb.Error as error:
                    raise _failure(error, stopped, timeout) from error
                yield Result(reader, stopped, timeout, spill)
            finally:
                done.set()
                watcher.join()  # no interrupt once the connection is closed
        finally:
            con.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)


@dataclass(frozen=True)
class Rows:
    """The first rows of a result, and whether it had more."""

    table: pa.Table
    cut: bool


def fetch_rows(settings: Settings, query: str, *, max_rows: int, timeout: float) -> Rows:
    """At most ``max_rows`` rows of the query (DuckDB reads one more, to tell if it had more)."""
    if max_rows < 1:
        raise UsageError(f"--max-rows must be at least 1 (got {max_rows})")
    with open_query(settings, query, timeout=timeout, limit=max_rows + 1) as result:
        table = pa.Table.from_batches(list(result), schema=result.schema)
    return Rows(table.slice(0, max_rows), table.num_rows > max_rows)


def csv_text(data: pa.Table | pa.RecordBatch, *, header: bool = True) -> str:
    """Rows as CSV; a list becomes its items joined by ``|``."""
    import polars as pl

    frame = pl.from_arrow(data)
    assert isinstance(frame, pl.DataFrame)
    lists = [n for n, t in frame.schema.items() if isinstance(t, pl.List)]
    frame = frame.with_columns(pl.col(n).cast(pl.List(pl.String)).list.join("|") for n in lists)
    try:
        return frame.write_csv(include_header=header)
    except pl.exceptions.ComputeError as error:
        raise SesameError(
            f"the result cannot be written as CSV: {error}; use --format json"
        ) from None


def write_csv(settings: Settings, query: str, path: Path, *, timeout: float) -> int:
    """Every row of the query as CSV into ``path`` (private, 0600), streamed batch by batch;
    returns the rows written. The file appears whole or not at all: the rows go to a temporary
    file beside it, renamed at the end (an existing file is replaced only then)."""
    _check_output(settings, path)
    with open_query(settings, query, timeout=timeout) as result:
        # mkstemp: O_CREAT | O_EXCL, mode 0600 whatever the umask
        descriptor, name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".part"
        )
        temporary = Path(name)
        try:
            with os.fdopen(descriptor, "wb") as file:
                rows = _write_batches(result, file, path)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    return rows


def _write_batches(result: Result, file: IO[bytes], path: Path) -> int:
    rows = 0
    header = True
    try:
        for batch in result:
            if batch.num_rows == 0:
                continue
            file.write(csv_text(batch, header=header).encode())
            header = False
            rows += batch.num_rows
        if header:  # no rows: the header alone
            file.write(csv_text(result.schema.empty_table()).encode())
    except OSError as error:  # the query's own errors arrive as SesameError
        raise SesameError(f"cannot write {path}: {error}") from error
    return rows


def _check_output(settings: Settings, path: Path) -> None:
    if path.is_dir():
        raise UsageError(f"--output {path} is a directory: give a file name")
    if not path.parent.is_dir():
        raise UsageError(f"--output {path}: no directory {path.parent}")
    if path.resolve().is_relative_to(settings.warehouse.resolve()):
        raise UsageError(
            f"--output {path} is inside the warehouse {settings.warehouse}: sesame sql never "
            "writes there; pick a file elsewhere"
        )
