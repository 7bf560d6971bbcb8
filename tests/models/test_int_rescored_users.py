"""int_rescored_users, given rows: which users an incremental night for D scores again instead of
carrying their row of P (the day before), and the first cause found: changed rows, a new user,
a moment an edge passed (the end of the day, a window's start, a record's retention), an unpaid
bill ageing, a refresh day, a friend's published score. A full night (no P) lists nobody."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tests.models.given import Given, run_model

D = date(2026, 10, 15)  # a mid-month night: D's day can be a refresh day
P = date(2026, 10, 14)
BEFORE_P = date(2026, 10, 13)
END_OF_P = datetime(2026, 10, 15)  # the first instant after P: D's first
END_OF_D = datetime(2026, 10, 16)
JUST_BEFORE = datetime(2026, 10, 14, 23, 59, 59, 999999)  # P's last instant
# the windows' first days at D and at P (window_start: the day after D - months): a moment on
# the day at P leaves the window at D
LEFT_12 = date(2025, 10, 15)  # behaviour and profile windows (12 months); D's starts 10-16
LEFT_24 = date(2024, 10, 15)  # overdue and risk lookbacks (24 months); D's starts 10-16
LEFT_30_DAYS = date(2026, 9, 15)  # applications (30 days before the end of D: from 09-16)
LONG_AGO = datetime(2020, 1, 1)

TABLES = {
    "stg_users": {
        "user_id": "bigint",
        "registered_at": "timestamp",
        "score_refresh_day": "tinyint",
    },
    "stg_profile_changes": {"user_id": "bigint", "changed_at": "timestamp"},
    "stg_transactions": {"user_id": "bigint", "txn_ts": "timestamp"},
    "stg_credit_accounts": {
        "user_id": "bigint",
        "opened_at": "timestamp",
        "closed_at": "timestamp",
    },
    "stg_bills": {
        "user_id": "bigint",
        "due_date": "date",
        "paid_at": "timestamp",
        "amount_due": "double",
        "amount_paid": "double",
    },
    "stg_loan_applications": {"user_id": "bigint", "applied_at": "timestamp"},
    "stg_negative_records": {
        "user_id": "bigint",
        "category": "varchar",
        "occurred_at": "timestamp",
        "resolved_at": "timestamp",
    },
    "stg_repair_requests": {"user_id": "bigint", "requested_at": "timestamp"},
    "stg_relationships": {
        "user_id": "bigint",
        "friend_id": "bigint",
        "since": "timestamp",
        "ended_at": "timestamp",
    },
    "stg_assets": {"user_id": "bigint", "as_of": "date"},
    "stg_risk_events": {"user_id": "bigint", "event_ts": "timestamp"},
    "score_snapshots": {"user_id": "bigint", "snapshot_date": "date", "published_score": "integer"},
    "user_changes": {"user_id": "bigint"},
}


def _known(*users: int) -> dict[str, list[dict[str, Any]]]:
    """Users registered long ago, with no refresh day and a row at P: nothing to rescore."""
    return {
        "stg_users": [
            {"user_id": u, "registered_at": LONG_AGO, "score_refresh_day": None} for u in users
        ],
        "score_snapshots": [
            {"user_id": u, "snapshot_date": P, "published_score": 600} for u in users
        ],
    }


def _rescored(rows: dict[str, list[dict[str, Any]]], **overrides: Any) -> list[tuple[int, str]]:
    bound: dict[str, Any] = {
        "snapshot_date": D,
        "previous_date": P,
        "before_previous_date": BEFORE_P,
        "user_from": 1,
        "user_to": 9,
    } | overrides
    tables = {name: Given(columns, rows.get(name, [])) for name, columns in TABLES.items()}
    result = run_model("intermediate/int_rescored_users", tables, order_by="user_id", **bound)
    return [(r["user_id"], r["why"]) for r in result]


def test_a_moment_on_d_passes_the_day_end_edge_and_a_date_on_p_or_d_does_too() -> None:
    rows = _known(1, 2, 3, 4, 5, 6, 7)
    rows["stg_transactions"] = [
        {"user_id": 1, "txn_ts": END_OF_P},  # D's first instant
        {"user_id": 2, "txn_ts": JUST_BEFORE},  # P's last instant: P saw it already
        {"user_id": 3, "txn_ts": END_OF_D},  # after D: D does not see it either
    ]
    rows["stg_assets"] = [
        {"user_id": 4, "as_of": P},  # a date on P: rescored (the model's rule: P or D)
        {"user_id": 5, "as_of": date(2026, 10, 13)},
    ]
    rows["stg_negative_records"] = [  # a closing column is a moment too
        {
            "user_id": 6,
            "category": "life",
            "occurred_at": LONG_AGO,
            "resolved_at": datetime(2026, 10, 15, 23, 59, 59, 999999),
        },
    ]
    rows["stg_relationships"] = [  # an open edge's null end is no moment
        {"user_id": 7, "friend_id": 8, "since": LONG_AGO, "ended_at": None},
    ]
    assert _rescored(rows) == [(1, "edge_passed"), (4, "edge_passed"), (6, "edge_passed")]


def test_a_moment_on_a_window_s_first_day_at_p_is_rescored_by_the_windows_that_read_it() -> None:
    rows = _known(*range(1, 10))
    rows["stg_transactions"] = [
        {"user_id": 1, "txn_ts": datetime(2025, 10, 15, 18)},  # leaves the behaviour window
        {"user_id": 2, "txn_ts": datetime(2025, 10, 16)},  # still in it at D
        {"user_id": 3, "txn_ts": datetime(2025, 10, 14, 23, 59, 59, 999999)},  # out at P already
        {"user_id": 4, "txn_ts": datetime(2024, 10, 15, 18)},  # no 24-month window reads these
    ]
    rows["stg_bills"] = [  # paid on its due date, LEFT_24: leaves the overdue lookback
        {
            "user_id": 5,
            "due_date": LEFT_24,
            "paid_at": datetime(2024, 10, 15, 9),
            "amount_due": 10.0,
            "amount_paid": 10.0,
        },
    ]
    rows["stg_profile_changes"] = [{"user_id": 6, "changed_at": datetime(2025, 10, 15, 8)}]
    rows["stg_risk_events"] = [{"user_id": 7, "event_ts": datetime(2024, 10, 15, 8)}]
    rows["stg_loan_applications"] = [
        {"user_id": 8, "applied_at": datetime(2026, 9, 15, 23)},  # leaves the 30 days
        {"user_id": 9, "applied_at": datetime(2026, 9, 16)},  # still in them at D
    ]
    assert _rescored(rows) == [
        (1, "edge_passed"),
        (5, "edge_passed"),
        (6, "edge_passed"),
        (7, "edge_passed"),
        (8, "edge_passed"),
    ]


def test_a_record_whose_retention_ends_on_d_is_rescored() -> None:
    def record(user_id: int, category: str, resolved_at: datetime) -> dict[str, Any]:
        return {
            "user_id": user_id,
            "category": category,
            "occurred_at": LONG_AGO,
            "resolved_at": resolved_at,
        }

    rows = _known(1, 2, 3, 4)
    rows["stg_negative_records"] = [
        record(1, "legal", datetime(2021, 10, 15, 12)),  # counts until D 12:00: stops on D
        record(2, "financial", datetime(2021, 10, 14, 23, 59, 59, 999999)),  # stopped by P's end
        record(3, "financial", datetime(2021, 10, 16)),  # until END_OF_D: still counts at D
        record(4, "life", datetime(2024, 10, 15)),  # life: 2 years, until D's first instant
    ]
    assert _rescored(rows) == [(1, "edge_passed"), (4, "edge_passed")]


def test_a_bill_due_by_d_and_not_paid_in_full_by_the_end_of_p_ages() -> None:
    def bill(user_id: int, paid_at: datetime | None, paid: float, due: date) -> dict[str, Any]:
        return {
            "user_id": user_id,
            "due_date": due,
            "paid_at": paid_at,
            "amount_due": 100.0,
            "amount_paid": paid,
        }

    june = date(2026, 6, 1)
    rows = _known(1, 2, 3, 4, 5)
    rows["stg_bills"] = [
        bill(1, None, 0.0, june),  # unpaid: a day older at D
        bill(2, JUST_BEFORE, 100.0, june),  # paid in full in P's last instant: fixed
        bill(3, datetime(2026, 7, 1), 99.0, june),  # paid, but not in full: still ageing
        bill(4, datetime(2026, 10, 15, 10), 100.0, june),  # paid on D: the edge comes first
        bill(5, None, 0.0, date(2026, 10, 16)),  # due after D
    ]
    assert _rescored(rows) == [(1, "unpaid_bill"), (3, "unpaid_bill"), (4, "edge_passed")]


def test_the_first_cause_names_changed_rows_new_users_and_refresh_days() -> None:
    def user(user_id: int, registered_at: datetime, refresh_day: int | None) -> dict[str, Any]:
        return {
            "user_id": user_id,
            "registered_at": registered_at,
            "score_refresh_day": refresh_day,
        }

    rows = _known(1, 3, 4, 10)
    rows["stg_users"] = [
        user(1, LONG_AGO, None),
        user(2, datetime(2026, 10, 15, 9), None),  # registered on D
        user(3, LONG_AGO, 15),  # D is the refresh day: the latest moves from 09-15 to D
        user(4, LONG_AGO, 14),  # P was the refresh day: the latest is P's at both
        user(5, END_OF_D, None),  # registered after D
        user(6, LONG_AGO, 15),  # no row at P
        user(10, LONG_AGO, None),
    ]
    rows["user_changes"] = [{"user_id": 1}, {"user_id": 10}]  # 10: another partition's
    rows["stg_transactions"] = [{"user_id": 1, "txn_ts": END_OF_P}]  # changed rows come first
    assert _rescored(rows) == [
        (1, "changed_rows"),
        (2, "new_user"),  # new comes before its registration being an edge passed
        (3, "refresh_day"),
        (6, "new_user"),  # new comes before a refresh day
    ]


def test_a_friend_s_published_score_changing_at_p_rescores_the_user() -> None:
    rows = _known(1, 2, 3, 4)

    def scores(friend: int, at_p: int | None, before_p: int | None) -> list[dict[str, Any]]:
        found = [{"user_id": friend, "snapshot_date": P, "published_score": at_p}]
        if before_p is not None:
            found.append(
                {"user_id": friend, "snapshot_date": BEFORE_P, "published_score": before_p}
            )
        return found

    # friends live in any partition: 101..104 are outside this one's 1..9
    rows["score_snapshots"] += [
        *scores(101, 700, 690),  # changed at P
        *scores(102, 700, 700),  # the same
        *scores(103, None, 690),  # unscorable at P: D still reads 690, as P did
        *scores(104, 650, None),  # a first published score at P
    ]
    rows["stg_relationships"] = [
        {"user_id": u, "friend_id": 100 + u, "since": LONG_AGO, "ended_at": None}
        for u in (1, 2, 3, 4)
    ]
    assert _rescored(rows) == [(1, "friend_score"), (4, "friend_score")]


def test_a_full_night_rescores_nobody_because_it_scores_everyone() -> None:
    rows = _known(1)
    rows["user_changes"] = [{"user_id": 1}]
    rows["stg_users"].append({"user_id": 2, "registered_at": END_OF_P, "score_refresh_day": 15})
    assert _rescored(rows, previous_date=None, before_previous_date=None) == []
