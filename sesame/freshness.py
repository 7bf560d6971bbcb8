"""Freshness (contract v2, section 1): a run for D refuses to publish from stale exports.

After ingest, each table's latest event on or before D (its event time, contract section 2:
``schema.Table.event_time``) is read from the staged rows. A table the score depends on (one with
a limit) whose latest event is not later than ``limit`` days before D means the exports stopped
arriving: scores from them would look current and be wrong, so the run stops, unless it is told
to accept stale data. A date before any user registered has nothing to score at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb

from sesame.errors import StaleDataError
from sesame.schema import TABLES
from sesame.settings import Settings
from sesame.sqlmodels import relation

# days before D within which a table must have an event; absent or None: no limit (sparse
# tables such as negative records may go quiet for months)
DEFAULT_LIMITS_DAYS: dict[str, int | None] = {"transactions": 2, "bills": 35}


@dataclass(frozen=True)
class TableFreshness:
    """One table's latest event on or before D, and whether it is too old for its limit."""

    table: str
    event_time: str  # the column
    latest_event: datetime | None  # None: no event on or before D (a date column at midnight)
    limit_days: int | None
    is_stale: bool


def limits_from_settings(settings: Settings) -> dict[str, int | None]:
    """The per-table limits the settings give (``freshness_days_<table>``)."""
    return {
        "transactions": settings.freshness_days_transactions,
        "bills": settings.freshness_days_bills,
    }


def check_freshness(
    con: duckdb.DuckDBPyConnection,
    snapshot_date: date,
    limits_days: Mapping[str, int | None] | None = None,
    *,
    allow_stale: bool = False,
) -> dict[str, TableFreshness]:
    """Every export table's latest event on or before ``snapshot_date``, by table name.

    Raises ``StaleDataError`` when no user registered by ``snapshot_date`` (always), or when a
    table with a limit has no event later than ``limit`` days before it (unless
    ``allow_stale``: then the stale tables are only marked ``is_stale``). ``limits_days``
    defaults to ``DEFAULT_LIMITS_DAYS``; a table it does not name has no limit."""
    limits = DEFAULT_LIMITS_DAYS if limits_days is None else limits_days
    day_end = datetime.combine(snapshot_date + timedelta(days=1), datetime.min.time())
    found = {}
    for table in TABLES:
        column = f'"{table.event_time}"'
        latest = con.execute(
            f"select cast(max({column}) as timestamp) from stg_{table.name} "
            f"where {column} < $day_end",
            {"day_end": day_end},
        ).fetchall()[0][0]
        limit = limits.get(table.name)
        is_stale = limit is not None and (
            latest is None or latest < day_end - timedelta(days=limit)
        )
        found[table.name] = TableFreshness(table.name, table.event_time, latest, limit, is_stale)
    if found["users"].latest_event is None:
        first = relation(con, "plan/first_registered").fetchall()[0][0]
        held = f"the first user registered on {first:%Y-%m-%d}" if first else "it holds no users"
        raise StaleDataError(
            "users",
            f"no user registered by {snapshot_date} ({held}): there is nothing to score for "
            "that date, choose a later one",
        )
    for entry in found.values():
        if entry.is_stale and not allow_stale:
            latest = (
                f"its latest event ({entry.event_time}) is {entry.latest_event}"
                if entry.latest_event is not None
                else f"it has no event ({entry.event_time}) on or before {snapshot_date}"
            )
            raise StaleDataError(
                entry.table,
                f"{latest}, not later than {entry.limit_days} day(s) before {snapshot_date}: "
                "the exports look stale, so nothing was published. Check the delivery, or run "
                "with --allow-stale to publish anyway",
            )
    return found
