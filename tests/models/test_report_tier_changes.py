"""report_tier_changes, given rows: the users whose tier or benefits at D differ from their own
previous snapshot (fct_previous_snapshots, made from score_snapshots), with the benefits gained
and lost (contract section 3: tiers at 550, 600, 650 and 700; benefits at 600, 650, 700, 750);
users new at D are left out."""

from __future__ import annotations

from datetime import date
from typing import Any

from sesame.transforms.tiers import benefits_of, tier_of
from tests.models.given import D, Given, run_model

P = date(2026, 10, 30)  # the previous snapshot date
SNAPSHOTS = {
    "user_id": "bigint",
    "snapshot_date": "date",
    "score": "integer",
    "tier": "varchar",
    "benefits": "varchar[]",
}


def _snapshot(user_id: int, day: date, score: int | None) -> dict[str, Any]:
    """A snapshot row as scoring writes it: the tier and benefits of its score."""
    return {
        "user_id": user_id,
        "snapshot_date": day,
        "score": score,
        "tier": tier_of(score),
        "benefits": benefits_of(score),
    }


def _changes(*users: tuple[int | None, int | None]) -> list[tuple[Any, ...]]:
    """Each user's (score at P, score at D), user ids from 1; None: unscorable."""
    rows = []
    for user_id, (before, now) in enumerate(users, start=1):
        rows.append(_snapshot(user_id, P, before))
        rows.append(_snapshot(user_id, D, now))
    return _report(rows)


def _report(snapshots: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    rows = run_model(
        "reports/report_tier_changes",
        {"score_snapshots": Given(SNAPSHOTS, snapshots)},
        order_by="user_id",
        before=("marts/fct_previous_snapshots",),
        report_date=D,
        previous_snapshot_date=P,
    )
    assert {row["report_date"] for row in rows} <= {D}
    return [
        (
            r["user_id"],
            r["previous_date"],
            r["previous_score"],
            r["score"],
            r["previous_tier"],
            r["tier"],
            r["benefits_gained"],
            r["benefits_lost"],
        )
        for r in rows
    ]


def test_crossing_a_threshold_lists_the_tier_and_the_benefits_gained_and_lost() -> None:
    rows = _changes((700, 699), (599, 600), (650, 699), (749, 750), (549, 550), (760, 640))
    assert rows == [
        (1, P, 700, 699, "excellent", "very_good", [], ["credit_loans", "pay_later"]),
        (2, P, 599, 600, "fair", "good", ["deposit_free_rental"], []),
        # 3: 650 -> 699 stays very_good with the same benefits: not a change
        (4, P, 749, 750, "excellent", "excellent", ["visa_and_car_loan"], []),  # benefits only
        (5, P, 549, 550, "poor", "fair", [], []),  # a tier, no benefit either side
        (
            6,
            P,
            760,
            640,
            "excellent",
            "good",
            [],
            # all but deposit_free_rental (600), in the snapshot's order
            [
                "car_rental_no_deposit",
                "installment_loans",
                "credit_loans",
                "pay_later",
                "visa_and_car_loan",
            ],
        ),
    ]


def test_becoming_unscorable_loses_every_benefit_and_scoring_again_gains_them() -> None:
    rows = _changes((720, None), (None, None), (None, 610))
    lost = ["deposit_free_rental", "car_rental_no_deposit", "installment_loans"]
    assert rows == [
        (1, P, 720, None, "excellent", "unscorable", [], [*lost, "credit_loans", "pay_later"]),
        # 2: unscorable both days: no change
        (3, P, None, 610, "unscorable", "good", ["deposit_free_rental"], []),
    ]


def test_users_new_at_d_are_left_out_and_others_compare_with_their_latest_snapshot() -> None:
    older = date(2026, 10, 15)
    snapshots = [
        _snapshot(1, D, 720),  # new: no earlier snapshot
        _snapshot(2, older, 705),  # no row at P: compared with 10-15
        _snapshot(2, D, 690),
        _snapshot(3, older, 705),  # a row at P: compared with P only
        _snapshot(3, P, 690),
        _snapshot(3, D, 690),
    ]
    assert _report(snapshots) == [
        (2, older, 705, 690, "excellent", "very_good", [], ["credit_loans", "pay_later"])
    ]
