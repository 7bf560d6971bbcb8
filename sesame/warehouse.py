"""The warehouse directory: one DuckDB file for analysts, Parquet copies beside it.

A run never writes the published file in place. It takes the warehouse lock, copies
``sesame.duckdb`` aside (a reflink clone where the file system has them, so no data is
copied and the night's cost does not grow with the file), does all its work on the copy, and
publishes it with one ``os.replace``: an analyst holding the old file read-only keeps a
consistent view, and a run that fails (or is killed) leaves the published file exactly as it
was. The file is written in
DuckDB's v1.5.0 storage format so that the DuckDB CLI from PyPI can open it too.

Beside it: ``files`` (private files, fsync, moving in place), ``backups`` (the file each run
replaced), ``damage`` (a damaged file or a full disk, and the verification that reads every
block) and ``snapshot_files`` (the Parquet copies).
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
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from sesame.backups import BACKUP_DIR, keep_backup, prune_backups
from sesame.damage import is_damage, no_room, verify_database
from sesame.errors import (
    DiskFullError,
    SesameError,
    UsageError,
    WarehouseBusyError,
    WarehouseDamagedError,
)
from sesame.files import (
    PRIVATE_FILE,
    copy_private,
    ensure_private_dir,
    fsync,
    fsync_dir,
    move_into_place,
)
from sesame.settings import Settings
from sesame.sqlmodels import relation, run_script

log = logging.getLogger(__name__)

STORAGE_VERSION = "v1.5.0"  # readable by duckdb 2.x and by the duckdb CLI 1.5 on PyPI
ALIAS = "warehouse"
LOCK_NAME = ".sesame.lock"
ASIDE_PREFIX = ".sesame.duckdb.building-"


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


def is_locked(settings: Settings) -> bool:
    """Whether a run holds the warehouse's run lock now (for readers: nothing is taken)."""
    lock_path = settings.warehouse / LOCK_NAME
    try:
        handle = lock_path.open("r")
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


@dataclass
class _Build:
    """A run's copy of the warehouse, from its copy to its publication."""

    settings: Settings
    root: Path
    aside: Path
    published: Path
    moves: list[tuple[Path, Path]]
    backup_label: str
    con: duckdb.DuckDBPyConnection | None = None
    step: str = "copy warehouse"  # what it was doing: said when it fails
    audited: bool = False


_BUILDS: dict[str, _Build] = {}  # by run id: being built, or audited and not yet published


@contextlib.contextmanager
def building(
    settings: Settings,
    run_id: str,
    steps: dict[str, float] | None = None,
    moves: list[tuple[Path, Path]] | None = None,
    *,
    fresh: bool = False,
    backup_label: str = "",
    publish: bool = True,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a private copy of the warehouse, audited and published when the block
    succeeds.

    The caller must hold ``warehouse_lock``. ``moves`` lists (aside, final) files and folders
    the block writes aside (Parquet copies, report folders): they move in place right after the
    database, under a journal, so a run killed in between is completed by the next run. On any
    exception the copy and the aside files are thrown away; the published warehouse is
    untouched. The audit (``audit_copy``, which the block may call as its last step, else it
    runs when the block ends) reads every table of the copy once (DuckDB checks each block's
    checksum), so a damaged block is never published again. ``publish``: publish when the
    block ends; with False the caller publishes with ``publish_copy`` once the block is over
    (the flows do, as a step of their own). The file it replaces is kept as a backup
    (``settings.backups_kept``). ``fresh``: start from an empty database instead of a copy
    (``sesame rebuild``); ``backup_label`` names the backup of the file it replaces as one set
    aside by that command (kept until its user removes it). ``steps`` receives the seconds the
    copy took.
    """
    started = time.perf_counter()
    root = ensure_private_dir(settings.warehouse)
    temp_dir = ensure_private_dir(root / ".tmp")
    recover(settings)
    build = _Build(
        settings,
        root,
        root / f"{ASIDE_PREFIX}{run_id}",
        settings.database_path(),
        moves if moves is not None else [],
        backup_label,
    )
    aside, published = build.aside, build.published
    _BUILDS[run_id] = build
    try:
        if published.exists() and not fresh:
            cloned = copy_private(published, aside)
            log.info(
                "%s the warehouse (%s MB) aside in %.1f s",
                "cloned (a reflink: no data copied)" if cloned else "copied",
                f"{aside.stat().st_size / 1e6:,.0f}",
                time.perf_counter() - started,
            )
        if steps is not None:
            steps["copy warehouse"] = round(time.perf_counter() - started, 3)
        build.step = "open the warehouse copy"
        build.con = duckdb.connect()
        configure(build.con, settings, temp_dir)
        attach_copy(build.con, aside)
        run_script(build.con, "ddl/warehouse_tables")
        build.step = "the run"
        yield build.con
        if not build.audited:
            audit_copy(run_id)
    except BaseException as error:
        _BUILDS.pop(run_id, None)
        if build.con is not None:
            build.con.close()
            # the error's traceback keeps this frame, and with it any local: no connection in
            # it, or DuckDB's bindings report it as leaked when the interpreter exits
            build.con = None
        aside.unlink(missing_ok=True)
        Path(f"{aside}.wal").unlink(missing_ok=True)
        for temporary, _ in build.moves:
            _remove(temporary)
        # frames below hold the connection and the orchestrator keeps the error: free them,
        # or DuckDB's bindings report the connection as leaked when the interpreter exits
        traceback.clear_frames(error.__traceback__)
        explained = _explain(error, build.step, aside, published)
        if explained is None:
            raise
        raise explained from None
    if publish:
        publish_copy(run_id)


def audit_copy(run_id: str) -> None:
    """Ends the writes to run ``run_id``'s copy (a checkpoint, its connection closed) and
    reads every table of it once (``verify_database``, when ``settings.verify_before_publish``),
    so that a damaged block stops the run before anything is published. Called inside
    ``building``'s block, whose failure throws the copy away."""
    build = _BUILDS.get(run_id)
    if build is None or build.con is None:
        raise SesameError(f"run {run_id} has no open warehouse copy to audit")
    build.step = "checkpoint"
    pause_point("checkpoint")
    build.con.execute("checkpoint")
    build.con.execute("use memory")
    build.con.execute(f"detach {ALIAS}")
    build.con.close()
    build.con = None
    build.step = "verify"
    if build.settings.verify_before_publish:
        verify_database(
            build.aside, shown_as=build.published, memory_limit=build.settings.memory_limit
        )
    build.audited = True


def publish_copy(run_id: str) -> None:
    """Publishes run ``run_id``'s audited copy: the file it replaces kept as a backup, the copy
    renamed over it, the aside files moved in place (``_publish``, under a journal). Called
    once ``building``'s block has ended without an error."""
    build = _BUILDS.get(run_id)
    if build is None or not build.audited:
        raise SesameError(f"run {run_id} has no audited warehouse copy to publish")
    del _BUILDS[run_id]
    aside = build.aside
    try:
        os.chmod(aside, PRIVATE_FILE)
        fsync(aside)
        _publish(
            build.root,
            run_id,
            aside,
            build.published,
            build.moves,
            build.settings.backups_kept,
            build.backup_label,
        )
    except OSError as error:
        full = no_room(error)
        if full is None or not aside.exists():
            raise
        aside.unlink(missing_ok=True)
        raise DiskFullError("publish", full[0], full[1]) from None


def _explain(error: BaseException, step: str, aside: Path, published: Path) -> SesameError | None:
    """A failure of the copy said as what it means for the published warehouse: damage to
    the published file (the copy is byte for byte the same) or a full disk; else None."""
    if isinstance(error, SesameError):
        return None
    if is_damage(error):
        detail = str(error).replace(str(aside), str(published)).splitlines()[0]
        return WarehouseDamagedError(str(published), detail)
    full = no_room(error)
    if full is not None:
        return DiskFullError(step, full[0], full[1])
    return None


JOURNAL_PREFIX = ".publish-"


def _publish(
    root: Path,
    run_id: str,
    aside: Path,
    published: Path,
    moves: list[tuple[Path, Path]],
    backups_kept: int,
    backup_label: str = "",
) -> None:
    """Keeps the file being replaced as a backup (a hard link: no copy), replaces the
    database, then moves the aside files in place. A journal written first lets the next run
    finish the moves if this process dies after the database's rename."""
    if backups_kept > 0 or backup_label:
        keep_backup(root, published, backup_label)
    journal = root / f"{JOURNAL_PREFIX}{run_id}.json"
    temporary = journal.with_suffix(".tmp")
    temporary.write_text(
        json.dumps({"aside": str(aside), "moves": [[str(a), str(f)] for a, f in moves]})
    )
    os.chmod(temporary, PRIVATE_FILE)
    fsync(temporary)
    os.replace(temporary, journal)
    fsync_dir(root)
    pause_point("publish")
    os.replace(aside, published)  # the one step that publishes the database
    fsync_dir(root)
    pause_point("moves")
    move_into_place(moves)
    journal.unlink()
    prune_backups(root, backups_kept)


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
        *root.glob(f"{BACKUP_DIR}/.copy-*"),
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
    build = _BUILDS.get(run_id)
    if build is None or build.con is None:
        raise SesameError(f"run {run_id} is not building a warehouse copy")
    return build.con


def connect_read_only(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse (for sql, explain, tests)."""
    path = settings.database_path()
    if not path.exists():
        raise UsageError(
            f"no warehouse at {path}: run `sesame nightly --warehouse {settings.warehouse}` first"
        )
    con = duckdb.connect(str(path), read_only=True)
    con.execute("set memory_limit = $limit", {"limit": settings.memory_limit})
    run_script(con, "ddl/macros")
    return con


def has_snapshot(settings: Settings, snapshot_date: date) -> bool:
    """Whether the published warehouse holds snapshots of ``snapshot_date``."""
    con = connect_read_only(settings)
    try:
        found = relation(con, "database/has_snapshot", {"snapshot_date": snapshot_date})
        return bool(found.fetchall()[0][0])
    finally:
        con.close()
