"""copy_private: the copy a run makes of the warehouse before it writes.

Whether a folder's file system clones is asked of ``cp --reflink=always`` (coreutils), which
fails where there are no reflinks: an independent answer to hold ``copy_private`` to. The
folder is pytest's, and also ``SESAME_TEST_REFLINK_DIR`` when set (e.g. an XFS mount made with
``mkfs.xfs -m reflink=1``), so that both the clone and the copy are exercised.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sesame.files import PRIVATE_FILE, copy_private


@pytest.fixture
def folders(tmp_path: Path) -> Iterator[list[Path]]:
    extra = os.environ.get("SESAME_TEST_REFLINK_DIR")
    if not extra:
        yield [tmp_path]
        return
    folder = Path(extra) / f"sesame-test-{os.getpid()}-{tmp_path.name}"
    folder.mkdir(parents=True)
    try:
        yield [tmp_path, folder]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _clones(folder: Path) -> bool:
    """coreutils' answer: does ``cp --reflink=always`` work in ``folder``?"""
    probe = folder / "probe"
    probe.write_bytes(b"x" * 8192)
    done = subprocess.run(
        ["cp", "--reflink=always", str(probe), str(folder / "probe-clone")],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.mark.skipif(shutil.which("cp") is None, reason="no cp")
def test_copy_private_clones_where_the_file_system_can_and_copies_elsewhere(
    folders: list[Path],
) -> None:
    payload = os.urandom(3 * 1024 * 1024 + 17)  # not a whole number of blocks
    for folder in folders:
        source = folder / "sesame.duckdb"
        source.write_bytes(payload)
        os.chmod(source, 0o644)
        target = folder / "aside.duckdb"

        cloned = copy_private(source, target)

        assert cloned is _clones(folder), folder
        assert target.read_bytes() == payload
        assert stat.S_IMODE(target.stat().st_mode) == PRIVATE_FILE
        # a clone shares blocks until one side writes: the source stays as it was
        with open(target, "r+b") as handle:
            handle.write(b"changed")
        assert source.read_bytes() == payload


def test_copy_private_never_writes_over_a_file_that_is_there(tmp_path: Path) -> None:
    source = tmp_path / "sesame.duckdb"
    source.write_bytes(b"new")
    target = tmp_path / "aside.duckdb"
    target.write_bytes(b"someone else's")

    with pytest.raises(FileExistsError):
        copy_private(source, target)

    assert target.read_bytes() == b"someone else's"


def test_copy_private_leaves_nothing_when_the_source_is_missing(tmp_path: Path) -> None:
    target = tmp_path / "aside.duckdb"

    with pytest.raises(FileNotFoundError):
        copy_private(tmp_path / "missing.duckdb", target)

    assert not target.exists()
