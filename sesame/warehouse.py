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
import json
import logging
import os
import shutil
import sys
import time
import traceback
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from sesame.errors import SesameError, WarehouseBusyError
from sesame.settings import Settings
from sesame.sqlmodels import run_script

log = logging.getLogger(__name__)

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
    """Holds the warehouse's run lock. A second run waits up to ``lock_wait_seconds`` for it,
    then is refused with a clear message. The kernel releases the lock when its process dies,
    however it dies: a killed run never leaves a stale lock."""
    root = ensure_private_dir(settings.warehouse)
    lock_path = root / LOCK_NAME
    handle = lock_path.open("a+")
    os.chmod(lock_path, PRIVATE_FILE)
    deadline = time.monotonic() + settings.lock_wait_seconds
    waiting = False
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as error:
                if time.monotonic() >= deadline:
                    waited = (
                        f" (waited {settings.lock_wait_seconds:g} s)"
                        if settings.lock_wait_seconds
                        else ""
                    )
                    raise WarehouseBusyError(
                        f"another sesame run is writing {root}{waited}; try again when it has "
                        "finished, or wait for it with SESAME_LOCK_WAIT_SECONDS"
                    ) from error
                if not waiting:
                    log.info("another sesame run is writing %s: waiting for it", root)
                    waiting = True
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        yield
    finally:
        handle.close()  # closing releases the lock, also when the process dies


@contextlib.contextmanager
def building(
    settings: Settings,
    run_id: str,
    steps: dict[str, float] | None = None,
    moves: list[tuple[Path, Path]] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a private copy of the warehouse, published when the block succeeds.

    The caller must hold ``warehouse_lock``. ``moves`` lists (aside, final) files and folders
    the block writes aside (Parquet copies, report folders): they move in place right after the
    database, under a journal, so a run killed in between is completed by the next run. On any
    exception the copy and the aside files are thrown away; the published warehouse is
    untouched. ``steps`` receives the seconds the copy and the publishing took.
    """
    started = time.perf_counter()
    moves = moves if moves is not None else []
    root = ensure_private_dir(settings.warehouse)
    temp_dir = ensure_private_dir(root / ".tmp")
    recover(settings)
    published = settings.database_path()
    aside = root / f"{ASIDE_PREFIX}{run_id}"
    if published.exists():
        shutil.copyfile(published, aside)
        log.info(
            "copied the warehouse (%s MB) aside in %.1f s",
            f"{aside.stat().st_size / 1e6:,.0f}",
            time.perf_counter() - started,
        )
    if steps is not None:
        steps["copy warehouse"] = round(time.perf_counter() - started, 3)
    con = duckdb.connect()
    try:
        configure(con, settings, temp_dir)
        attach_copy(con, aside)
        run_script(con, "ddl/warehouse_tables")
        _BUILDING[run_id] = con
        yield con
        pause_point("checkpoint")
        con.execute("checkpoint")
        con.execute("use memory")
        con.execute(f"detach {ALIAS}")
    except BaseException as error:
        con.close()
        aside.unlink(missing_ok=True)
        Path(f"{aside}.wal").unlink(missing_ok=True)
        for temporary, _ in moves:
            _remove(temporary)
        # frames below hold the connection and the orchestrator keeps the error: free them,
        # or DuckDB's bindings report the connection as leaked when the interpreter exits
        traceback.clear_frames(error.__traceback__)
        raise
    finally:
        _BUILDING.pop(run_id, None)
    con.close()
    started = time.perf_counter()
    os.chmod(aside, PRIVATE_FILE)
    _fsync(aside)
    _publish(root, run_id, aside, published, moves)
    if steps is not None:
        steps["publish"] = round(time.perf_counter() - started, 3)


JOURNAL_PREFIX = ".publish-"


def _publish(
    root: Path, run_id: str, aside: Path, published: Path, moves: list[tuple[Path, Path]]
) -> None:
    """Replaces the database, then moves the aside files in place. A journal written first
    lets the next run finish the moves if this process dies after the database's rename."""
    journal = root / f"{JOURNAL_PREFIX}{run_id}.json"
    temporary = journal.with_suffix(".tmp")
    temporary.write_text(
        json.dumps({"aside": str(aside), "moves": [[str(a), str(f)] for a, f in moves]})
    )
    os.chmod(temporary, PRIVATE_FILE)
    _fsync(temporary)
    os.replace(temporary, journal)
    _fsync_dir(root)
    pause_point("publish")
    os.replace(aside, published)  # the one step that publishes the database
    _fsync_dir(root)
    pause_point("moves")
    move_into_place(moves)
    journal.unlink()


def move_into_place(moves: list[tuple[Path, Path]]) -> None:
    """Moves each aside file or folder over its final name; safe to repeat after a crash."""
    for aside, final in moves:
        if not aside.exists():
            continue  # moved already
        if aside.is_dir():
            replaced = final.with_name(f".replaced-{aside.name}")
            if final.exists():
                os.replace(final, replaced)
            os.replace(aside, final)
            shutil.rmtree(replaced, ignore_errors=True)
        else:
            os.replace(aside, final)


def recover(settings: Settings) -> None:
    """Finishes or rolls back what a killed run left (the caller holds the lock): a journal
    whose database was published has its moves finished; everything else aside is removed."""
    root = settings.warehouse
    for journal in sorted(root.glob(f"{JOURNAL_PREFIX}*.json")):
        try:
            plan = json.loads(journal.read_text())
        except (OSError, ValueError):
            plan = None
        if plan is not None and not Path(plan["aside"]).exists():  # the database was published
            move_into_place([(Path(a), Path(f)) for a, f in plan["moves"]])
            log.info("finished publishing the run of %s that was interrupted", journal.name)
        journal.unlink()
    stale = [
        *root.glob(f"{ASIDE_PREFIX}*"),
        *root.glob(f"{JOURNAL_PREFIX}*.tmp"),
        *root.glob("score_snapshots/*/.data-*.parquet"),
        *root.glob("reports/.building-*"),
        *root.glob("reports/.replaced-*"),
    ]
    for path in stale:
        _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def pause_point(name: str) -> None:
    """A fault-injection point for the kill tests: with ``SESAME_TEST_PAUSE_AT=<name>`` the run
    says so on stderr and waits there (``SESAME_TEST_PAUSE_SECONDS``, default an hour), so a
    test can kill it at that exact moment; with ``SESAME_TEST_RESUME_FILE`` it goes on as soon
    as that file exists (a test resumes it on an event, never after a guessed delay). Points:
    started, ingest, score, checkpoint, publish (before the database's rename), moves (after)."""
    if os.environ.get("SESAME_TEST_PAUSE_AT") == name:
        sys.stderr.write(f"sesame: paused at {name}\n")
        sys.stderr.flush()
        resume = os.environ.get("SESAME_TEST_RESUME_FILE")
        deadline = time.monotonic() + float(os.environ.get("SESAME_TEST_PAUSE_SECONDS", "3600"))
        while time.monotonic() < deadline:
            if resume is not None and Path(resume).exists():
                return
            time.sleep(0.05)


def attach_copy(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Attaches a run's copy for writing, in the storage format every reader can open."""
    con.execute(
        f"attach $path as {ALIAS} (storage_version '{STORAGE_VERSION}')", {"path": str(path)}
    )
    con.execute(f"use {ALIAS}")


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

    The caller lists the pairs in ``building``'s ``moves``: they move in place right after the
    database is published.
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


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(path)
