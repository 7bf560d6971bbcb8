"""report_tier_migration, given rows: the users of D counted by (tier at their own previous
snapshot, tier at D), from fct_previous_snapshots made from score_snapshots; users without an
earlier snapshot come from 'new', users gone by D are not counted, empty pairs have no row."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.models.given import D, Given, run_model

P = date(2026, 10, 30)  # the previous snapshot date
SNAPSHOTS = {"user_id": "bigint", "snapshot_date": "date", "tier": "varchar"}


def _report(
    tiers: list[tuple[int, date, str]], previous: date | None = P
) -> list[tuple[str, str, int]]:
    rows = run_model(
        "reports/report_tier_migration",
        {
            "score_snapshots": Given(
                SNAPSHOTS, [{"user_id": u, "snapshot_date": d, "tier": t} for u, d, t in tiers]
            )
        },
        order_by="previous_tier, tier",
        before=("marts/fct_previous_snapshots",),
        report_date=D,
        previous_snapshot_date=previous,
    )
    assert {row["report_date"] for row in rows} <= {D}
    return [(r["previous_tier"], r["tier"], r["users"]) for r in rows]


def test_each_pair_of_previous_and_current_tier_counts_its_users() -> None:
    older = date(2026, 10, 15)
    tiers: list[tuple[int, date, Any]] = [
        (1, P, "excellent"),
        (1, D, "excellent"),
        (2, P, "excellent"),
        (2, D, "excellent"),
        (3, P, "excellent"),
        (3, D, "very_good"),
        (4, P, "unscorable"),
        (4, D, "poor"),
        (5, D, "fair"),  # new at D
        (6, P, "good"),  # gone by D: not counted
        (7, older, "poor"),  # no row at P: its latest earlier snapshot is 10-15
        (7, D, "good"),
    ]
    assert _report(tiers) == [
        ("excellent", "excellent", 2),
        ("excellent", "very_good", 1),
        ("new", "fair", 1),
        ("poor", "good", 1),
        ("unscorable", "poor", 1),
    ]


def test_on_the_first_snapshot_date_every_user_is_new() -> None:
    tiers = [(1, D, "good"), (2, D, "good"), (3, D, "unscorable")]
    assert _report(tiers, previous=None) == [("new", "good", 2), ("new", "unscorable", 1)]
