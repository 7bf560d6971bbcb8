"""Files of credit data: created private to their owner, made durable, moved in place.

Every file and folder sesame writes holds or derives from credit data, so it is readable by
its owner only (``PRIVATE_FILE``, ``PRIVATE_DIR``); what must survive a crash is synced
(``fsync``, ``fsync_dir``); what a run builds aside moves over its final name at the end
(``move_into_place``), in a way that is safe to repeat after a crash. A copy
(``copy_private``) is a reflink clone where the file system has them (XFS, Btrfs, ...): no data
is copied, and the blocks are shared until one side writes them.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
from pathlib import Path

PRIVATE_FILE = 0o600  # credit data: readable and writable by the owner only
PRIVATE_DIR = 0o700
FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int), clone a whole file (a reflink)
# what a file system without reflinks (ext4, tmpfs, overlay) or another device answers
NOT_CLONABLE = {errno.EOPNOTSUPP, errno.ENOTTY, errno.EXDEV, errno.EINVAL, errno.ENOSYS}


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


def copy_private(source: Path, target: Path) -> bool:
    """Copies ``source`` to a new file ``target`` readable by its owner only. True when it was a
    reflink clone (no data copied: the time and the disk do not grow with the file's size),
    False when the file system has none and the bytes were copied. ``target`` must not exist."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        try:
            with open(source, "rb") as src:
                fcntl.ioctl(fd, FICLONE, src.fileno())
            return True
        except OSError as error:
            if error.errno not in NOT_CLONABLE:
                raise
        finally:
            os.close(fd)
        shutil.copyfile(source, target)  # the file exists, private: copyfile keeps its mode
        return False
    except BaseException:
        target.unlink(missing_ok=True)
        raise
