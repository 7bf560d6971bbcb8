"""int_features_behavior, given rows: the behavior dimension's characteristics at a date (the
receipt share, living payment months, active months, recent loan applications, platform
violations, and the evidence count), each read in its own window up to the end of the date."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tests.models.given import FEATURE_REQUESTS, D, Given, run_model, score_requests

MONTHS = {
    "user_id": "bigint",
    "snapshot_date": "date",
    "month_start": "date",
    "transactions": "integer",
    "shopping_transactions": "integer",
    "confirmed_receipts": "integer",
    "living_payments": "integer",
}
BILLS = {
    "user_id": "bigint",
    "snapshot_date": "date",
    "product": "varchar",
    "due_date": "date",
    "paid_at": "timestamp",
    "is_paid_in_full": "boolean",
    "is_repaired": "boolean",
}
LAST_INSTANT = datetime(2026, 10, 31, 23, 59, 59, 999999)  # D's last instant
END_OF_D = datetime(2026, 11, 1)  # the first instant after D
WINDOW_START = date(2025, 11, 1)  # the 12-month behaviour window of D starts here


def _features(
    columns: tuple[str, ...],
    users: tuple[int, ...] = (1,),
    day: date = D,
    months: list[dict[str, Any]] | None = None,
    bills: list[dict[str, Any]] | None = None,
    applications: list[datetime] | None = None,
    violations: list[datetime] | None = None,
) -> list[tuple[Any, ...]]:
    rows = run_model(
        "intermediate/int_features_behavior",
        {
            "score_requests": score_requests((user, day) for user in users),
            "int_transaction_months": Given(MONTHS, months or []),
            "int_bills_status": Given(BILLS, bills or []),
            "stg_loan_applications": Given(
                {"user_id": "bigint", "applied_at": "timestamp"},
                [{"user_id": 1, "applied_at": at} for at in applications or []],
            ),
            "stg_risk_events": Given(
                {"user_id": "bigint", "event_ts": "timestamp"},
                [{"user_id": 1, "event_ts": at} for at in violations or []],
            ),
        },
        order_by="user_id",
        before=(FEATURE_REQUESTS,),
    )
    return [(r["user_id"], *(r[column] for column in columns)) for r in rows]


def _month(user: int, start: date, transactions: int, **more: int) -> dict[str, Any]:
    counts = {"shopping_transactions": 0, "confirmed_receipts": 0, "living_payments": 0}
    base = {"user_id": user, "snapshot_date": D, "month_start": start}
    return base | {"transactions": transactions} | counts | more


def _bill(product: str, due: date, paid: datetime | None, repaired: bool = False) -> dict[str, Any]:
    return {
        "user_id": 1,
        "snapshot_date": D,
        "product": product,
        "due_date": due,
        "paid_at": paid,
        "is_paid_in_full": paid is not None,  # the rows give full payments by D, or none
        "is_repaired": repaired,
    }


def test_receipt_share_is_confirmed_over_shopping_and_null_without_shopping() -> None:
    months = [
        _month(1, date(2025, 11, 1), 5, shopping_transactions=3, confirmed_receipts=2),
        _month(1, date(2026, 10, 1), 2, shopping_transactions=1, confirmed_receipts=1),
        _month(2, date(2026, 10, 1), 4),  # transactions, but no shopping
    ]
    columns = ("receipt_confirmed_share", "active_months")
    assert _features(columns, users=(1, 2, 3), months=months) == [
        (1, 0.75, 2),  # (2 + 1) confirmed of (3 + 1) shopping; two months with transactions
        (2, None, 1),  # no shopping: no share
        (3, None, 0),  # no transactions at all
    ]


def test_living_payment_months_count_each_month_once_from_the_window_s_first_day() -> None:
    months = [_month(1, date(2026, 10, 1), 3, living_payments=1)]  # a living payment in 2026-10
    bills = [
        _bill("utility", date(2026, 10, 5), datetime(2026, 10, 5)),  # 2026-10 again: once
        _bill("phone", WINDOW_START, datetime(2025, 11, 1)),  # the window's first day: 2025-11
        _bill("rent", date(2025, 10, 31), datetime(2025, 10, 31, 23, 59, 59, 999999)),  # before
        _bill("utility", date(2026, 10, 20), None),  # unpaid: no payment
        _bill("huabei", date(2026, 5, 3), datetime(2026, 5, 3)),  # not a living bill
        # repaired: as if paid on time, so in its due date's month 2026-03, not 2026-04
        _bill("rent", date(2026, 3, 31), datetime(2026, 4, 10), repaired=True),
        # repaired: due in 2025-10, before the window, though paid in it
        _bill("utility", date(2025, 10, 31), datetime(2025, 11, 10), repaired=True),
    ]
    # 2026-10, 2025-11 and 2026-03
    assert _features(("living_payment_months",), months=months, bills=bills) == [(1, 3)]


def test_living_and_active_months_are_at_most_the_window_s_12() -> None:
    # a mid-month date's window (2025-10-16 .. 2026-10-15) touches 13 calendar months
    day = date(2026, 10, 15)
    starts = [date(2025 + (9 + k) // 12, (9 + k) % 12 + 1, 1) for k in range(13)]
    assert starts[0] == date(2025, 10, 1) and starts[-1] == date(2026, 10, 1)
    months = [_month(1, start, 1, living_payments=1) | {"snapshot_date": day} for start in starts]
    columns = ("living_payment_months", "active_months")
    assert _features(columns, day=day, months=months) == [(1, 12, 12)]  # 13, at most 12


def test_recent_events_add_transactions_and_bills_due_in_the_window() -> None:
    months = [_month(1, date(2025, 11, 1), 4), _month(1, date(2026, 10, 1), 3)]
    bills = [
        _bill("utility", WINDOW_START, None),  # due on the window's first day: counts
        _bill("phone", date(2025, 10, 31), datetime(2025, 10, 31)),  # due the day before: no
        _bill("huabei", D, datetime(2026, 10, 31, 9)),  # due on D: counts
    ]
    # 4 + 3 transactions, 2 bills due in the window
    assert _features(("recent_events",), months=months, bills=bills) == [(1, 9)]


def test_loan_applications_count_in_the_last_30_days_up_to_the_end_of_the_date() -> None:
    # the last 30 days of D are 2026-10-02 .. 2026-10-31
    applications = [
        datetime(2026, 10, 1, 23, 59, 59, 999999),  # the day before the 30 days: no
        datetime(2026, 10, 2),  # their first instant: counts
        LAST_INSTANT,  # counts
        END_OF_D,  # after D: ignored
    ]
    assert _features(("loan_applications_recent",), applications=applications) == [(1, 2)]


def test_risk_events_count_in_the_last_24_months_up_to_the_end_of_the_date() -> None:
    # the 24 months of D start on 2024-11-01
    violations = [
        datetime(2024, 10, 31, 23, 59, 59, 999999),  # the day before the window: no
        datetime(2024, 11, 1),  # the window's first instant: counts
        LAST_INSTANT,  # counts
        END_OF_D,  # after D: ignored
    ]
    assert _features(("risk_events",), users=(1, 2), violations=violations) == [
        (1, 2),
        (2, 0),  # no violations: 0, not null
    ]
