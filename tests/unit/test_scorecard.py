"""The scorecard transform on tiny literal frames (pure Polars, no database).

Expectations come from the rules: the card's own bins (``Characteristic.points``, the pure-Python
reference), the contract's tier and benefit table (section 3), and relative comparisons.
"""

from __future__ import annotations

import itertools
import math
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from sesame.reason_codes import ADVERSE_FACTS
from sesame.transforms.scorecard import (
    CARD_PARAMETERS,
    DIMENSIONS,
    HAND_SET_SCORECARD,
    Characteristic,
    Scorecard,
    load_scorecard,
    points_column,
    score_features,
)
from sesame.transforms.tiers import benefits_expr, tier_expr
from tests.reasons import check_reasons

CARD = load_scorecard(HAND_SET_SCORECARD)  # the hand-set card: the tests know its points
D = date(2026, 6, 30)

# The columns of fct_user_features that are not characteristics, with their types.
KEY_SCHEMA: dict[str, pl.DataType] = {
    "user_id": pl.Int64(),
    "snapshot_date": pl.Date(),
    "is_snapshot": pl.Boolean(),
}
# Characteristics whose feature is a fraction or an amount (DOUBLE in fct_user_features).
FLOAT_FEATURES = {"assets_value_cny", "receipt_confirmed_share", "friends_mean_score"}
EXTRA_SCHEMA: dict[str, pl.DataType] = {
    "recent_events": pl.Int32(),
    "open_friends": pl.Int32(),
    "scored_friends": pl.Int32(),
    "is_scorable": pl.Boolean(),
}

# The contract's reason codes, also the factor codes in reports (section 3).
CONTRACT_REASON_CODES = (
    "incomplete_profile",
    "frequent_phone_change",
    "frequent_address_change",
    "unconfirmed_receipts",
    "no_living_payments",
    "no_credit_usage",
    "no_card_repayment",
    "overdue_payments",
    "deliberate_default",
    "negative_record_legal",
    "negative_record_financial",
    "negative_record_life",
    "short_history",
    "low_assets",
    "unstable_income",
    "low_activity",
    "low_network_credit",
    "abnormal_borrowing",
    "platform_violation",
)

# The contract's tiers (section 3): lowest score of each tier, highest first.
CONTRACT_TIERS = [
    (700, "excellent"),
    (650, "very_good"),
    (600, "good"),
    (550, "fair"),
    (350, "poor"),
]
# The contract's benefits by lowest score.
CONTRACT_BENEFITS = {
    "deposit_free_rental": 600,
    "car_rental_no_deposit": 650,
    "installment_loans": 650,
    "credit_loans": 700,
    "pay_later": 700,
    "visa_and_car_loan": 750,
}


def contract_tier(score: int | None) -> str:
    if score is None:
        return "unscorable"
    return next(name for lowest, name in CONTRACT_TIERS if score >= lowest)


def contract_benefits(score: int | None) -> set[str]:
    if score is None:
        return set()
    return {name for name, lowest in CONTRACT_BENEFITS.items() if score >= lowest}


def best_value(characteristic: Characteristic) -> float:
    """A feature value that earns the characteristic's best points (lowest such bin edge)."""
    for current in characteristic.bins:
        if current.points_at_lower == characteristic.best_points:
            return current.lower
    raise AssertionError(f"{characteristic.name}: no bin starts at its best points")


def worst_value(characteristic: Characteristic) -> float:
    """A feature value that earns no points (lowest such bin edge)."""
    for current in characteristic.bins:
        if current.points_at_lower == 0:
            return current.lower
    raise AssertionError(f"{characteristic.name}: no bin starts at 0 points")


def worst_features() -> dict[str, Any]:
    return {
        c.name: float(worst_value(c)) if c.name in FLOAT_FEATURES else int(worst_value(c))
        for c in CARD.characteristics
    }


def feature_schema(card: Scorecard = CARD) -> dict[str, pl.DataType]:
    schema = dict(KEY_SCHEMA)
    for c in card.characteristics:
        schema[c.name] = pl.Float64() if c.name in FLOAT_FEATURES else pl.Int32()
    return schema | EXTRA_SCHEMA


def perfect_features() -> dict[str, Any]:
    """A scorable user at every characteristic's best bin."""
    row: dict[str, Any] = {"user_id": 1, "snapshot_date": D, "is_snapshot": True}
    for c in CARD.characteristics:
        value = best_value(c)
        row[c.name] = value if c.name in FLOAT_FEATURES else int(value)
    return row | {"recent_events": 30, "open_friends": 1, "scored_friends": 1, "is_scorable": True}


def features(rows: list[dict[str, Any]]) -> pl.LazyFrame:
    """A feature frame shaped like fct_user_features; missing columns take the perfect values."""
    perfect = perfect_features()
    full = [perfect | {"user_id": i + 1} | row for i, row in enumerate(rows)]
    return pl.LazyFrame(full, schema=feature_schema(), orient="row")


def score(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return score_features(features(rows), card=CARD).collect()


def raw_points(characteristic: Characteristic, values: list[float | None]) -> list[float | None]:
    """The unrounded points the Polars expression gives for ``values``."""
    frame = pl.DataFrame({characteristic.name: values}, schema={characteristic.name: pl.Float64})
    return frame.select(characteristic.points_expr().alias("p"))["p"].to_list()


def whole_points(name: str, values: list[float]) -> list[int]:
    """The whole points ``score_features`` gives a perfect user whose feature ``name`` varies."""
    cast = float if name in FLOAT_FEATURES else int
    scored = score([{name: cast(v)} for v in values])
    return scored[points_column(name)].to_list()


def loss(characteristic: Characteristic, value: float | None) -> float:
    return characteristic.best_points - characteristic.points(value)


def code_losses(row: dict[str, Any]) -> dict[str, float]:
    """Each reason code's loss: the sum of the losses of the characteristics that report it, in
    card order of each code's first appearance (``row`` lacks nothing: a full feature row)."""
    losses: dict[str, float] = {}
    for c in CARD.characteristics:
        losses[c.reason_code] = losses.get(c.reason_code, 0.0) + loss(c, row[c.name])
    return losses


def expected_reasons(changed: dict[str, Any]) -> list[str]:
    """The reasons of a perfect user with ``changed`` features (a card without mean points: the
    reference is the best points): the adverse facts losing points first, then the other codes
    losing points, each group most summed loss first, ties in card order, at most four."""
    losses = code_losses(perfect_features() | changed)
    losing = [code for code, lost in losses.items() if lost > 1e-9]
    adverse = [code for code in losing if code in ADVERSE_FACTS]
    others = [code for code in losing if code not in ADVERSE_FACTS]
    ranked = sorted(adverse, key=lambda code: -losses[code])  # stable: card order on ties
    return (ranked + sorted(others, key=lambda code: -losses[code]))[:4]


# ------------------------------------------------------------------------------ the card itself


def test_card_best_points_add_up_to_600_so_scores_span_350_to_950() -> None:
    best = sum(c.best_points for c in CARD.characteristics)
    assert best == 600
    assert CARD.base_points == 350
    assert CARD.min_score == 350
    assert CARD.max_score == 950
    assert sum(CARD.dimension_best(d) for d in DIMENSIONS) == 600
    assert all(CARD.dimension_best(d) > 0 for d in DIMENSIONS)


def test_each_characteristics_worst_points_are_zero() -> None:
    for c in CARD.characteristics:
        candidates = [p for b in c.bins for p in (b.points_at_lower, b.points_at_upper)]
        if c.missing is not None:
            candidates.append(c.missing)
        assert min(candidates) == 0, c.name


def test_card_bins_are_contiguous_and_the_last_is_open_ended() -> None:
    for c in CARD.characteristics:
        for previous, current in itertools.pairwise(c.bins):
            assert previous.upper == current.lower, c.name
            assert previous.lower < previous.upper, c.name
        assert math.isinf(c.bins[-1].upper), c.name


def test_every_characteristic_reports_a_contract_reason_code() -> None:
    for c in CARD.characteristics:
        assert c.reason_code in CONTRACT_REASON_CODES, (c.name, c.reason_code)


def test_the_card_covers_every_factor_code_of_the_contract() -> None:
    # every contract factor is scored by the model, so each one must be reportable
    assert {c.reason_code for c in CARD.characteristics} == set(CONTRACT_REASON_CODES)


def test_only_the_two_overdue_characteristics_share_a_reason_code() -> None:
    # the payment history is scored as a count and as weighted days, reported as one factor
    by_code: dict[str, list[str]] = {}
    for c in CARD.characteristics:
        by_code.setdefault(c.reason_code, []).append(c.name)
    shared = {code: names for code, names in by_code.items() if len(names) > 1}
    assert shared == {"overdue_payments": ["overdue_bills", "weighted_overdue_days"]}
    assert CARD.characteristic("deliberate_defaults").reason_code == "deliberate_default"
    # a shared code stays inside one dimension, so a dimension's factor is never split
    for names in shared.values():
        assert len({CARD.characteristic(n).dimension for n in names}) == 1, names


def test_the_reasons_never_repeat_a_code_when_every_characteristic_loses() -> None:
    # every characteristic at its worst bin: both overdue characteristics lose their best points
    worst = score([worst_features()]).row(0, named=True)
    assert len(worst["reasons"]) == len(set(worst["reasons"])) == 4
    # the two overdue characteristics are the only losses: one code, once
    out = score([{"overdue_bills": 3, "weighted_overdue_days": 200}]).row(0, named=True)
    assert out["reasons"] == ["overdue_payments"]


def test_a_copy_of_the_card_loads_to_the_same_card(tmp_path: Path) -> None:
    copy = tmp_path / "card.toml"
    copy.write_text(HAND_SET_SCORECARD.read_text())
    assert load_scorecard(copy) == CARD


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # a gap: weighted_overdue_days' third bin starts at 9 where the second ends at 8
        (
            "{ lower = 8, upper = 31, points_at_lower = 22",
            "{ lower = 9, upper = 31, points_at_lower = 22",
            "gap or overlap",
        ),
        # an overlap: weighted_overdue_days' third bin starts at 7, inside the second
        (
            "{ lower = 8, upper = 31, points_at_lower = 22",
            "{ lower = 7, upper = 31, points_at_lower = 22",
            "gap or overlap",
        ),
        # weighted_overdue_days' last bin is closed at 5000 instead of open-ended
        (
            "{ lower = 1096, upper = inf, points_at_lower = 0",
            "{ lower = 1096, upper = 5000, points_at_lower = 0",
            "open-ended",
        ),
    ],
    ids=["gap", "overlap", "closed_last_bin"],
)
def test_load_scorecard_rejects_bins_that_are_not_contiguous(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = HAND_SET_SCORECARD.read_text()
    assert text.count(old) == 1  # the bin exists, in weighted_overdue_days only
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(old, new))
    with pytest.raises(ValueError, match=message) as raised:
        load_scorecard(bad)
    assert "weighted_overdue_days" in str(raised.value)


# ------------------------------------------------------------- expressions against the reference


def probe_values(characteristic: Characteristic) -> list[float | None]:
    """Every bin edge, values just inside each edge, midpoints, and far into the last bin."""
    values: list[float | None] = []
    for current in characteristic.bins:
        values += [current.lower, current.lower + 1e-9, current.lower + 0.25]
        if not math.isinf(current.upper):
            values += [current.upper - 1e-9, (current.lower + current.upper) / 2]
    values += [characteristic.bins[-1].lower * 10 + 1e6]
    if characteristic.missing is not None:
        values.append(None)
    return values


@pytest.mark.parametrize("name", [c.name for c in CARD.characteristics])
def test_points_expr_equals_the_reference_points_at_every_bin_edge(name: str) -> None:
    # one case per characteristic of the card
    characteristic = CARD.characteristic(name)
    values = probe_values(characteristic)
    got = raw_points(characteristic, values)
    for value, points in zip(values, got, strict=True):
        assert points is not None, (name, value)
        assert points == pytest.approx(characteristic.points(value), abs=1e-9), (name, value)


def test_points_expr_gives_the_missing_points_for_a_null_feature() -> None:
    with_missing = [c for c in CARD.characteristics if c.missing is not None]
    assert with_missing  # receipts and friends have a neutral `missing`
    for c in with_missing:
        assert raw_points(c, [None]) == [c.missing] == [c.points(None)]


# ------------------------------------------------------------------- random rows: sum of parts

# The characteristics that share the reason code `overdue_payments`.
SHARED_OVERDUE = ("overdue_bills", "weighted_overdue_days")

# Feature ranges for random rows: (integer feature?, highest value drawn).
RANDOM_RANGES: dict[str, tuple[bool, float]] = {
    "overdue_bills": (True, 15),
    "weighted_overdue_days": (True, 3000),
    "deliberate_defaults": (True, 5),
    "credit_repaid_bills": (True, 40),
    "card_repaid_bills": (True, 5),
    "history_months": (True, 200),
    "negative_legal_records": (True, 3),
    "negative_financial_records": (True, 3),
    "negative_life_records": (True, 3),
    "profile_items": (True, 7),
    "phone_changes": (True, 6),
    "address_changes": (True, 6),
    "assets_value_cny": (False, 1e8),
    "salary_months": (True, 7),
    "receipt_confirmed_share": (False, 1.0),
    "living_payment_months": (True, 12),
    "active_months": (True, 12),
    "loan_applications_recent": (True, 12),
    "risk_events": (True, 3),
    "friends_mean_score": (False, 950),
}


def random_rows(count: int, seed: int = 20260630) -> list[dict[str, Any]]:
    """Random feature rows: values across every bin, bin edges, a best value, nulls if allowed."""
    rng = np.random.default_rng(seed)
    assert set(RANDOM_RANGES) == {c.name for c in CARD.characteristics}
    rows: list[dict[str, Any]] = [{} for _ in range(count)]
    for c in CARD.characteristics:
        is_int, high = RANDOM_RANGES[c.name]
        low = c.bins[0].lower
        edges = [b.lower for b in c.bins]
        for row in rows:
            draw = rng.random()
            if c.missing is not None and draw < 0.1:
                value: float | None = None
            elif draw < 0.35:
                value = float(rng.choice(edges))
            elif draw < 0.45:
                value = best_value(c)
            elif c.name == "assets_value_cny":
                value = float(10 ** rng.uniform(0, math.log10(high)))
            else:
                value = float(rng.uniform(low, high))
            if value is not None and is_int:
                value = int(value)
            row[c.name] = value
    return rows


@pytest.fixture(scope="module")
def random_scored() -> tuple[list[dict[str, Any]], pl.DataFrame]:
    rows = random_rows(1500)
    return rows, score(rows)


def test_score_equals_base_points_plus_the_whole_points_of_every_characteristic(
    random_scored: tuple[list[dict[str, Any]], pl.DataFrame],
) -> None:
    rows, scored = random_scored
    names = [points_column(c.name) for c in CARD.characteristics]
    for row, out in zip(rows, scored.iter_rows(named=True), strict=True):
        parts = [out[n] for n in names]
        assert out["score"] == CARD.base_points + sum(parts)
        assert CARD.min_score <= out["score"] <= CARD.max_score
        for c in CARD.characteristics:
            reference = c.points(row[c.name])
            whole = out[points_column(c.name)]
            assert abs(whole - reference) <= 0.5 + 1e-9, (c.name, row[c.name])
            assert 0 <= whole <= c.best_points


def test_sub_scores_are_100_times_the_dimension_raw_points_over_its_best(
    random_scored: tuple[list[dict[str, Any]], pl.DataFrame],
) -> None:
    rows, scored = random_scored
    for row, out in zip(rows, scored.iter_rows(named=True), strict=True):
        for dimension in DIMENSIONS:
            raw = sum(
                c.points(row[c.name]) for c in CARD.characteristics if c.dimension == dimension
            )
            expected = 100 * raw / CARD.dimension_best(dimension)
            assert 0 <= out[dimension] <= 100
            assert out[dimension] == pytest.approx(expected, abs=1e-4), (dimension, row)


def test_tier_and_benefits_of_random_scores_follow_the_contract(
    random_scored: tuple[list[dict[str, Any]], pl.DataFrame],
) -> None:
    _, scored = random_scored
    tiers = set()
    for out in scored.iter_rows(named=True):
        assert out["tier"] == contract_tier(out["score"])
        assert set(out["benefits"]) == contract_benefits(out["score"])
        assert len(out["benefits"]) == len(set(out["benefits"]))
        tiers.add(out["tier"])
    assert tiers == {"poor", "fair", "good", "very_good", "excellent"}  # the rows span all tiers


def test_reasons_follow_the_reason_rule_on_random_users(
    random_scored: tuple[list[dict[str, Any]], pl.DataFrame],
) -> None:
    """Adverse facts first, then the codes furthest below their reference (tests/reasons.py
    states the rule row by row)."""
    rows, scored = random_scored
    shared_loses = adverse_first = 0
    for row, out in zip(rows, scored.iter_rows(named=True), strict=True):
        check_reasons(CARD, row, out["reasons"])
        both = [loss(CARD.characteristic(n), row[n]) for n in SHARED_OVERDUE]
        shared_loses += all(lost > 1e-9 for lost in both) and "overdue_payments" in out["reasons"]
        adverse_first += bool(out["reasons"]) and out["reasons"][0] in ADVERSE_FACTS
    assert shared_loses > 50  # the rows often rank a code lost on both of its characteristics
    assert adverse_first > 50


# ------------------------------------------------------------------------- tiers and benefits


@pytest.mark.parametrize(
    ("below", "at"),
    [
        (549, 550),  # poor -> fair
        (599, 600),  # fair -> good, deposit_free_rental
        (649, 650),  # good -> very_good, car_rental_no_deposit and installment_loans
        (699, 700),  # very_good -> excellent, credit_loans and pay_later
        (749, 750),  # excellent stays, visa_and_car_loan
    ],
)
def test_tier_and_benefits_change_exactly_at_each_boundary_score(below: int, at: int) -> None:
    frame = pl.DataFrame({"score": [below, at]}, schema={"score": pl.Int32})
    out = frame.select(
        tier_expr(pl.col("score")).alias("tier"), benefits_expr(pl.col("score")).alias("benefits")
    )
    for score_value, tier, benefits in zip(
        [below, at], out["tier"].to_list(), out["benefits"].to_list(), strict=True
    ):
        assert tier == contract_tier(score_value)
        assert set(benefits) == contract_benefits(score_value)
    gained = contract_benefits(at) - contract_benefits(below)
    assert contract_tier(below) != contract_tier(at) or gained  # each boundary changes something


def test_the_lowest_and_highest_scores_have_the_lowest_and_highest_tier() -> None:
    frame = pl.DataFrame({"score": [350, 950]}, schema={"score": pl.Int32})
    out = frame.select(
        tier_expr(pl.col("score")).alias("tier"), benefits_expr(pl.col("score")).alias("b")
    )
    assert out["tier"].to_list() == ["poor", "excellent"]
    assert [set(b) for b in out["b"].to_list()] == [set(), set(CONTRACT_BENEFITS)]


def test_unscorable_rows_have_no_score_tier_unscorable_and_no_benefits_or_reasons() -> None:
    # a user at every worst bin, and a perfect one, both without enough data
    scored = score(
        [
            worst_features() | {"is_scorable": False},
            {"is_scorable": False},
            {"is_scorable": True},  # control: the same perfect user, scorable
        ]
    )
    for out in scored.head(2).iter_rows(named=True):
        assert out["score"] is None
        assert out["tier"] == "unscorable"
        assert out["benefits"] == []
        assert out["reasons"] == []
    control = scored.row(2, named=True)
    assert control["score"] == CARD.max_score
    assert control["tier"] == "excellent"


def test_a_user_at_every_worst_bin_scores_the_lowest_score() -> None:
    out = score([worst_features()]).row(0, named=True)
    assert out["score"] == CARD.min_score
    assert all(out[d] == 0.0 for d in DIMENSIONS)
    assert out["tier"] == "poor"
    assert out["benefits"] == []
    assert len(out["reasons"]) == 4


# --------------------------------------------------------------------------------- reasons


def test_a_perfect_user_has_no_reasons_and_every_sub_score_is_100() -> None:
    out = score([{}]).row(0, named=True)
    assert out["score"] == CARD.max_score
    assert out["reasons"] == []
    assert all(out[d] == 100.0 for d in DIMENSIONS)


# A perfect user with these characteristics changed (value, loss from the card's bins):
SIX_LOSSES = {
    "assets_value_cny": 0.0,  # low_assets: 80 lost
    "profile_items": 5,  # incomplete_profile: 60 - 16 = 44 lost
    "weighted_overdue_days": 10,  # overdue_payments: 35 - (22 - 6 * 2 / 23) = 13.52 lost
    "risk_events": 1,  # platform_violation: 20 - 4 = 16 lost
    "overdue_bills": 1,  # overdue_payments again: 30 - 20 = 10 lost, 23.52 with the days
    "phone_changes": 1,  # frequent_phone_change: 10 - 7 = 3 lost
}


@pytest.mark.parametrize(
    ("losing", "expected"),
    [
        (1, ["low_assets"]),
        (2, ["low_assets", "incomplete_profile"]),
        # an adverse fact (an overdue) comes first, however few points it costs
        (3, ["overdue_payments", "low_assets", "incomplete_profile"]),
        # among adverse facts, the days alone (13.52) lose less than the violation (16)
        (4, ["platform_violation", "overdue_payments", "low_assets", "incomplete_profile"]),
        # the overdue bill adds its 10 to the code: 23.52 now ranks above the violation
        (5, ["overdue_payments", "platform_violation", "low_assets", "incomplete_profile"]),
        # a phone change is an adverse fact too: it takes the place of incomplete_profile
        (6, ["overdue_payments", "platform_violation", "frequent_phone_change", "low_assets"]),
    ],
)
def test_reasons_rank_the_losing_codes_by_summed_points_lost(
    losing: int, expected: list[str]
) -> None:
    # a perfect user losing points on the first `losing` characteristics of SIX_LOSSES
    changed = dict(list(SIX_LOSSES.items())[:losing])
    out = score([changed]).row(0, named=True)
    assert out["reasons"] == expected == expected_reasons(changed)


def test_a_user_losing_points_on_five_codes_gets_adverse_facts_then_the_largest_losses() -> None:
    out = score([SIX_LOSSES]).row(0, named=True)
    losses = code_losses(perfect_features() | SIX_LOSSES)
    losing = {code: lost for code, lost in losses.items() if lost > 0}
    assert len(losing) == 5
    assert len(set(losing.values())) == 5  # distinct losses, so the order is not a tie-break
    bills, days = (loss(CARD.characteristic(n), SIX_LOSSES[n]) for n in SHARED_OVERDUE)
    assert losing["overdue_payments"] == pytest.approx(bills + days)
    # each part alone loses less than the violation; only their sum outranks it
    assert bills < losing["platform_violation"] and days < losing["platform_violation"]
    assert out["reasons"] == [
        "overdue_payments",
        "platform_violation",
        "frequent_phone_change",  # the smallest loss, but an adverse fact
        "low_assets",
    ]
    assert "incomplete_profile" not in out["reasons"]  # 44 points, but four codes rank above


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        # 3 and 3 lost: phone before address (card order; alphabetically address comes first)
        (
            {"address_changes": 1, "phone_changes": 1},
            ["frequent_phone_change", "frequent_address_change"],
        ),
        # 10 + 9 = 19 lost on the overdue code, 20 - 1 = 19 on activity: card order
        (
            {"active_months": 1, "overdue_bills": 1, "weighted_overdue_days": 1},
            ["overdue_payments", "low_activity"],
        ),
        # 10 + 20 = 30 lost on the overdue code, 30 on three deliberate defaults: card order
        (
            {"deliberate_defaults": 3, "overdue_bills": 1, "weighted_overdue_days": 31},
            ["overdue_payments", "deliberate_default"],
        ),
    ],
    ids=["phone_address", "overdue_activity", "overdue_deliberate"],
)
def test_tied_codes_keep_the_card_order_of_their_first_appearance(
    changed: dict[str, Any], expected: list[str]
) -> None:
    losses = code_losses(perfect_features() | changed)
    assert losses[expected[0]] == losses[expected[1]]  # an exact tie
    out = score([changed]).row(0, named=True)
    assert out["reasons"] == expected == expected_reasons(changed)


def test_a_user_at_every_worst_bin_is_told_the_largest_adverse_facts() -> None:
    # every adverse fact is present: overdue_payments loses 30 + 35 = 65, no living payments 35,
    # a deliberate default 30, a legal record 25 (low_assets loses 80, but is no adverse fact)
    out = score([worst_features()]).row(0, named=True)
    assert out["reasons"] == [
        "overdue_payments",
        "no_living_payments",
        "deliberate_default",
        "negative_record_legal",
    ]
    assert out["reasons"] == expected_reasons(worst_features())


# ------------------------------------------------------------ deliberate default against overdue

# a deliberate default's day weighs this many days
WEIGHT = CARD_PARAMETERS["deliberate_default_weight"]


def test_deliberate_default_costs_more_than_an_ordinary_overdue_of_the_same_length() -> None:
    # user A: one ordinary overdue bill x days past due; user B: the same bill, deliberate
    days = list(range(1, 1001))
    ordinary = [
        {"overdue_bills": 1, "weighted_overdue_days": x, "deliberate_defaults": 0} for x in days
    ]
    deliberate = [
        {"overdue_bills": 1, "weighted_overdue_days": WEIGHT * x, "deliberate_defaults": 1}
        for x in days
    ]
    scored = score(ordinary + deliberate)
    ordinary_scores = scored["score"].head(len(days)).to_list()
    deliberate_scores = scored["score"].tail(len(days)).to_list()
    for x, a, b, row_a, row_b in zip(
        days, ordinary_scores, deliberate_scores, ordinary, deliberate, strict=True
    ):
        assert b < a, x
        # the unrounded card agrees: B loses strictly more points than A
        assert sum(loss(CARD.characteristic(n), v) for n, v in row_b.items()) > sum(
            loss(CARD.characteristic(n), v) for n, v in row_a.items()
        ), x


@pytest.mark.parametrize("earlier_days", [1, 5, 30, 100, 400, 1000])
@pytest.mark.parametrize("earlier", ["ordinary", "deliberate"])
def test_a_new_deliberate_default_costs_more_than_a_new_ordinary_overdue_after_an_earlier_one(
    earlier: str, earlier_days: int
) -> None:
    # both users already have one overdue bill `earlier_days` past due (ordinary or deliberate);
    # user A's new bill x days past due is ordinary, user B's is deliberate
    before = 1 if earlier == "deliberate" else 0
    earlier_weighted = (WEIGHT if before else 1) * earlier_days
    days = list(range(1, 1001))
    ordinary = [
        {
            "overdue_bills": 2,
            "weighted_overdue_days": earlier_weighted + x,
            "deliberate_defaults": before,
        }
        for x in days
    ]
    deliberate = [
        {
            "overdue_bills": 2,
            "weighted_overdue_days": earlier_weighted + WEIGHT * x,
            "deliberate_defaults": before + 1,
        }
        for x in days
    ]
    scored = score(ordinary + deliberate)
    ordinary_scores = scored["score"].head(len(days)).to_list()
    deliberate_scores = scored["score"].tail(len(days)).to_list()
    for x, a, b in zip(days, ordinary_scores, deliberate_scores, strict=True):
        assert b < a, (earlier, earlier_days, x)


# ------------------------------------------------------------------- monotonic directions


def bin_lowers(name: str) -> list[float]:
    return [b.lower for b in CARD.characteristic(name).bins]


def strictly(values: list[Any], *, increasing: bool) -> bool:
    pairs = itertools.pairwise(values)
    return all((b > a) if increasing else (b < a) for a, b in pairs)


def never(values: list[Any], *, increasing: bool) -> bool:
    """Non-decreasing (``increasing``) or non-increasing."""
    pairs = itertools.pairwise(values)
    return all((b >= a) if increasing else (b <= a) for a, b in pairs)


STRICT_DIRECTIONS: list[tuple[Any, ...]] = [
    # weighted overdue days: every further day up to three years costs raw points (flat after)
    ("weighted_overdue_days", list(range(1097)), list(range(3001)), False),
    # overdue bills: every further bill up to ten costs raw points (flat after)
    ("overdue_bills", list(range(11)), list(range(51)), False),
    # friends' mean score: a better network always earns more raw points
    ("friends_mean_score", [350 + i / 2 for i in range(1201)], list(range(350, 2000)), True),
    # profile items: each item adds
    ("profile_items", list(range(8)), list(range(8)), True),
    # repaid huabei/jiebei bills: every bill up to 24 adds
    ("credit_repaid_bills", list(range(25)), list(range(100)), True),
    # salary months: each month of the window adds
    ("salary_months", list(range(7)), list(range(13)), True),
    # living payment months: each month adds
    ("living_payment_months", list(range(13)), list(range(13)), True),
    # active months: each month adds
    ("active_months", list(range(13)), list(range(13)), True),
    # receipt share: confirming more receipts always earns more
    (
        "receipt_confirmed_share",
        [i / 200 for i in range(201)],
        [i / 200 for i in range(201)],
        True,
    ),
]


@pytest.mark.parametrize(
    ("name", "strict_grid", "whole_grid", "increasing"),
    STRICT_DIRECTIONS,
    ids=[case[0] for case in STRICT_DIRECTIONS],
)
def test_points_move_strictly_in_the_required_direction(
    name: str, strict_grid: list[float], whole_grid: list[float], increasing: bool
) -> None:
    characteristic = CARD.characteristic(name)
    raw = raw_points(characteristic, list(map(float, strict_grid)))
    assert strictly(raw, increasing=increasing), name
    # beyond the strict range (flat bins), never against the direction, raw or whole
    wide = raw_points(characteristic, list(map(float, whole_grid)))
    assert never(wide, increasing=increasing), name
    assert never(whole_points(name, whole_grid), increasing=increasing), name
    # in whole points, strictly between the bins (at each bin's lower edge)
    assert strictly(whole_points(name, bin_lowers(name)), increasing=increasing), name


def test_each_profile_item_adds_whole_points() -> None:
    whole = whole_points("profile_items", list(range(8)))
    assert strictly(whole, increasing=True), whole


NEVER_AGAINST: list[tuple[Any, ...]] = [
    # more assets never score less (log grid up to 100 million, plus every bin edge)
    (
        "assets_value_cny",
        sorted({*(10 ** (i / 20) for i in range(161)), 0.0, *bin_lowers("assets_value_cny")}),
        True,
    ),
    # more loan applications in 30 days never score more
    ("loan_applications_recent", list(range(51)), False),
    # a repaid bank card is a bonus, never a penalty
    ("card_repaid_bills", list(range(51)), True),
    # a longer history never scores less
    ("history_months", list(range(301)), True),
    # more deliberate defaults never score more
    ("deliberate_defaults", list(range(11)), False),
    # more counting negative records never score more
    ("negative_legal_records", list(range(11)), False),
    ("negative_financial_records", list(range(11)), False),
    ("negative_life_records", list(range(11)), False),
    # more platform violations never score more
    ("risk_events", list(range(11)), False),
    # more phone / address changes never score more
    ("phone_changes", list(range(21)), False),
    ("address_changes", list(range(21)), False),
]


@pytest.mark.parametrize(
    ("name", "grid", "increasing"), NEVER_AGAINST, ids=[case[0] for case in NEVER_AGAINST]
)
def test_points_never_move_against_the_required_direction(
    name: str, grid: list[float], increasing: bool
) -> None:
    characteristic = CARD.characteristic(name)
    assert never(raw_points(characteristic, list(map(float, grid))), increasing=increasing), name
    assert never(whole_points(name, grid), increasing=increasing), name


@pytest.mark.parametrize(
    ("name", "none", "some"),
    [
        # several phone changes score strictly below none
        ("phone_changes", 0, 2),
        ("phone_changes", 0, 5),
        # several address changes score strictly below none
        ("address_changes", 0, 2),
        ("address_changes", 0, 5),
        # one counting negative record of each category scores below none
        ("negative_legal_records", 0, 1),
        ("negative_financial_records", 0, 1),
        ("negative_life_records", 0, 1),
        # one platform violation scores below none
        ("risk_events", 0, 1),
        # one overdue bill scores below none
        ("overdue_bills", 0, 1),
        # one (weighted) day past due scores below none
        ("weighted_overdue_days", 0, 1),
        # one deliberate default scores below none
        ("deliberate_defaults", 0, 1),
        # repaying one huabei/jiebei bill scores above none
        ("credit_repaid_bills", 1, 0),
        # one month of living payments scores above none
        ("living_payment_months", 1, 0),
    ],
)
def test_the_first_step_away_from_none_changes_whole_points(
    name: str, none: int, some: int
) -> None:
    # `none` is the better value, `some` the worse one
    better, worse = whole_points(name, [none, some])
    assert worse < better
