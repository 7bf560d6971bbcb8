"""The Parquet copies of the snapshots: ``score_snapshots/snapshot_date=<D>/data.parquet``.

Every date's snapshots are written beside the database (it keeps only the month-ends and the
last days, ``sesame.retention``), as a temporary file that moves in place once the database is
published (``building``'s ``moves``).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from sesame.files import PRIVATE_FILE, ensure_private_dir
from sesame.settings import Settings
from sesame.sqlmodels import relation

PARQUET_BATCH_ROWS = 256_000


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
        reader = relation(
            con, "snapshot_files/snapshot_copy", {"snapshot_date": snapshot_date}
        ).to_arrow_reader(PARQUET_BATCH_ROWS)
        with pq.ParquetWriter(temporary, reader.schema, compression="zstd") as writer:
            for batch in reader:
                writer.write_batch(batch)
        os.chmod(temporary, PRIVATE_FILE)
        pending.append((temporary, final))
    return pending
