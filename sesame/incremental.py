"""Incremental nights: score again only the users whose snapshot can have changed.

A night for D is incremental when the latest snapshot of the same card is for P = D - 1 day in
the same month (and every challenger card has its rows of P): then only the users of
``sql/intermediate/int_rescored_users.sql`` are scored (new or changed rows, an edge of a window
passing one of their events, an unpaid bill ageing, a refresh day, a friend's published score
changing; a user there for a friend's score alone has only the relationships dimension computed
again, the others' aggregates taken from P), and every other user's rows of P (snapshot,
aggregates, repair decisions, challenger rows) are carried to D unchanged, with
``carried_from`` saying since when. Anything else is a full night: the first night, a gap, the
1st of a month (month-based windows move), a date before the latest, another card, or
``--full``. ``tests/sql/test_incremental.py`` holds 60 random nights of new rows, corrections,
late files and repairs equal to full ones, row for row.

Ingest records the users it touches in ``user_changes`` (``record_user_changes``); scoring the
latest date empties it (``consume_changes``): that date saw every change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb

from sesame.sqlmodels import relation, run_script, run_statements
from sesame.transforms.scorecard import Scorecard


@dataclass(frozen=True)
class Basis:
    """How a date is scored: incremental from ``previous`` (None: full), and why."""

    previous: date | None
    before_previous: date | None
    why: str
    # a user scored again only for a friend's score takes the other dimensions from P (false
    # when a challenger with other windows scores the same requests: it needs its own)
    friends_only: bool = False

    @property
    def parameters(self) -> dict[str, Any]:
        return {
            "previous_date": self.previous,
            "before_previous_date": self.before_previous,
            "friends_only_rescore": self.friends_only,
        }


def record_user_changes(con: duckdb.DuckDBPyConnection, loaded: str, replaced: str | None) -> None:
    """Appends the users of one ingest's ``loaded`` rows and of the ``replaced`` (or taken out)
    stored rows to ``user_changes``. Skipped while there is no snapshot: every night then is
    full, and a first load would list every user."""
    if not relation(con, "incremental_basis/any_snapshot").fetchall()[0][0]:
        return
    source = f"select user_id from ({loaded})"
    if replaced is not None:
        source += f" union select user_id from ({replaced})"
    con.execute(
        f"insert into user_changes select distinct user_id from ({source}) "
        "where user_id is not null"
    )


def basis(
    con: duckdb.DuckDBPyConnection,
    card: Scorecard,
    challengers: tuple[Scorecard, ...],
    snapshot_date: date,
    *,
    full: bool,
) -> Basis:
    """Whether ``snapshot_date`` can be scored incrementally, and from which date."""
    if full:
        return Basis(None, None, "a full re-score was asked for")
    previous = snapshot_date - timedelta(days=1)
    if previous.month != snapshot_date.month:
        return Basis(None, None, "the first day of a month (month-based windows move)")
    latest = relation(con, "incremental_basis/latest_snapshot").fetchall()[0]
    if latest[0] != previous:
        return Basis(None, None, "no snapshot of the day before is the latest")
    if latest[1] != card.model_version:
        return Basis(None, None, f"the day before was scored by {latest[1]}")
    for challenger in challengers:
        rows = relation(
            con,
            "incremental_basis/challenger_has_date",
            {"previous": previous, "version": challenger.model_version},
        ).fetchall()[0][0]
        if not rows:
            return Basis(None, None, f"challenger {challenger.model_version} has no rows of it")
    before = relation(
        con, "database/latest_snapshot_before", {"snapshot_date": previous}
    ).fetchall()[0][0]
    same_windows = all(c.parameters == card.parameters for c in challengers)
    return Basis(previous, before, f"incremental from {previous.isoformat()}", same_windows)


def carry_forward(
    con: duckdb.DuckDBPyConnection,
    parameters: dict[str, Any],
    challengers: tuple[Scorecard, ...],
) -> None:
    """Stages, for the partition's users not scored again, their rows of the previous date as
    rows of the snapshot date (after the scored ones are staged): sql/incremental/
    carry_forward.sql, for the snapshots, aggregates, repair decisions and challenger rows."""
    versions = [challenger.model_version for challenger in challengers]
    run_statements(con, "incremental/carry_forward", parameters | {"challengers": versions})


def consume_changes(con: duckdb.DuckDBPyConnection, snapshot_date: date) -> None:
    """Empties ``user_changes`` when ``snapshot_date`` is the latest snapshot (before its rows
    are written): it was scored with every change ingest recorded."""
    latest = relation(con, "database/latest_snapshot_date").fetchall()[0][0]
    if latest is None or snapshot_date >= latest:
        run_script(con, "incremental_basis/consume_changes")
