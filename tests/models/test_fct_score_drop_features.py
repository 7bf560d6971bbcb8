"""fct_score_drop_features, given rows: the features of the users whose score fell, at the report
date and at their own previous snapshot, for the users of the range only."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.models.given import D, Given, run_model

P = date(2026, 10, 30)
EARLIER = date(2026, 9, 30)
DROPS = {"report_date": "date", "user_id": "bigint", "previous_date": "date"}
AGGREGATES = {"user_id": "bigint", "snapshot_date": "date", "overdue_bills": "integer"}


def _aggregates(user_id: int, *days: date) -> list[dict[str, Any]]:
    return [{"user_id": user_id, "snapshot_date": day, "overdue_bills": user_id} for day in days]


def _features(user_from: int, user_to: int) -> list[tuple[int, date]]:
    drops = [
        {"report_date": D, "user_id": 1, "previous_date": P},
        {"report_date": D, "user_id": 2, "previous_date": EARLIER},  # not scored at P
        {"report_date": D, "user_id": 3, "previous_date": P},
    ]
    aggregates = [
        *_aggregates(1, EARLIER, P, D),
        *_aggregates(2, EARLIER, D),
        *_aggregates(3, EARLIER, P, D),
        *_aggregates(4, P, D),  # no drop
    ]
    rows = run_model(
        "marts/fct_score_drop_features",
        {
            "fct_score_drops": Given(DROPS, drops),
            "dimension_aggregates": Given(AGGREGATES, aggregates),
        },
        order_by="user_id, snapshot_date",
        user_from=user_from,
        user_to=user_to,
    )
    return [(row["user_id"], row["snapshot_date"]) for row in rows]


def test_each_dropped_user_brings_their_previous_snapshot_and_the_report_date() -> None:
    assert _features(1, 4) == [(1, P), (1, D), (2, EARLIER), (2, D), (3, P), (3, D)]


def test_only_the_range_of_users_is_read() -> None:
    assert _features(2, 3) == [(2, EARLIER), (2, D), (3, P), (3, D)]
    assert _features(5, 9) == []
