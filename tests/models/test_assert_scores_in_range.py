"""assert_scores_in_range, given rows: the data check that stops a run whose staged snapshots
leave the contract's range (section 3: a score from 350 to 950, sub-scores from 0 to 100), or
whose scorable users lack a sub-score, or whose unscorable ones have a tier or benefits."""

from __future__ import annotations

from typing import Any

from tests.models.given import Given, run_model

SNAPSHOTS = {
    "user_id": "bigint",
    "score": "integer",
    "published_score": "integer",
    "credit_history": "integer",
    "identity": "integer",
    "capacity": "integer",
    "behavior": "integer",
    "relationships": "integer",
    "tier": "varchar",
    "benefits": "varchar[]",
}
SUB_SCORES = {"credit_history": 50, "identity": 50, "capacity": 50, "behavior": 50}


def _row(user_id: int, score: int | None, **more: Any) -> dict[str, Any]:
    scored = {} if score is None else SUB_SCORES | {"relationships": 50}
    base = {"user_id": user_id, "score": score, "published_score": score, "tier": "good"}
    return base | {"benefits": []} | scored | more


def _offending(rows: list[dict[str, Any]]) -> list[int]:
    found = run_model(
        "checks/assert_scores_in_range", {"new_snapshots": Given(SNAPSHOTS, rows)}, "user_id"
    )
    return [row["user_id"] for row in found]


def test_scores_at_the_ends_of_the_range_pass_and_one_point_outside_fails() -> None:
    rows = [_row(1, 350), _row(2, 950), _row(3, 349), _row(4, 951)]
    rows += [_row(5, 600, published_score=951), _row(6, 600, published_score=349)]
    assert _offending(rows) == [3, 4, 5, 6]


def test_sub_scores_outside_0_to_100_or_missing_fail() -> None:
    rows = [_row(1, 600, capacity=0), _row(2, 600, behavior=100)]
    rows += [_row(3, 600, identity=-1), _row(4, 600, relationships=101)]
    rows += [_row(5, 600, credit_history=None)]
    assert _offending(rows) == [3, 4, 5]


def test_an_unscorable_user_has_no_tier_but_unscorable_and_no_benefits() -> None:
    rows = [_row(1, None, tier="unscorable"), _row(2, None, tier="poor")]
    rows += [_row(3, None, tier="unscorable", benefits=["pay_later"])]
    assert _offending(rows) == [2, 3]
