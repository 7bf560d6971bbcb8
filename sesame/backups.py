"""The warehouse's backups: the published file as each run replaced it, kept as a hard link.

``keep_backup`` is called by the publish step (``sesame.warehouse``) and by a restore or a
rebuild (``sesame.recovery``), which name theirs ``...-before-*`` and keep them until their
user removes them; ``prune_backups`` keeps the ``backups_kept`` newest of the others.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from sesame.files import copy_private, ensure_private_dir, fsync_dir

BACKUP_DIR = "backups"
BACKUP_SUFFIX = ".duckdb"


def backup_dir(root: Path) -> Path:
    return root / BACKUP_DIR


def keep_backup(root: Path, published: Path, label: str = "") -> Path | None:
    """Keeps the published file as ``backups/sesame-<its UTC time><label>.duckdb``. Runs never
    write the published file in place (they publish a new file over it), so a hard link to it
    stays the file as it was published, at no cost in time; where links are not possible
    (another file system), it is copied (a clone where the file system can). None when there
    is no published file."""
    if not published.exists():
        return None
    folder = ensure_private_dir(backup_dir(root))
    stamp = datetime.fromtimestamp(published.stat().st_mtime, UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    backup = folder / f"sesame-{stamp}{label}{BACKUP_SUFFIX}"
    if backup.exists():
        return backup  # kept already (a run that stopped after keeping it)
    try:
        os.link(published, backup)
    except OSError:
        temporary = folder / f".copy-{backup.name}"
        temporary.unlink(missing_ok=True)  # left by a run that was killed while copying
        copy_private(published, temporary)
        os.replace(temporary, backup)
    fsync_dir(folder)
    return backup


def backups(root: Path) -> list[Path]:
    """The kept backups, newest first."""
    folder = backup_dir(root)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"sesame-*{BACKUP_SUFFIX}"), key=lambda p: p.name, reverse=True)


def prune_backups(root: Path, kept: int) -> None:
    """Removes all but the ``kept`` newest run backups (those a restore or a rebuild set aside,
    named ``...-before-*``, stay until their user removes them)."""
    rotating = [b for b in backups(root) if "-before-" not in b.name]
    for old in rotating[kept:]:
        old.unlink(missing_ok=True)
