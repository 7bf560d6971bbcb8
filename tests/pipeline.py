"""The nightly steps without Prefect's engine, for fast rule tests: the same functions the
flow's tasks wrap (ingest, score a date, publish), on a warehouse in the test's tmp_path."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from sesame.ingest import TableIngest, ingest_exports
from sesame.runs import new_run_id
from sesame.scoring import score_date
from sesame.settings import Settings
from sesame.transforms.scorecard import Scorecard, load_scorecard
from sesame.warehouse import building, connect_read_only, warehouse_lock
from tests.builders import Exports


def run(
    settings: Settings,
    dates: list[date],
    exports: Exports | None = None,
    *,
    card: Scorecard | None = None,
    file_name: str = "part-0.parquet",
) -> list[TableIngest]:
    """Writes ``exports`` (if given) to the export directory as ``file_name`` in each table's
    folder (a delivered file must not change: a second delivery takes another name), ingests,
    scores ``dates`` in order with ``card`` (default: the champion)."""
    if exports is not None:
        exports.write(settings.input, file_name)
    card = card or load_scorecard()
    run_id = new_run_id("test", dates[-1] if dates else None)
    with warehouse_lock(settings), building(settings, run_id) as con:
        ingested = ingest_exports(con, settings.input, run_id, settings.max_bad_row_share)
        for snapshot_date in dates:
            score_date(con, settings, card, snapshot_date, run_id)
    return ingested


def query(settings: Settings, sql: str, parameters: dict[str, Any] | None = None) -> pl.DataFrame:
    """Reads the published warehouse."""
    con = connect_read_only(settings)
    try:
        return con.sql(sql, params=parameters or {}).pl()
    finally:
        con.close()


def snapshot(settings: Settings, snapshot_date: date) -> dict[int, dict[str, Any]]:
    """One date's snapshot rows by user_id."""
    frame = query(
        settings,
        "select * from score_snapshots where snapshot_date = $d order by user_id",
        {"d": snapshot_date},
    )
    return {row["user_id"]: row for row in frame.iter_rows(named=True)}


def scores(settings: Settings, snapshot_date: date) -> dict[int, int | None]:
    return {user: row["score"] for user, row in snapshot(settings, snapshot_date).items()}
