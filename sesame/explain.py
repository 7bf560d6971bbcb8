"""One user's score, explained: dimensions, points per characteristic, reasons, history, and
the actions that would raise it most (each re-scored with that one factor at its best bin).

``plan_user`` answers "how do I reach N?": the fewest actions that reach N now
(``plan_to_target``), or else the first future month-end at which time-bound factors (records
ageing out, windows moving on, history growing) reach it with every action taken, found by
re-running the nightly's feature models for that one user at future month-ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import duckdb
import polars as pl

from sesame.dates import month_ends_after
from sesame.errors import UsageError
from sesame.partitions import in_range
from sesame.scoring import FEATURE_TABLES, date_parameters, run_feature_models
from sesame.settings import Settings
from sesame.sqlmodels import execute, read_sql, relation
from sesame.transforms.actions import actionable_codes, best_actions, plan_to_target
from sesame.transforms.scorecard import DIMENSIONS, Scorecard, points_column, score_features

# How far ahead the planner looks for time-bound factors to reach a target, in years: longer
# than the longest retention of the contract (5 years after a record is resolved), and short
# enough to re-run the feature models for one user at each month-end (72 dates) in a second.
PLAN_HORIZON_YEARS = 6
# The reason codes whose characteristics change with time alone, by the contract's windows and
# retentions (section 2 and the card's parameters): records stop counting after their retention,
# phone and address changes and platform violations leave their windows, history grows. A paid-late
# bill leaving its lookback is time-bound too, but the card marks overdue_payments actionable (an
# unpaid bill is repaid, a forgotten one repaired), so the planner treats it as an action.
TIME_BOUND_CODES = frozenset(
    {
        "negative_record_legal",
        "negative_record_financial",
        "negative_record_life",
        "frequent_phone_change",
        "frequent_address_change",
        "platform_violation",
        "short_history",
    }
)


@dataclass(frozen=True)
class Explanation:
    """Everything ``sesame explain`` shows about one user at one date."""

    snapshot: dict[str, Any]
    points: list[dict[str, Any]]  # one per characteristic: value, points, best, lost
    history: list[dict[str, Any]]
    actions: list[dict[str, Any]]  # what would raise the score most: code, action, points
    since: dict[str, Any] | None = None  # what changed since the previous snapshot (Since)


def explain_user(
    con: duckdb.DuckDBPyConnection, card: Scorecard, user_id: int, as_of: date | None
) -> Explanation:
    """Reads the user's latest snapshot on or before ``as_of`` and re-derives its points."""
    snapshot, aggregates = _latest(con, user_id, as_of)
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
    history = relation(con, "explain/history", {"user_id": user_id}).pl().to_dicts()
    since = _since_previous(con, card, snapshot, aggregates)
    return Explanation(
        snapshot=snapshot, points=points, history=history, actions=actions, since=since
    )


# the new events of report_score_drops (written for the users whose score fell on a report date)
NEW_EVENTS = {
    "new_overdue_bill_ids": "overdue bills",
    "new_negative_record_ids": "negative records",
    "new_profile_change_ids": "profile changes",
    "new_loan_application_ids": "loan applications",
    "new_risk_event_ids": "platform violations",
}


def _since_previous(
    con: duckdb.DuckDBPyConnection,
    card: Scorecard,
    snapshot: dict[str, Any],
    aggregates: pl.DataFrame,
) -> dict[str, Any] | None:
    """What changed since the user's previous snapshot: the score and sub-scores then and now,
    the characteristics whose points moved (re-scored with this card, so they sum to the
    change when both snapshots were scored by it) and, for a fall on a report date, the new
    events that report_score_drops found. None without an earlier snapshot."""
    from sesame.transforms.drops import point_changes

    user_id, day = snapshot["user_id"], snapshot["snapshot_date"]
    found = _snapshot_with_aggregates(con, user_id, day, before=True)
    if found is None:
        return None
    previous, before = found
    changes: list[dict[str, Any]] = []
    if not before.is_empty() and not aggregates.is_empty():
        moved = point_changes(before.lazy(), aggregates.lazy(), card=card).collect()
        if moved.height:
            changes = moved["point_changes"][0].to_list()
    events: dict[str, list[int]] | None = None
    try:
        drop = con.sql(
            f"select {', '.join(NEW_EVENTS)} from report_score_drops "
            "where report_date = $report_date and user_id = $user_id",
            params={"user_id": user_id, "report_date": day},
        ).pl()
    except duckdb.CatalogException:  # a warehouse whose reports were never written
        drop = pl.DataFrame()
    if drop.height:
        events = {NEW_EVENTS[column]: drop[column][0].to_list() for column in NEW_EVENTS}
    score, then = snapshot["score"], previous["score"]
    return {
        "previous_date": previous["snapshot_date"],
        "previous_score": then,
        "score": score,
        "score_change": None if score is None or then is None else score - then,
        "same_model": previous["model_version"] == snapshot["model_version"],
        "previous_model_version": previous["model_version"],
        "dimensions": {
            name: {"previous": previous[name], "now": snapshot[name]} for name in DIMENSIONS
        },
        "previous_reasons": list(previous["reasons"] or []),
        "point_changes": changes,
        "new_events": events,
    }


def _latest(
    con: duckdb.DuckDBPyConnection, user_id: int, as_of: date | None
) -> tuple[dict[str, Any], pl.DataFrame]:
    """The user's latest snapshot row on or before ``as_of`` and its aggregates (0 or 1 row)."""
    found = _snapshot_with_aggregates(con, user_id, as_of, before=False)
    if found is None:
        when = f" on or before {as_of}" if as_of else ""
        raise UsageError(f"user {user_id} has no snapshot{when} in this warehouse")
    return found


def _snapshot_with_aggregates(
    con: duckdb.DuckDBPyConnection, user_id: int, day: date | None, *, before: bool
) -> tuple[dict[str, Any], pl.DataFrame] | None:
    """The user's latest snapshot row before ``day`` (``before``) or on or before it (None: the
    latest of all), and its aggregates (0 or 1 row); None without such a snapshot."""
    found = relation(
        con, "explain/user_snapshot", {"user_id": user_id, "day": day, "before": before}
    ).pl()
    if found.is_empty():
        return None
    snapshot = found.row(0, named=True)
    aggregates = relation(
        con,
        "explain/user_aggregates",
        {"user_id": user_id, "snapshot_date": snapshot["snapshot_date"]},
    ).pl()
    return snapshot, aggregates


PlanStatus = Literal["reached", "actions", "time", "out_of_reach", "unscorable"]


@dataclass(frozen=True)
class Plan:
    """How one user reaches a target score (``sesame explain USER --target N``).

    status: ``reached`` (already at or above it), ``actions`` (``actions`` reach it now),
    ``time`` (no set of actions does; with every action taken, time-bound factors reach it on
    ``reached_on``), ``out_of_reach`` (not even that within ``horizon_end``), ``unscorable``.
    """

    user_id: int
    snapshot_date: date
    current_score: int | None
    target: int
    status: PlanStatus
    # the plan's steps: step, reason_code, action, points_gained (alone), plan_score (all)
    actions: list[dict[str, Any]] = field(default_factory=list)
    plan_score: int | None = None  # after the plan; with every action taken in the time cases
    reached_on: date | None = None
    horizon_end: date | None = None
    # the factors only time changes (not actionable, in TIME_BOUND_CODES) that cost the user
    # points now: reason_code, characteristics, points_lost, how (the card's text)
    time_bound: list[dict[str, Any]] = field(default_factory=list)
    # the other not-actionable factors that cost points now (neither an action nor time moves
    # them here, e.g. assets not linked): the same keys
    fixed: list[dict[str, Any]] = field(default_factory=list)
    # the time-bound factors that gained points by reached_on: reason_code, points_gained
    aged_out: list[dict[str, Any]] = field(default_factory=list)


def with_every_action(features: pl.LazyFrame, *, card: Scorecard) -> pl.LazyFrame:
    """Grain: one row per row of ``features``, every actionable characteristic at its best."""
    return features.with_columns(
        pl.lit(c.best_value, dtype=pl.Float64).alias(c.name)
        for characteristics in actionable_codes(card).values()
        for c in characteristics
    )


def _time_bound_points(card: Scorecard, scored: dict[str, Any]) -> dict[str, int]:
    """Per not-actionable reason code: the whole points a scored row has of its characteristics."""
    points: dict[str, int] = {}
    for characteristic in card.characteristics:
        if not characteristic.actionable:
            code = characteristic.reason_code
            points[code] = points.get(code, 0) + int(scored[points_column(characteristic.name)])
    return points


def future_features(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    card: Scorecard,
    user_id: int,
    dates: list[date],
) -> pl.DataFrame:
    """One user's characteristics at ``dates``, from the nightly's own feature models.

    The staged tables hold every event known; a future date sees the same events with its
    windows moved (records past their retention, bills past the lookback, changes past their
    window, more months of history). The models' inputs and outputs are temporary tables, so
    this works on a read-only connection; they are dropped afterwards.
    """
    execute(con, read_sql("explain/future_requests"), {"user_id": user_id, "dates": dates})
    # $snapshot_date bounds the friends' published scores a request sees: all of them
    parameters = (
        date_parameters(settings, card, dates[-1], "explain")
        | in_range((user_id, user_id))
        | {"previous_date": None}
    )  # every dimension computed: no friends_only request
    try:
        run_feature_models(con, parameters)
        return relation(con, "explain/future_features").pl()
    finally:
        for table in ("score_requests", *FEATURE_TABLES):
            con.execute(f'drop table if exists temp.main."{table}"')


def plan_user(
    con: duckdb.DuckDBPyConnection,
    card: Scorecard,
    settings: Settings,
    user_id: int,
    target: int,
    as_of: date | None = None,
    *,
    horizon_years: int = PLAN_HORIZON_YEARS,
) -> Plan:
    """How ``user_id`` reaches ``target`` from their latest snapshot on or before ``as_of``."""
    snapshot, aggregates = _latest(con, user_id, as_of)
    snapshot_date: date = snapshot["snapshot_date"]
    current = snapshot["score"]
    if current is None or aggregates.is_empty():
        return Plan(user_id, snapshot_date, None, target, "unscorable")
    features = aggregates.lazy()
    now = score_features(features, card=card).collect().row(0, named=True)
    time_bound: list[dict[str, Any]] = []
    fixed: list[dict[str, Any]] = []
    for code in dict.fromkeys(c.reason_code for c in card.characteristics if not c.actionable):
        characteristics = [c for c in card.characteristics if c.reason_code == code]
        lost = sum(round(c.best_points) - now[points_column(c.name)] for c in characteristics)
        if lost > 0:
            (time_bound if code in TIME_BOUND_CODES else fixed).append(
                {
                    "reason_code": code,
                    "characteristics": [c.name for c in characteristics],
                    "points_lost": int(lost),
                    "how": characteristics[0].action,
                }
            )
    if current >= target:
        return Plan(
            user_id, snapshot_date, current, target, "reached", time_bound=time_bound, fixed=fixed
        )
    steps = plan_to_target(features, card=card, target=target).collect()
    if not steps.is_empty():
        return Plan(
            user_id,
            snapshot_date,
            current,
            target,
            "actions",
            actions=steps.select(
                "step", "reason_code", "action", "points_gained", "plan_score"
            ).to_dicts(),
            plan_score=int(steps["plan_score"][0]),
            time_bound=time_bound,
            fixed=fixed,
        )
    every_action_now = (
        score_features(with_every_action(features, card=card), card=card)
        .collect()
        .row(0, named=True)
    )
    dates = month_ends_after(snapshot_date, 12 * horizon_years)
    ahead = future_features(con, settings, card, user_id, dates)
    # the user keeps using the platform (the activity actions): scorable at every future date,
    # though the events the warehouse holds fall out of the behaviour window by then
    rescored = (
        score_features(
            with_every_action(ahead.lazy(), card=card).with_columns(
                pl.lit(True).alias("is_scorable")
            ),
            card=card,
        )
        .filter(pl.col("score") >= target)
        .sort("snapshot_date")
        .head(1)
        .collect()
    )
    if rescored.is_empty():
        return Plan(
            user_id,
            snapshot_date,
            current,
            target,
            "out_of_reach",
            plan_score=every_action_now["score"],
            horizon_end=dates[-1],
            time_bound=time_bound,
            fixed=fixed,
        )
    reached = rescored.row(0, named=True)
    before = _time_bound_points(card, every_action_now)
    after = _time_bound_points(card, reached)
    aged_out = [
        {"reason_code": code, "points_gained": after[code] - before[code]}
        for code in before
        if after[code] > before[code]
    ]
    return Plan(
        user_id,
        snapshot_date,
        current,
        target,
        "time",
        plan_score=every_action_now["score"],
        reached_on=reached["snapshot_date"],
        horizon_end=dates[-1],
        time_bound=time_bound,
        fixed=fixed,
        aged_out=aged_out,
    )
