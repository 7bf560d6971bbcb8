"""One user's score, explained: dimensions, points per characteristic, reasons, history, and
the actions that would raise it most (each re-scored with that one factor at its best bin)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from sesame.errors import SesameError
from sesame.transforms.actions import best_actions
from sesame.transforms.scorecard import Scorecard, points_column, score_features


@dataclass(frozen=True)
class Explanation:
    """Everything ``sesame explain`` shows about one user at one date."""

    snapshot: dict[str, Any]
    points: list[dict[str, Any]]  # one per characteristic: value, points, best, lost
    history: list[dict[str, Any]]
    actions: list[dict[str, Any]]  # what would raise the score most: code, action, points


def explain_user(
    con: duckdb.DuckDBPyConnection, card: Scorecard, user_id: int, as_of: date | None
) -> Explanation:
    """Reads the user's latest snapshot on or before ``as_of`` and re-derives its points."""
    found = con.sql(
        "select * from score_snapshots where user_id = $user_id "
        "and ($as_of is null or snapshot_date <= $as_of) order by snapshot_date desc limit 1",
        params={"user_id": user_id, "as_of": as_of},
    ).pl()
    if found.is_empty():
        when = f" on or before {as_of}" if as_of else ""
        raise SesameError(f"user {user_id} has no snapshot{when} in this warehouse")
    snapshot = found.row(0, named=True)
    aggregates = con.sql(
        "select * from dimension_aggregates where user_id = $user_id "
        "and snapshot_date = $snapshot_date",
        params={"user_id": user_id, "snapshot_date": snapshot["snapshot_date"]},
    ).pl()
    points: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    if not aggregates.is_empty() and snapshot["score"] is not None:
        actions = best_actions(aggregates.lazy(), card=card).collect().to_dicts()
    if not aggregates.is_empty():
        scored = score_features(aggregates.lazy(), card=card).collect().row(0, named=True)
        for characteristic in card.characteristics:
            value = scored[characteristic.name]
            got = scored[points_column(characteristic.name)]
            best = round(characteristic.best_points)
            points.append(
                {
                    "characteristic": characteristic.name,
                    "dimension": characteristic.dimension,
                    "description": characteristic.description,
                    "value": value,
                    "points": got,
                    "best": best,
                    "lost": best - got,
                    "reason_code": characteristic.reason_code,
                }
            )
    history = (
        con.sql(
            "select snapshot_date, score, published_score, tier from score_snapshots "
            "where user_id = $user_id order by snapshot_date",
            params={"user_id": user_id},
        )
        .pl()
        .to_dicts()
    )
    return Explanation(snapshot=snapshot, points=points, history=history, actions=actions)
