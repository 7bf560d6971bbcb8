"""A damaged warehouse file and a full disk, told apart from other failures.

``is_damage`` and ``no_room`` read an error for what it means; ``verify_database`` reads every
block of a DuckDB file once, so that a damaged one stops a run before it publishes anything
(and a restore before it puts a damaged backup back).
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import duckdb

from sesame.errors import WarehouseDamagedError
from sesame.sqlmodels import relation

# DuckDB's words for a file that fails its checksums or ends early
DAMAGE_MARKERS = (
    "Corrupt database file",
    "Could not read enough bytes",
    "checksum",
    "not a valid DuckDB database",
)


def is_damage(error: BaseException) -> bool:
    """Whether a DuckDB error says that a database file is damaged."""
    return isinstance(error, duckdb.Error) and any(m in str(error) for m in DAMAGE_MARKERS)


def no_room(error: BaseException) -> tuple[str, str] | None:
    """(path, detail) when ``error`` is a write that failed for want of room, else None:
    an ``OSError`` with ENOSPC, EDQUOT or EFBIG, or DuckDB's IO error carrying the same."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        # a copy names its source first and what it was writing second
        return str(error.filename2 or error.filename or "?"), os.strerror(error.errno)
    if isinstance(error, duckdb.Error):
        text = str(error)
        for code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            if os.strerror(code) in text:
                quoted = re.search(r'"([^"]+)"', text)
                return (quoted.group(1) if quoted else "?"), os.strerror(code)
    return None


def verify_database(path: Path, *, shown_as: Path | None = None, memory_limit: str = "1GB") -> None:
    """Reads every column of every table of the DuckDB file at ``path`` once, so that DuckDB
    checks every block's checksum; raises ``WarehouseDamagedError`` naming the first table
    that fails (and the file as ``shown_as``: the published file a copy was made from).

    The reads stream (a count and a hash per table), so ``memory_limit`` only caps the blocks
    DuckDB would keep cached: without it, its default of 80% of the machine let the cache grow
    with the whole file (peak RSS 4.3 GB for 4.1 GB at 200k users and 365 snapshots)."""
    name = str(shown_as or path)
    try:
        con = duckdb.connect(str(path), read_only=True, config={"memory_limit": memory_limit})
    except duckdb.Error as error:
        if not is_damage(error):
            raise
        raise WarehouseDamagedError(name, str(error).replace(str(path), name)) from None
    try:
        tables = relation(con, "database/table_names").fetchall()
        for (table,) in tables:
            try:
                # hash(t) is the row: every column's blocks are read and checked
                con.execute(f'select count(*), bit_xor(hash(t)) from "{table}" as t').fetchall()
            except duckdb.Error as error:
                if not is_damage(error):
                    raise
                detail = str(error).replace(str(path), name).splitlines()[0]
                raise WarehouseDamagedError(name, f"table {table}: {detail}") from None
    finally:
        con.close()
