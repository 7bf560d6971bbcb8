"""Files of credit data: created private to their owner, made durable, moved in place.

Every file and folder sesame writes holds or derives from credit data, so it is readable by
its owner only (``PRIVATE_FILE``, ``PRIVATE_DIR``); what must survive a crash is synced
(``fsync``, ``fsync_dir``); what a run builds aside moves over its final name at the end
(``move_into_place``), in a way that is safe to repeat after a crash.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

PRIVATE_FILE = 0o600  # credit data: readable and writable by the owner only
PRIVATE_DIR = 0o700


def ensure_private_dir(path: Path) -> Path:
    """Creates a directory readable by its owner only (credit data is sensitive)."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    return path


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


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fsync(path)
