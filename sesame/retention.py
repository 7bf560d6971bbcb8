"""How much history the database keeps, so that a night's cost does not grow with it.

Every run copies ``sesame.duckdb`` aside, reads it whole before publishing and reads earlier
snapshots: a file that gained every user's rows every night made each night slower than the
last (at 200k users the night after 365 daily snapshots took 2.6x the night after 30). So the
database keeps, of the per-user tables that gain rows every night:

- the rows of every **month-end** (the stuck report, the trend, the validation and the outcomes
  read month-ends, back to the first);
- the rows of every date of the **last** ``daily_history_days`` **days** up to the latest
  snapshot (the day before, the friends' scores, the refresh days: 31 days at most).

Older daily dates leave the database in the run that passes them, once their snapshots'
Parquet copy (``score_snapshots/snapshot_date=D/data.parquet``) is published or is being written
by that run: every date's published snapshots stay there for good, and ``sesame sql`` reads them
all as ``score_snapshot_history``. Their reports stay under ``reports/<date>/``. DuckDB reuses
the blocks the removed rows held, so the file stays the size of what it keeps.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from datetime import date, timedelta

import duckdb

from sesame.dates import is_month_end
from sesame.settings import Settings
from sesame.snapshot_files import snapshot_partition
from sesame.sqlmodels import relation

log = logging.getLogger(__name__)

# The per-user tables that gain rows every night, each with its date column. The small
# aggregates (bands, migration, distribution, validation) keep their daily history: it is the
# trend, and a date adds tens of rows to them, not a row per user.
DATED_TABLES = {
    "score_snapshots": "snapshot_date",
    "challenger_snapshots": "snapshot_date",
    "dimension_aggregates": "snapshot_date",
    "repair_decisions": "decided_as_of",
    "report_score_drops": "report_date",
    "report_stuck_users": "report_date",
    "report_tier_changes": "report_date",
    "report_borrowing_risk": "report_date",
    "report_negative_records": "report_date",
    "report_bases": "report_date",  # a stuck report copies an earlier date's rows: not a gone one
    "snapshot_dates": "snapshot_date",
}
# Scores of refresh days with no snapshot of their own: read back 31 days at most
REFRESH_TABLE = ("refresh_day_scores", "refresh_date")


def kept_in_database(day: date, latest: date, days: int) -> bool:
    """Whether the database keeps ``day``'s rows when ``latest`` is its latest snapshot."""
    return is_month_end(day) or day > latest - timedelta(days=days)


def dates_leaving(dates: Iterable[date], days: int) -> list[date]:
    """The dates among ``dates`` (the database's snapshot dates) it no longer keeps."""
    dates = sorted(set(dates))
    if not dates:
        return []
    latest = dates[-1]
    return [d for d in dates if not kept_in_database(d, latest, days)]


def prune_history(
    con: duckdb.DuckDBPyConnection, settings: Settings, written: Collection[date]
) -> list[date]:
    """Removes from the database the rows of the daily dates it no longer keeps, each only
    when its snapshots have a Parquet copy: published already, or among ``written`` (the dates
    whose copy this run writes). Returns the dates removed."""
    dates = [row[0] for row in relation(con, "database/snapshot_dates").fetchall()]
    leaving = [
        d
        for d in dates_leaving(dates, settings.daily_history_days)
        if d in written or snapshot_partition(settings, d).is_file()
    ]
    present = {row[0] for row in relation(con, "database/table_names").fetchall()}
    if leaving:
        for table, column in DATED_TABLES.items():
            if table in present:
                con.execute(
                    f"delete from {table} where {column} in (select unnest($dates))",
                    {"dates": leaving},
                )
        log.info(
            "the database keeps month-ends and the last %d days: %d older daily date(s) now only "
            "in their Parquet copies (%s .. %s)",
            settings.daily_history_days,
            len(leaving),
            leaving[0],
            leaving[-1],
        )
    if dates and REFRESH_TABLE[0] in present:
        table, column = REFRESH_TABLE
        con.execute(
            f"delete from {table} where {column} <= $cutoff",
            {"cutoff": max(dates) - timedelta(days=settings.daily_history_days)},
        )
    return leaving
