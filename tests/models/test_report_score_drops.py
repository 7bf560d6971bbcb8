"""report_score_drops, given rows: fct_score_drops' users with the point changes the Polars step
put into score_drop_changes; a user it has none for gets empty lists"""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.models.given import D, Given, run_model

P = date(2026, 10, 30)
DROPS = {
    "report_date": "date",
    "user_id": "bigint",
    "previous_date": "date",
    "score_drop": "integer",
}
CHANGES = {
    "user_id": "bigint",
    "causes": "varchar[]",
    "point_changes": "struct(characteristic varchar, points integer)[]",
}


def _drop(user_id: int, score_drop: int) -> dict[str, Any]:
    return {"report_date": D, "user_id": user_id, "previous_date": P, "score_drop": score_drop}


def test_each_drop_gets_its_point_changes_and_the_biggest_drop_comes_first() -> None:
    drops = [_drop(1, 5), _drop(2, 30), _drop(3, 5)]
    changes = [
        {
            "user_id": 2,
            "causes": ["new_overdue"],
            "point_changes": [{"characteristic": "weighted_overdue_days", "points": -30}],
        },
        {
            "user_id": 1,
            "causes": [],
            "point_changes": [
                {"characteristic": "history_months", "points": -2},
                {"characteristic": "assets", "points": -3},
            ],
        },
    ]
    rows = run_model(
        "reports/report_score_drops",
        {"fct_score_drops": Given(DROPS, drops), "score_drop_changes": Given(CHANGES, changes)},
        order_by="score_drop desc, user_id",
    )
    assert [(row["user_id"], row["score_drop"]) for row in rows] == [(2, 30), (1, 5), (3, 5)]
    assert rows[0]["causes"] == ["new_overdue"]
    assert [c["points"] for c in rows[1]["point_changes"]] == [-2, -3]
    assert (rows[2]["causes"], rows[2]["point_changes"]) == ([], [])  # none computed: empty
    assert all(row["previous_date"] == P for row in rows)
