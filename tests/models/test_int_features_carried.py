"""int_features_carried, given rows: for the friends_only requests only, every dimension's
aggregates but the relationships ones, as dimension_aggregates holds them at the previous date
for the same card, dated D."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.models.given import D, Given, parameters, run_model, score_requests

P = date(2026, 10, 30)
CARD = parameters()["model_version"]
AGGREGATES = {
    "user_id": "bigint",
    "snapshot_date": "date",
    "overdue_bills": "integer",
    "assets_value_cny": "double",
    "open_friends": "integer",
    "scored_friends": "integer",
    "friends_mean_score": "double",
    "is_scorable": "boolean",
    "model_version": "varchar",
    "run_id": "varchar",
}


def _aggregates(user_id: int, day: date, overdue: int, card: str = CARD) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "snapshot_date": day,
        "overdue_bills": overdue,
        "assets_value_cny": 1000.0 * user_id,
        "open_friends": 3,
        "scored_friends": 2,
        "friends_mean_score": 650.0,
        "is_scorable": True,
        "model_version": card,
        "run_id": "earlier",
    }


def test_friends_only_requests_take_the_other_dimensions_of_the_previous_date() -> None:
    aggregates = [
        _aggregates(1, P, overdue=2),
        _aggregates(1, date(2026, 10, 29), overdue=9),  # an older date: not read
        _aggregates(2, P, overdue=1),  # 2 is computed this pass: not carried
        _aggregates(3, P, overdue=5, card="scorecard-v1"),  # another card's row
    ]
    rows = run_model(
        "intermediate/int_features_carried",
        {
            "score_requests": score_requests([(1, D), (2, D), (3, D)], friends_only=[1, 3]),
            "dimension_aggregates": Given(AGGREGATES, aggregates),
        },
        order_by="user_id",
        snapshot_date=D,
        previous_date=P,
    )
    # the relationships columns and the lineage are left for fct_user_features to add
    assert rows == [
        {
            "user_id": 1,
            "snapshot_date": D,
            "overdue_bills": 2,
            "assets_value_cny": 1000.0,
            "is_snapshot": True,
        }
    ]
