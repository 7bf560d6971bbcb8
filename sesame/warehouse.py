"""The warehouse directory: one DuckDB file for analysts, Parquet copies beside it.

A run never writes the published file in place. It takes the warehouse lock, copies
``sesame.duckdb`` aside, does all its work on the copy, and publishes it with one
``os.replace``: an analyst holding the old file read-only keeps a consistent view, and a run
that fails (or is killed) leaves the published file exactly as it was. The file is written in
DuckDB's v1.5.0 storage format so that the DuckDB CLI from PyPI can open it too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import traceback
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from sesame.errors import SesameError, WarehouseBusyError
from sesame.settings import Settings
from sesame.sqlmodels import run_script

STORAGE_VERSION = "v1.5.0"  # readable by duckdb 2.x and by the duckdb CLI 1.5 on PyPI
ALIAS = "warehouse"
LOCK_NAME = ".sesame.lock"
ASIDE_PREFIX = ".sesame.duckdb.building-"
PARQUET_BATCH_ROWS = 256_000
PRIVATE_FILE = 0o600  # credit data: readable and writable by the owner only
PRIVATE_DIR = 0o700
# The connections of the runs building a copy in this process, by run id.
_BUILDING: dict[str, duckdb.DuckDBPyConnection] = {}


def ensure_private_dir(path: Path) -> Path:
    """Creates a directory readable by its owner only (credit data is sensitive)."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    return path


def configure(con: duckdb.DuckDBPyConnection, settings: Settings, temp_dir: Path) -> None:
    """Memory limit, spill directory and threads for one connection, then the shared macros."""
    con.execute("set memory_limit = $limit", {"limit": settings.memory_limit})
    con.execute("set temp_directory = $dir", {"dir": str(temp_dir)})
    con.execute("set preserve_insertion_order = false")
    if settings.threads is not None:
        con.execute("set threads = $threads", {"threads": settings.threads})
    run_script(con, "ddl/macros")


@contextlib.contextmanager
def warehouse_lock(settings: Settings) -> Iterator[None]:
    """Holds the warehouse's run lock; a second run is refused with a clear message."""
    root = ensure_private_dir(settings.warehouse)
    lock_path = root / LOCK_NAME
    handle = lock_path.open("a+")
    os.chmod(lock_path, PRIVATE_FILE)
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise WarehouseBusyError(
                f"another sesame run is writing {root}; try again when it has finished"
            ) from error
        yield
    finally:
        handle.close()  # closing releases the lock, also when the process dies


@contextlib.contextmanager
def building(settings: Settings, run_id: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a private copy of the warehouse, published when the block succeeds.

    The caller must hold ``warehouse_lock``. On any exception the copy is thrown away and the
    published warehouse is untouched.
    """
    root = ensure_private_dir(settings.warehouse)
    temp_dir = ensure_private_dir(root / ".tmp")
    # left by a run that was killed: the database copy, Parquet copies, report folders
    for stale in [*root.glob(f"{ASIDE_PREFIX}*"), *root.glob("score_snapshots/*/.data-*.parquet")]:
        stale.unlink()
    for folder in [*root.glob("reports/.building-*"), *root.glob("reports/.replaced-*")]:
        shutil.rmtree(folder, ignore_errors=True)
    published = settings.database_path()
    aside = root / f"{ASIDE_PREFIX}{run_id}"
    if published.exists():
        shutil.copyfile(published, aside)
    con = duckdb.connect()
    try:
        configure(con, settings, temp_dir)
        con.execute(
            f"attach $path as {ALIAS} (storage_version '{STORAGE_VERSION}')", {"path": str(aside)}
        )
        con.execute(f"use {ALIAS}")
        run_script(con, "ddl/warehouse_tables")
        _BUILDING[run_id] = con
        yield con
        con.execute("checkpoint")
        con.execute("use memory")
        con.execute(f"detach {ALIAS}")
    except BaseException as error:
        con.close()
        aside.unlink(missing_ok=True)
        Path(f"{aside}.wal").unlink(missing_ok=True)
        # frames below hold the connection and the orchestrator keeps the error: free them,
        # or DuckDB's bindings report the connection as leaked when the interpreter exits
        traceback.clear_frames(error.__traceback__)
        raise
    finally:
        _BUILDING.pop(run_id, None)
    con.close()
    os.chmod(aside, PRIVATE_FILE)
    _fsync(aside)
    os.replace(aside, published)
    _fsync_dir(root)


def building_connection(run_id: str) -> duckdb.DuckDBPyConnection:
    """The connection of a run that is building its copy (tasks look it up by run id, so the
    orchestrator records and holds only the id, never the connection)."""
    try:
        return _BUILDING[run_id]
    except KeyError:
        raise SesameError(f"run {run_id} is not building a warehouse copy") from None


def connect_read_only(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse (for sql, explain, tests)."""
    path = settings.database_path()
    if not path.exists():
        raise SesameError(
            f"no warehouse at {path}: run `sesame nightly --warehouse {settings.warehouse}` first"
        )
    con = duckdb.connect(str(path), read_only=True)
    con.execute("set memory_limit = $limit", {"limit": settings.memory_limit})
    run_script(con, "ddl/macros")
    return con


def snapshot_partition(settings: Settings, snapshot_date: date) -> Path:
    """The Parquet copy of one date's snapshots."""
    return (
        settings.warehouse
        / "score_snapshots"
        / f"snapshot_date={snapshot_date.isoformat()}"
        / "data.parquet"
    )


def write_snapshot_partitions(
    con: duckdb.DuckDBPyConnection, settings: Settings, dates: list[date], run_id: str
) -> list[tuple[Path, Path]]:
    """Writes each date's snapshots to a temporary Parquet file; returns (temporary, final) pairs.

    The files become visible through ``publish_partitions`` once the database is published.
    """
    pending = []
    for snapshot_date in dates:
        final = snapshot_partition(settings, snapshot_date)
        ensure_private_dir(final.parent)
        temporary = final.with_name(f".data-{run_id}.parquet")
        reader = con.sql(
            "select * exclude (snapshot_date) from score_snapshots "
            "where snapshot_date = $snapshot_date order by user_id",
            params={"snapshot_date": snapshot_date},
        ).to_arrow_reader(PARQUET_BATCH_ROWS)
        with pq.ParquetWriter(temporary, reader.schema, compression="zstd") as writer:
            for batch in reader:
                writer.write_batch(batch)
        os.chmod(temporary, PRIVATE_FILE)
        pending.append((temporary, final))
    return pending


def publish_partitions(pending: list[tuple[Path, Path]]) -> None:
    """Moves each temporary partition file over its final name (one atomic rename each)."""
    for temporary, final in pending:
        os.replace(temporary, final)


def discard_partitions(pending: list[tuple[Path, Path]]) -> None:
    for temporary, _ in pending:
        temporary.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(path)
