"""The reports' Polars steps on tiny literal frames (pure Polars, no database).

- ``sesame.transforms.stuck``: months_without_rise, stuck_users and stuck_factors on hand-written
  month-end score sequences (contract section 3, "Stuck, exactly").
- ``sesame.transforms.drops.point_changes``: a score change split into per-characteristic point
  changes that sum exactly to the change.
- ``sesame.transforms.actions.best_actions``: what would raise a score most, actionable codes only.

Score sequences are written newest first: ``[s0, s1, ...]``, s0 the latest month-end.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from sesame.transforms.actions import actionable_codes, best_actions
from sesame.transforms.drops import point_changes
from sesame.transforms.scorecard import (
    HAND_SET_SCORECARD,
    load_scorecard,
    points_column,
    score_features,
)
from sesame.transforms.stuck import (
    STUCK_MONTHS,
    factor_counts,
    factors_from_counts,
    months_without_rise,
    stuck_factors,
    stuck_users,
)

CARD = load_scorecard(HAND_SET_SCORECARD)  # the hand-set card: the tests know its points
LATEST = date(2026, 6, 30)
MONTH_ENDS = [  # newest first: months_back 0, 1, 2, ...
    date(2026, 6, 30),
    date(2026, 5, 31),
    date(2026, 4, 30),
    date(2026, 3, 31),
    date(2026, 2, 28),
    date(2026, 1, 31),
    date(2025, 12, 31),
    date(2025, 11, 30),
    date(2025, 10, 31),
    date(2025, 9, 30),
    date(2025, 8, 31),
]
MONTH_END_SCHEMA: dict[str, Any] = {
    "user_id": pl.Int64,
    "month_end": pl.Date,
    "months_back": pl.Int32,
    "score": pl.Int32,
    "reasons": pl.List(pl.String),
}


def month_end_scores(
    users: dict[int, list[int | None]],
    reasons: dict[int, list[list[str]]] | None = None,
    *,
    missing: dict[int, set[int]] | None = None,
) -> pl.LazyFrame:
    """fct_month_end_scores rows: each user's scores newest first; ``missing`` months_back of a
    user have no snapshot at all (a gap month)."""
    rows = []
    for user_id, scores in users.items():
        for back, score in enumerate(scores):
            if back in (missing or {}).get(user_id, set()):
                continue
            codes = (reasons or {}).get(user_id)
            rows.append(
                {
                    "user_id": user_id,
                    "month_end": MONTH_ENDS[back],
                    "months_back": back,
                    "score": score,
                    "reasons": codes[back] if codes is not None else [],
                }
            )
    return pl.LazyFrame(rows, schema=MONTH_END_SCHEMA)


def one(frame: pl.LazyFrame) -> dict[str, Any]:
    rows = frame.collect().to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


# ------------------------------------------------------------------------------ months_without_rise

FLAT = 700
MONTHS_WITHOUT_RISE_CASES: list[tuple[str, list[int | None], set[int], int]] = [
    # (case, scores newest first, months_back missing, months_without_rise)
    # flat for 8 month-ends: the score 7 months ago is not below anything since
    ("flat_8_months", [FLAT] * 8, set(), 7),
    # flat for 9: 8
    ("flat_9_months", [FLAT] * 9, set(), 8),
    # rose last month: 710 > 700, nothing older is >= 710
    ("rose_last_month", [710] + [FLAT] * 8, set(), 0),
    # the contract's largest k: s = [600, 650, 600, 700]; k=1 (600 <= 650), k=2 fails
    # (650 > 600), k=3 holds (650 <= 700): 3, not 1
    ("largest_k", [600, 650, 600, 700], set(), 3),
    # the same with an older, lower month-end: k=4 fails (700 > 690), still 3
    ("largest_k_then_lower", [600, 650, 600, 700, 690], set(), 3),
    # 7 month-ends at 700 after a 690: rose 7 months ago, 6 without rise (not stuck)
    ("exactly_6", [FLAT] * 7 + [690], set(), 6),
    # 8 month-ends at 700 after a 690: 7 (stuck)
    ("exactly_7", [FLAT] * 8 + [690], set(), 7),
    # falling every month: never rose, 7
    ("falling", [680, 690, 700, 710, 720, 730, 740, 750], set(), 7),
    # a dip that recovered to the old level is not a rise above it: 8
    ("dip_recovered", [FLAT, FLAT, 650, FLAT, FLAT, FLAT, FLAT, FLAT, FLAT], set(), 8),
    # a gap month (no snapshot at months_back 4) ends the run: s0 .. s3 only
    ("gap_month", [FLAT] * 9, {4}, 3),
    # a null score (unscorable at months_back 2) ends the run: s0, s1 only
    ("null_score", [FLAT, FLAT, None, *[FLAT] * 6], set(), 1),
    # one month-end only
    ("single_month", [FLAT], set(), 0),
]


@pytest.mark.parametrize(
    ("scores", "missing", "expected"),
    [case[1:] for case in MONTHS_WITHOUT_RISE_CASES],
    ids=[case[0] for case in MONTHS_WITHOUT_RISE_CASES],
)
def test_months_without_rise(scores: list[int | None], missing: set[int], expected: int) -> None:
    frame = month_end_scores({1: scores}, missing={1: missing})
    row = one(months_without_rise(frame))
    assert row["months_without_rise"] == expected
    assert (row["month_end"], row["score"]) == (MONTH_ENDS[0], scores[0])
    assert row["month_end_then"] == MONTH_ENDS[expected]
    assert row["score_then"] == scores[expected]
    # stuck exactly from 7
    stuck = stuck_users(frame).collect()
    assert stuck.height == (1 if expected >= 7 else 0)
    assert STUCK_MONTHS == 7


def test_a_user_without_a_score_at_the_latest_month_end_is_left_out() -> None:
    # 1: unscorable at the latest month-end; 3: no snapshot at the latest month-end
    frame = month_end_scores(
        {1: [None, *[FLAT] * 8], 2: [FLAT] * 8, 3: [FLAT] * 9}, missing={3: {0}}
    )
    assert months_without_rise(frame).collect()["user_id"].to_list() == [2]


@pytest.mark.parametrize(
    ("scores", "fell", "lowest"),
    [
        # flat: never below the score then
        ([FLAT] * 8, False, FLAT),
        # dipped to 650 at months_back 2 and recovered
        ([FLAT, FLAT, 650, FLAT, FLAT, FLAT, FLAT, FLAT], True, 650),
        # rose to the old level from below within the window: it was below in between
        ([FLAT, 690, 680, FLAT, FLAT, FLAT, FLAT, FLAT], True, 680),
    ],
    ids=["flat", "dip", "recovered_from_below"],
)
def test_fell_in_between(scores: list[int], fell: bool, lowest: int) -> None:
    row = one(months_without_rise(month_end_scores({1: scores})))
    assert row["months_without_rise"] == 7
    assert row["fell_in_between"] is fell
    assert row["lowest_in_between"] == lowest


def test_factors_are_the_codes_in_every_month_of_the_window() -> None:
    # 8 month-ends at 700 after a 650: the window is s0 .. s7 (k = 7); s8 is outside it
    scores = [FLAT] * 8 + [650]
    reasons = [["incomplete_profile", "low_assets", "no_credit_usage"] for _ in range(9)]
    reasons[3] = ["incomplete_profile", "no_credit_usage"]  # low_assets missing at s3
    reasons[7] = ["no_credit_usage", "incomplete_profile"]  # s7 (then): order does not matter
    reasons[8] = ["overdue_payments"]  # outside the window: no effect
    reasons[0] = [*reasons[0], "short_history"]  # only in s0
    row = one(months_without_rise(month_end_scores({1: scores}, {1: reasons})))
    assert row["months_without_rise"] == 7
    assert row["factors"] == ["incomplete_profile", "no_credit_usage"]


def test_factors_are_empty_when_no_code_held_all_through() -> None:
    reasons = [["low_assets"] if back % 2 else ["incomplete_profile"] for back in range(8)]
    row = one(months_without_rise(month_end_scores({1: [FLAT] * 8}, {1: reasons})))
    assert row["factors"] == []


# ------------------------------------------------------------------------------ stuck_factors


def test_stuck_factors_shares_and_lift_by_hand() -> None:
    stuck = [FLAT] * 8  # months_without_rise 7
    rising = [710] + [FLAT] * 7  # 0
    users = {
        1: stuck,
        2: stuck,
        3: stuck,
        4: rising,
        5: rising,
        6: rising,
        7: rising,
        8: [None, *[FLAT] * 7],  # unscorable at the latest month-end: in neither group
    }
    latest_reasons = {
        1: ["incomplete_profile", "low_assets"],
        2: ["incomplete_profile"],
        3: ["platform_violation"],
        4: ["incomplete_profile", "low_assets"],
        5: ["low_assets"],
        6: ["no_credit_usage"],
        7: [],
        8: ["incomplete_profile", "no_credit_usage"],
    }
    reasons = {user: [codes] * 8 for user, codes in latest_reasons.items()}
    frame = month_end_scores(users, reasons)
    assert sorted(stuck_users(frame).collect()["user_id"].to_list()) == [1, 2, 3]
    rows = stuck_factors(frame).collect()
    # stuck: 1, 2, 3 (3 users); others: 4, 5, 6, 7 (4 users)
    # incomplete_profile: 2/3 stuck, 1/4 others, lift (2/3)/(1/4) = 8/3
    # low_assets: 1/3 stuck, 2/4 others, lift 2/3
    # no_credit_usage: 0 stuck, 1/4 others, lift 0
    # platform_violation: 1/3 stuck, no other: lift null
    expected = [
        ("incomplete_profile", 2, 2 / 3, 1 / 4, 8 / 3),
        ("low_assets", 1, 1 / 3, 2 / 4, 2 / 3),
        ("no_credit_usage", 0, 0.0, 1 / 4, 0.0),
        ("platform_violation", 1, 1 / 3, 0.0, None),
    ]
    assert rows["factor"].to_list() == [e[0] for e in expected]  # lift first, nulls last
    for row, (factor, count, share_stuck, share_others, lift) in zip(
        rows.iter_rows(named=True), expected, strict=True
    ):
        assert row["stuck_users"] == count, factor
        assert row["share_stuck"] == pytest.approx(share_stuck), factor
        assert row["share_others"] == pytest.approx(share_others), factor
        if lift is None:
            assert row["lift"] is None, factor
        else:
            assert row["lift"] == pytest.approx(lift), factor


def test_stuck_factors_from_counts_of_user_ranges_equal_one_pass() -> None:
    # the report counts range by range: the sums of the ranges' counts give the same shares
    users = {1: [FLAT] * 8, 2: [710] + [FLAT] * 7, 3: [FLAT] * 8, 4: [720] + [FLAT] * 7}
    codes = {1: ["low_assets"], 2: ["low_assets", "short_history"], 3: [], 4: ["short_history"]}
    frame = month_end_scores(users, {user: [c] * 8 for user, c in codes.items()})
    ranges = []
    for part in (frame.filter(pl.col("user_id") <= 2), frame.filter(pl.col("user_id") > 2)):
        ranges.append(factor_counts(part, stuck=stuck_users(part)).collect())
    summed = factors_from_counts(pl.concat(ranges).lazy()).collect()
    assert summed.equals(stuck_factors(frame).collect())
    # stuck 1, 3 (2 users), others 2, 4 (2): low_assets 1/2 and 1/2; short_history 0 and 2/2
    assert summed.select("factor", "stuck_users", "share_stuck", "share_others").rows() == [
        ("low_assets", 1, 0.5, 0.5),
        ("short_history", 0, 0.0, 1.0),
    ]


def test_stuck_factors_without_stuck_users_have_zero_shares() -> None:
    frame = month_end_scores({1: [710, FLAT]}, {1: [["low_assets"]] * 2})
    row = one(stuck_factors(frame))
    assert (row["factor"], row["stuck_users"], row["share_stuck"]) == ("low_assets", 0, 0.0)
    assert (row["share_others"], row["lift"]) == (1.0, 0.0)


# ------------------------------------------------------------------------------ feature rows

FLOAT_FEATURES = {"assets_value_cny", "receipt_confirmed_share", "friends_mean_score"}


def feature_schema() -> dict[str, Any]:
    schema: dict[str, Any] = {"user_id": pl.Int64, "snapshot_date": pl.Date}
    for c in CARD.characteristics:
        schema[c.name] = pl.Float64 if c.name in FLOAT_FEATURES else pl.Int32
    return schema | {"is_scorable": pl.Boolean}


def best_row(user_id: int = 1, day: date = LATEST) -> dict[str, Any]:
    """A scorable user at every characteristic's best value (score 950)."""
    row: dict[str, Any] = {"user_id": user_id, "snapshot_date": day, "is_scorable": True}
    for c in CARD.characteristics:
        row[c.name] = c.best_value if c.name in FLOAT_FEATURES else int(c.best_value)
    return row


def features(rows: list[dict[str, Any]]) -> pl.LazyFrame:
    return pl.LazyFrame(rows, schema=feature_schema(), orient="row")


def scored(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    frame = score_features(features(rows), card=CARD).collect()
    return {row["user_id"]: row for row in frame.iter_rows(named=True)}


PREVIOUS_DAY = date(2026, 5, 31)


def changes_of(
    before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    frame = point_changes(
        features([r | {"snapshot_date": PREVIOUS_DAY} for r in before]),
        features(after),
        card=CARD,
    ).collect()
    return {row["user_id"]: row for row in frame.iter_rows(named=True)}


# ------------------------------------------------------------------------------ point_changes


def test_point_changes_split_a_drop_exactly_biggest_loss_first() -> None:
    before = best_row() | {"assets_value_cny": 0.0}
    after = best_row() | {
        "negative_legal_records": 1,  # 25 -> 4: -21
        "active_months": 11,  # 20 -> 11: -9
        "phone_changes": 2,  # 10 -> 3: -7
        "assets_value_cny": 10_000.0,  # 0 -> 12: +12
    }
    score_before = scored([before])[1]["score"]
    score_after = scored([after])[1]["score"]
    assert score_after - score_before == -21 - 9 - 7 + 12
    row = changes_of([before], [after])[1]
    changes = {c["characteristic"]: c for c in row["point_changes"]}
    # unchanged characteristics are absent
    assert set(changes) == {
        "negative_legal_records",
        "active_months",
        "phone_changes",
        "assets_value_cny",
    }
    assert [c["characteristic"] for c in row["point_changes"]] == [
        "negative_legal_records",
        "active_months",
        "phone_changes",
        "assets_value_cny",
    ]
    legal = changes["negative_legal_records"]
    assert (legal["previous_points"], legal["points"], legal["points_change"]) == (25, 4, -21)
    assert changes["negative_legal_records"]["dimension"] == "credit_history"
    assert changes["phone_changes"]["reason_code"] == "frequent_phone_change"
    assert changes["assets_value_cny"]["points_change"] == 12
    assert sum(c["points_change"] for c in row["point_changes"]) == score_after - score_before
    assert row["points_change_total"] == score_after - score_before
    # causes: the codes that lost points, biggest loss first; a gain is no cause
    assert row["causes"] == ["negative_record_legal", "low_activity", "frequent_phone_change"]


# Pairs of feature values with unround points: the whole points still add up to the change.
ROUNDING_PAIRS: list[dict[str, tuple[Any, Any]]] = [
    {"weighted_overdue_days": (45, 200), "overdue_bills": (1, 4)},
    {"credit_repaid_bills": (7, 5), "receipt_confirmed_share": (0.95, 0.73)},
    {"assets_value_cny": (123_456.0, 7_000.0), "friends_mean_score": (None, 812.0)},
    {"history_months": (30, 31), "living_payment_months": (3, 2), "salary_months": (5, 2)},
    {"profile_items": (6, 4), "loan_applications_recent": (3, 5), "active_months": (7, 7)},
]


def test_point_changes_sum_to_the_score_difference_for_unround_points() -> None:
    before = [best_row(i) | {k: v[0] for k, v in p.items()} for i, p in enumerate(ROUNDING_PAIRS)]
    after = [best_row(i) | {k: v[1] for k, v in p.items()} for i, p in enumerate(ROUNDING_PAIRS)]
    score_before = {u: r["score"] for u, r in scored(before).items()}
    score_after = {u: r["score"] for u, r in scored(after).items()}
    rows = changes_of(before, after)
    for user, pair in enumerate(ROUNDING_PAIRS):
        difference = score_after[user] - score_before[user]
        assert difference != 0, pair
        row = rows[user]
        assert sum(c["points_change"] for c in row["point_changes"]) == difference, pair
        assert {c["characteristic"] for c in row["point_changes"]} <= set(pair), pair
        assert all(c["points_change"] != 0 for c in row["point_changes"]), pair
    # active_months 7 -> 7 did not move
    assert "active_months" not in {c["characteristic"] for c in rows[4]["point_changes"]}


def test_point_changes_leave_out_users_whose_points_did_not_move() -> None:
    same = best_row(1) | {"profile_items": 5}
    moved = best_row(2) | {"risk_events": 1}
    rows = changes_of([same, best_row(2)], [same, moved])
    assert set(rows) == {2}
    assert rows[2]["causes"] == ["platform_violation"]


def test_point_change_causes_rank_a_code_by_its_total_loss() -> None:
    # overdue_payments is reported by two characteristics: overdue_bills 30 -> 20 (-10) and
    # weighted_overdue_days 35 -> 25 (3 days: -10), 20 points in all; platform_violation loses
    # 16 (risk_events 20 -> 4). The snapshot's reasons rank the codes by their summed loss.
    before = best_row()
    after = best_row() | {"overdue_bills": 1, "weighted_overdue_days": 3, "risk_events": 1}
    reasons = scored([after])[1]["reasons"]
    assert reasons.index("overdue_payments") < reasons.index("platform_violation")
    row = changes_of([before], [after])[1]
    by_code: dict[str, int] = {}
    for change in row["point_changes"]:
        code = change["reason_code"]
        by_code[code] = by_code.get(code, 0) + change["points_change"]
    assert by_code == {"overdue_payments": -20, "platform_violation": -16}
    assert row["causes"] == ["overdue_payments", "platform_violation"]


# ------------------------------------------------------------------------------ best_actions

ACTIONABLE = set(actionable_codes(CARD))
NOT_ACTIONABLE = {c.reason_code for c in CARD.characteristics} - ACTIONABLE


def test_the_card_marks_time_bound_codes_as_not_actionable() -> None:
    assert {
        "short_history",
        "negative_record_legal",
        "negative_record_financial",
        "negative_record_life",
        "platform_violation",
        "frequent_phone_change",
        "frequent_address_change",
        "low_assets",
    } <= NOT_ACTIONABLE
    assert {"overdue_payments", "incomplete_profile", "low_activity"} <= ACTIONABLE


def actions_of(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    frame = best_actions(features(rows), card=CARD).collect()
    out: dict[int, list[dict[str, Any]]] = {}
    for row in frame.iter_rows(named=True):
        out.setdefault(row["user_id"], []).append(row)
    return out


# Every non-actionable characteristic at its worst: history, records, risk events, phone and
# address changes, assets.
NOT_ACTIONABLE_WORST = {
    "history_months": 0,
    "negative_legal_records": 2,
    "negative_financial_records": 2,
    "negative_life_records": 2,
    "risk_events": 2,
    "phone_changes": 3,
    "address_changes": 3,
    "assets_value_cny": 0.0,
}


def test_best_actions_gain_the_points_of_each_actionable_code() -> None:
    at_best = best_row(1)
    only_time_bound = best_row(2) | NOT_ACTIONABLE_WORST
    mixed = (
        best_row(3)
        | NOT_ACTIONABLE_WORST
        | {
            "profile_items": 5,  # incomplete_profile: 16 of 60
            "active_months": 6,  # low_activity: 6 of 20
            "overdue_bills": 1,  # overdue_payments: 20 of 30 ...
            "weighted_overdue_days": 10,  # ... and about 21 of 35
        }
    )
    unscorable = best_row(4) | {"profile_items": 5, "is_scorable": False}
    rows = [at_best, only_time_bound, mixed, unscorable]
    actions = actions_of(rows)
    # nothing for a user at best, for one who can only wait, or one who cannot be scored
    assert set(actions) == {3}
    current = scored(rows)[3]
    expected: dict[str, int] = {}
    for code in ("incomplete_profile", "low_activity", "overdue_payments"):
        expected[code] = sum(
            round(c.best_points) - current[points_column(c.name)]
            for c in actionable_codes(CARD)[code]
        )
    found = actions[3]
    assert {a["reason_code"] for a in found} == set(expected)
    assert not {a["reason_code"] for a in found} & NOT_ACTIONABLE
    for action in found:
        code = action["reason_code"]
        assert action["points_gained"] == expected[code], code
        assert action["current_score"] == current["score"], code
        assert action["points_gained"] == action["new_score"] - action["current_score"], code
        assert action["action"] == actionable_codes(CARD)[code][0].action, code
        assert action["snapshot_date"] == LATEST
    gains = [a["points_gained"] for a in found]
    assert gains == sorted(gains, reverse=True)  # most points first
    assert found[0]["reason_code"] == "incomplete_profile"  # 44 points


def test_best_actions_never_suggest_a_not_actionable_code() -> None:
    rows = [
        best_row(i) | {name: value}
        for i, (name, value) in enumerate(NOT_ACTIONABLE_WORST.items(), start=1)
    ]
    # each user loses points on one non-actionable characteristic only: no action
    assert all(scored(rows)[i]["score"] < 950 for i in range(1, len(rows) + 1))
    assert actions_of(rows) == {}


def test_factor_point_gaps_are_the_mean_points_lost_by_stuck_users_minus_the_others() -> None:
    from sesame.transforms.stuck import factor_point_gaps, point_sums

    # users 1, 2 stuck; 3, 4 not. low_assets: stuck lose 10 and 20 (mean 15), others 5 and 0
    # (mean 2.5): gap 12.5. short_history: stuck 0 and 0, others 4 and 8: gap -6
    lost = pl.LazyFrame(
        {
            "user_id": [1, 2, 3, 4] * 2,
            "factor": ["low_assets"] * 4 + ["short_history"] * 4,
            "points_lost": [10.0, 20.0, 5.0, 0.0, 0.0, 0.0, 4.0, 8.0],
        }
    )
    stuck = pl.LazyFrame({"user_id": [1, 2]})
    # summed in two user ranges, as the report does: the same means as in one
    ranges = pl.concat(
        [
            point_sums(lost.filter(pl.col("user_id") <= 2), stuck=stuck).collect(),
            point_sums(lost.filter(pl.col("user_id") > 2), stuck=stuck).collect(),
        ]
    )
    gaps = factor_point_gaps(ranges.lazy()).collect().sort("factor")
    assert gaps["points_lost_stuck"].to_list() == [15.0, 0.0]
    assert gaps["points_lost_others"].to_list() == [2.5, 6.0]
    assert gaps["points_gap"].to_list() == [12.5, -6.0]
