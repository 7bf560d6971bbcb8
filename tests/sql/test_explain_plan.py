"""``plan_user`` through the real pipeline: exports -> warehouse -> the planner on a read-only
connection, re-running the nightly's feature models for one user at future month-ends."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl

from sesame.explain import future_features, plan_user, with_every_action
from sesame.settings import Settings
from sesame.transforms.actions import best_actions
from sesame.transforms.scorecard import load_scorecard, score_features
from sesame.warehouse import connect_read_only
from tests import pipeline
from tests.builders import Exports, at

D = date(2026, 6, 30)
CARD = load_scorecard()
LONG_AGO = date(2010, 1, 1)  # history at its best already: it cannot grow into the target


def aggregates(settings: Settings, user_id: int) -> pl.DataFrame:
    return pipeline.query(
        settings,
        "select * from dimension_aggregates where user_id = $u and snapshot_date = $d",
        {"u": user_id, "d": D},
    )


def every_action_score(settings: Settings, user_id: int) -> int:
    """The user's score now with every actionable code at its best."""
    frame = with_every_action(aggregates(settings, user_id).lazy(), card=CARD)
    return int(score_features(frame, card=CARD).collect()["score"][0])


def plan(settings: Settings, user_id: int, target: int) -> Any:
    con = connect_read_only(settings)
    try:
        return plan_user(con, CARD, settings, user_id, target, D)
    finally:
        con.close()


def test_resolved_life_record_reaches_the_target_when_it_stops_counting(
    settings: Settings, exports: Exports
) -> None:
    # contract section 2: a resolved life record stops counting 2 years after resolved_at
    exports.active_user(1, D, registered=LONG_AGO)
    exports.negative(1, "life", at(date(2025, 11, 2)), resolved=datetime(2026, 3, 10, 12))
    pipeline.run(settings, [D], exports)
    before = settings.database_path().read_bytes()
    target = every_action_score(settings, 1) + 1  # no set of actions reaches it now

    got = plan(settings, 1, target)

    assert got.status == "time"
    # counts until 2028-03-10 12:00; the first month-end that no longer sees it counting
    assert got.reached_on == date(2028, 3, 31)
    assert [f["reason_code"] for f in got.aged_out] == ["negative_record_life"]
    assert "negative_record_life" in [f["reason_code"] for f in got.time_bound]
    assert got.actions == []
    assert settings.database_path().read_bytes() == before  # read-only: nothing written


def test_a_target_beyond_time_and_actions_is_out_of_reach(
    settings: Settings, exports: Exports
) -> None:
    # an unresolved life record keeps counting: no date within the horizon drops it
    exports.active_user(1, D, registered=LONG_AGO)
    exports.negative(1, "life", at(date(2025, 11, 2)))
    pipeline.run(settings, [D], exports)

    got = plan(settings, 1, every_action_score(settings, 1) + 1)

    assert got.status == "out_of_reach"
    assert got.reached_on is None
    assert got.horizon_end == date(2032, 6, 30)  # six years of month-ends


def test_repaying_an_unpaid_overdue_bill_reaches_the_target_now(
    settings: Settings, exports: Exports
) -> None:
    # the "repay" action fixes an unpaid overdue bill (it would only get worse with time)
    exports.active_user(2, D, registered=LONG_AGO)
    exports.bill(2, date(2026, 6, 1), paid=None)
    pipeline.run(settings, [D], exports)
    gains = best_actions(aggregates(settings, 2).lazy(), card=CARD).collect()
    repay = gains.filter(pl.col("reason_code") == "overdue_payments").row(0, named=True)
    # one point more than every other action together gives: only a plan that repays reaches it
    target = every_action_score(settings, 2) - repay["points_gained"] + 1

    got = plan(settings, 2, target)

    assert got.status == "actions"
    assert got.current_score == repay["current_score"] < target
    assert "overdue_payments" in [a["reason_code"] for a in got.actions]
    assert got.plan_score >= target
    own = {a["reason_code"]: a["points_gained"] for a in got.actions}
    assert own["overdue_payments"] == repay["points_gained"]  # its own gain, alone
    # fewest actions: the plan without its smallest action falls short
    assert got.plan_score - min(own.values()) < target


def test_a_target_at_or_below_the_score_is_already_reached(
    settings: Settings, exports: Exports
) -> None:
    exports.active_user(1, D)
    pipeline.run(settings, [D], exports)
    score = pipeline.scores(settings, D)[1]
    assert score is not None

    assert plan(settings, 1, score).status == "reached"


def test_future_features_at_the_snapshot_date_are_the_nightly_ones(
    settings: Settings, exports: Exports
) -> None:
    # the planner's re-run of the models, asked for D itself, gives the row the nightly stored
    exports.active_user(1, D, registered=LONG_AGO)
    exports.negative(1, "life", at(date(2025, 11, 2)), resolved=datetime(2026, 3, 10, 12))
    exports.bill(1, date(2026, 6, 1), paid=None)
    pipeline.run(settings, [D], exports)
    stored = aggregates(settings, 1)
    con = connect_read_only(settings)
    try:
        again = future_features(con, settings, CARD, 1, [D])
        leftover = con.sql("select count(*) as n from duckdb_tables() where temporary").pl()
    finally:
        con.close()
    names = [c.name for c in CARD.characteristics]
    assert again.select(names).to_dicts() == stored.select(names).to_dicts()
    assert leftover["n"][0] == 0  # its temporary tables are dropped
