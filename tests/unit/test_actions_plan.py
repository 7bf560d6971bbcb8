"""``plan_to_target`` on tiny literal frames (pure Polars, no database).

A small card makes the expectations plain arithmetic: base 500, one step characteristic per
dimension (0 points at value 0, all its points at 1 or more). Four are actionable and worth
60, 40, 30 and 25 points; ``history`` (not actionable) is worth 100. A user's score is 500 plus
the points of the characteristics at 1.
"""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sesame.transforms.actions import best_actions, plan_to_target
from sesame.transforms.scorecard import Bin, Characteristic, Scorecard, load_scorecard

D = date(2026, 6, 30)


def step(
    name: str, dimension: str, code: str, points: float, *, actionable: bool = True
) -> Characteristic:
    """A characteristic worth nothing at 0 and ``points`` from 1 on (its best value: 1)."""
    return Characteristic(
        name=name,
        dimension=dimension,
        reason_code=code,
        description=name,
        action=f"fix {name}",
        why=name,
        bins=(Bin(0.0, 1.0, 0.0, 0.0), Bin(1.0, math.inf, points, points)),
        actionable=actionable,
    )


CARD = Scorecard(
    model_version="test-plan",
    base_points=500.0,
    characteristics=(
        step("overdue", "credit_history", "overdue_payments", 60),
        step("profile", "identity", "incomplete_profile", 40),
        step("income", "capacity", "unstable_income", 30),
        step("activity", "behavior", "low_activity", 25),
        step("history", "relationships", "short_history", 100, actionable=False),
    ),
)
NAMES = ("overdue", "profile", "income", "activity", "history")
ACTION = {
    "overdue": "overdue_payments",
    "profile": "incomplete_profile",
    "income": "unstable_income",
    "activity": "low_activity",
}


def features(*users: dict[str, int]) -> pl.LazyFrame:
    """One row per user: the characteristics given at 1, the others at 0; user ids from 1."""
    return pl.LazyFrame(
        {
            "user_id": list(range(1, len(users) + 1)),
            "snapshot_date": [D] * len(users),
            **{name: [float(user.get(name, 0)) for user in users] for name in NAMES},
            "is_scorable": [True] * len(users),
        },
        schema_overrides={"user_id": pl.Int64},
    )


def expected(
    user_id: int, current: int, target: int, plan_score: int, steps: list[tuple[str, int]]
) -> pl.DataFrame:
    """The plan's rows: ``steps`` are (characteristic, its own gain) in the plan's order."""
    count = len(steps)
    return pl.DataFrame(
        {
            "user_id": [user_id] * count,
            "snapshot_date": [D] * count,
            "current_score": [current] * count,
            "target": [target] * count,
            "plan_score": [plan_score] * count,
            "plan_actions": [count] * count,
            "step": list(range(1, count + 1)),
            "reason_code": [ACTION[name] for name, _ in steps],
            "action": [f"fix {name}" for name, _ in steps],
            "points_gained": [gain for _, gain in steps],
        },
        schema={
            "user_id": pl.Int64,
            "snapshot_date": pl.Date,
            "current_score": pl.Int32,
            "target": pl.Int32,
            "plan_score": pl.Int32,
            "plan_actions": pl.Int32,
            "step": pl.Int32,
            "reason_code": pl.String,
            "action": pl.String,
            "points_gained": pl.Int32,
        },
    )


NO_PLAN = expected(1, 0, 0, 0, [])


@pytest.mark.parametrize(
    ("user", "target", "plan"),
    [
        # one action enough: 500 -> 560 with the overdue fixed; 530 was the target
        ({}, 530, expected(1, 500, 530, 560, [("overdue", 60)])),
        # two needed where neither alone reaches: 600 + 30 = 630, 600 + 25 = 625, both = 655
        (
            {"overdue": 1, "profile": 1},
            650,
            expected(1, 600, 650, 655, [("income", 30), ("activity", 25)]),
        ),
        # the fewest actions are preferred over a bigger score: one action (560) reaches 535,
        # so the four-action plan (655) and the two-action ones are not chosen
        ({}, 535, expected(1, 500, 535, 560, [("overdue", 60)])),
        # among plans of one size the highest new score wins: from 500 no single action reaches
        # 570, and of the pairs that do, overdue + profile (600) beats overdue + income (590)
        # and profile + income (570)
        ({}, 570, expected(1, 500, 570, 600, [("overdue", 60), ("profile", 40)])),
        # a two-action plan from 560: profile + income is the only pair reaching 630
        ({"overdue": 1}, 630, expected(1, 560, 630, 630, [("profile", 40), ("income", 30)])),
        # unreachable by actions: every action taken gives 655 < 700 (history is not actionable)
        ({}, 700, NO_PLAN),
        # already at the target: nothing to do, no rows
        ({"overdue": 1, "profile": 1}, 600, NO_PLAN),
        # above the target already: no rows either
        ({"overdue": 1, "profile": 1, "history": 1}, 650, NO_PLAN),
    ],
)
def test_plan_to_target(user: dict[str, int], target: int, plan: pl.DataFrame) -> None:
    got = plan_to_target(features(user), card=CARD, target=target).collect()
    assert_frame_equal(got, plan)


def test_plan_ties_on_score_follow_card_order() -> None:
    # a card where two actions are worth the same: profile (40) and a second 40-point code
    card = Scorecard(
        model_version="test-tie",
        base_points=500.0,
        characteristics=(
            *CARD.characteristics[:3],
            step("activity", "behavior", "low_activity", 40),
            CARD.characteristics[4],
        ),
    )
    got = plan_to_target(features({"overdue": 1}), card=card, target=600, max_actions=1)
    # profile and activity each give 600: profile comes first in the card
    assert got.select("reason_code").collect().to_series().to_list() == ["incomplete_profile"]


def test_plan_respects_max_actions() -> None:
    # two actions would reach 650 (see above), one is all that is allowed: no plan
    user = {"overdue": 1, "profile": 1}
    got = plan_to_target(features(user), card=CARD, target=650, max_actions=1).collect()
    assert got.is_empty()
    assert plan_to_target(features(user), card=CARD, target=650, max_actions=2).collect().height


def test_plan_is_per_user() -> None:
    # user 1 needs one action for 560, user 2 (overdue and profile fixed) none for 560
    got = plan_to_target(features({}, {"overdue": 1, "profile": 1}), card=CARD, target=560)
    assert_frame_equal(got.collect(), expected(1, 500, 560, 560, [("overdue", 60)]))


def test_plan_scores_equal_their_actions_on_the_real_card() -> None:
    # on the shipped card: a plan's own gains are best_actions' gains, and its score is the
    # card's score of the user with those codes' characteristics at their best
    card = load_scorecard()
    row: dict[str, object] = {"user_id": 7, "snapshot_date": D, "is_scorable": True}
    for characteristic in card.characteristics:
        worst = min(characteristic.bins, key=lambda b: min(b.points_at_lower, b.points_at_upper))
        row[characteristic.name] = worst.lower if math.isfinite(worst.lower) else 0.0
    frame = pl.LazyFrame([row])
    current = best_actions(frame, card=card).collect()
    assert current.height >= 2
    target = int(current["current_score"][0]) + int(current["points_gained"][0]) + 1
    plan = plan_to_target(frame, card=card, target=target).collect()
    assert plan.height >= 2  # the single best action falls one point short
    gains = dict(zip(current["reason_code"], current["points_gained"], strict=True))
    assert all(
        gains[c] == g for c, g in zip(plan["reason_code"], plan["points_gained"], strict=True)
    )
    assert plan["plan_score"][0] >= target
