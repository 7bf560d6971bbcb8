"""A way back from a damaged or wrong warehouse: the kept backups, ``sesame restore`` and what
``sesame rebuild`` takes from the Parquet snapshot copies.

Every publish keeps the file it replaces in ``<warehouse>/backups/`` (``backups_kept``, see
``sesame.backups.keep_backup``). ``restore`` verifies a backup and publishes it again, keeping
the file it replaces beside the others (``...-before-restore.duckdb``), so a restore can itself
be undone. ``rebuild`` (a flow, ``sesame.flows.nightly.rebuild_flow``) makes a new warehouse
from the exports and puts back every published snapshot from its Parquet copy.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from sesame.backups import backups, keep_backup
from sesame.damage import verify_database
from sesame.errors import SesameError, UsageError, WarehouseDamagedError
from sesame.files import PRIVATE_FILE
from sesame.runs import RunSummary, new_run_id, write_run_log
from sesame.scoring import DateResult
from sesame.settings import Settings
from sesame.snapshot_files import snapshot_partition
from sesame.sqlmodels import relation, run_script, run_statements
from sesame.warehouse import ASIDE_PREFIX, recover, warehouse_lock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backup:
    """One kept warehouse file, as ``sesame restore --list`` shows it."""

    path: Path
    saved_at: datetime  # when it was published (its modification time)
    size_bytes: int
    latest_snapshot: date | None  # None: the file does not open
    last_run: str | None

    @property
    def name(self) -> str:
        return self.path.name


def list_backups(settings: Settings) -> list[Backup]:
    """The kept backups, newest first, each with its latest snapshot date and last run (read
    from the file; a file that does not open shows none)."""
    kept = []
    for path in backups(settings.warehouse):
        latest, last_run, _ = _contents(path)
        stat = path.stat()
        kept.append(
            Backup(path, datetime.fromtimestamp(stat.st_mtime), stat.st_size, latest, last_run)
        )
    return kept


def _contents(path: Path) -> tuple[date | None, str | None, str | None]:
    """A warehouse file's latest snapshot date, last successful run and the model of its
    latest snapshot; all None when it does not open."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None, None, None
    try:
        latest = relation(con, "recovery/newest_snapshot_row").fetchall()
        run = relation(con, "recovery/last_succeeded_run").fetchall()
    except duckdb.Error:
        return None, None, None
    finally:
        con.close()
    day, model = latest[0] if latest else (None, None)
    return day, run[0][0] if run else None, model


@dataclass(frozen=True)
class Restored:
    backup: Path
    replaced: Path | None  # the file it replaced, kept as ...-before-restore.duckdb
    latest_snapshot: date | None


def restore(settings: Settings, name: str | None = None) -> Restored:
    """Publishes a kept backup again (``name``: its file name; default the newest one that
    passes verification), after reading every table of it. The published file it replaces is
    kept as a backup. Holds the warehouse lock; the next run records the restore in ``runs``."""
    kept = backups(settings.warehouse)
    if not kept:
        raise UsageError(
            f"no backups in {settings.warehouse / 'backups'}: nothing to restore; "
            "`sesame rebuild` recreates the warehouse from the exports and the Parquet copies"
        )
    if name is not None:
        chosen = [b for b in kept if b.name == name or str(b) == name]
        if not chosen:
            listed = ", ".join(b.name for b in kept)
            raise UsageError(f"no backup named {name!r}; kept: {listed}")
        candidates = chosen
    else:
        candidates = kept
    with warehouse_lock(settings):
        recover(settings)
        backup = None
        for candidate in candidates:
            try:
                verify_database(candidate, memory_limit=settings.memory_limit)
            except WarehouseDamagedError as error:
                if name is not None:
                    raise
                log.warning("skipping the backup %s: %s", candidate.name, error.args[0])
                continue
            backup = candidate
            break
        if backup is None:
            raise SesameError(
                "every kept backup is damaged; recreate the warehouse with `sesame rebuild`"
            )
        published = settings.database_path()
        replaced = keep_backup(settings.warehouse, published, "-before-restore")
        aside = settings.warehouse / f"{ASIDE_PREFIX}restore"
        aside.unlink(missing_ok=True)
        os.link(backup, aside)  # never written in place, so sharing it is safe
        os.chmod(aside, PRIVATE_FILE)
        os.replace(aside, published)
        latest, _, model = _contents(published)
        summary = RunSummary(
            new_run_id("restore", latest), "restore", latest, str(settings.warehouse), model or ""
        )
        summary.finished_at = datetime.now()
        write_run_log(settings, summary.row("succeeded"))
    log.info("restored %s as %s", backup.name, published)
    return Restored(backup, replaced, latest)


def kept_snapshot_dates(settings: Settings) -> list[date]:
    """The dates whose snapshots have a Parquet copy beside the warehouse, oldest first."""
    folder = settings.warehouse / "score_snapshots"
    dates = []
    for partition in folder.glob("snapshot_date=*"):
        if (partition / "data.parquet").is_file():
            try:
                dates.append(date.fromisoformat(partition.name.removeprefix("snapshot_date=")))
            except ValueError:
                continue
    return sorted(dates)


def put_back_kept_snapshots(
    con: duckdb.DuckDBPyConnection, settings: Settings, day: date
) -> DateResult:
    """Replaces ``day``'s snapshots (just scored again by a rebuild) with the published ones
    from its Parquet copy, and its ``snapshot_dates`` row with theirs: a rebuild changes no
    published score."""
    path = str(snapshot_partition(settings, day))
    run_statements(con, "recovery/put_back_snapshots", {"day": day, "path": path})
    rows = relation(con, "recovery/kept_tiers", {"day": day}).fetchall()
    tiers = {tier: int(count) for tier, count in rows}
    return DateResult(
        snapshot_date=day,
        users=sum(tiers.values()),
        unscorable=tiers.get("unscorable", 0),
        tiers=tiers,
    )


def carry_runs(con: duckdb.DuckDBPyConnection, published: Path) -> int:
    """Copies the ``runs`` rows of the file a rebuild replaces, when that table still reads:
    the audit trail survives a rebuild. Returns the rows carried (0 when it does not read)."""
    if not published.exists():
        return 0
    try:
        old = duckdb.connect(str(published), read_only=True)
    except duckdb.Error:
        return 0
    try:
        frame = relation(old, "recovery/replaced_runs").to_arrow_table()
    except duckdb.Error as error:
        log.warning("the runs of the replaced warehouse do not read (%s): not carried", error)
        return 0
    finally:
        old.close()
    con.register("carried_runs", frame)
    try:
        run_script(con, "recovery/carry_runs")
    finally:
        con.unregister("carried_runs")
    return frame.num_rows
