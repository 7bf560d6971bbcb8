"""int_transaction_months, given rows: a user's transactions by calendar month in the behaviour
window [window_start(D, 12), D]. Months wholly in the window come from the rollup
transaction_months (its change rows summed); the partial months at the window's edges come
from the staged transactions, counted as the rollup counts them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tests.models.given import FEATURE_REQUESTS, D, Given, run_model, score_requests

ROLLUP = {
    "user_id": "bigint",
    "month_start": "date",
    "transactions": "integer",
    "salary_inflows": "integer",
    "shopping_transactions": "integer",
    "confirmed_receipts": "integer",
    "living_payments": "integer",
}
TRANSACTIONS = {
    "user_id": "bigint",
    "txn_ts": "timestamp",
    "direction": "varchar",
    "category": "varchar",
    "receipt_confirmed": "boolean",
}
MID = date(2026, 10, 15)  # its window starts 2025-10-16: partial months at both edges


def _month(month_start: date, transactions: int, *counts: int) -> dict:
    """A rollup row: counts are salary, shopping, confirmed, living (0 when left out)."""
    salary, shopping, confirmed, living = (*counts, 0, 0, 0, 0)[:4]
    return {
        "user_id": 1,
        "month_start": month_start,
        "transactions": transactions,
        "salary_inflows": salary,
        "shopping_transactions": shopping,
        "confirmed_receipts": confirmed,
        "living_payments": living,
    }


def _txn(txn_ts: datetime, direction: str = "out", category: str = "transfer", **more: Any) -> dict:
    return {
        "user_id": 1,
        "txn_ts": txn_ts,
        "direction": direction,
        "category": category,
        "receipt_confirmed": None,
    } | more


def _months(
    dates: list[date], rollup: list[dict[str, Any]], transactions: list[dict[str, Any]]
) -> list[tuple[object, ...]]:
    rows = run_model(
        "intermediate/int_transaction_months",
        {
            "score_requests": score_requests((1, d) for d in dates),
            "transaction_months": Given(ROLLUP, rollup),
            "stg_transactions": Given(TRANSACTIONS, transactions),
        },
        order_by="snapshot_date, month_start",
        before=(FEATURE_REQUESTS,),
    )
    return [
        (
            r["snapshot_date"],
            r["month_start"],
            r["transactions"],
            r["salary_inflows"],
            r["shopping_transactions"],
            r["confirmed_receipts"],
            r["living_payments"],
        )
        for r in rows
    ]


def test_a_month_end_date_reads_twelve_whole_months_from_the_rollup() -> None:
    # D = 10-31: the window is 2025-11-01 .. 2026-10-31, twelve whole months
    rollup = [
        _month(date(2025, 10, 1), 4),  # the month before the window
        _month(date(2025, 11, 1), 2, 1),  # the window's first month
        _month(date(2026, 3, 1), 3, 0, 2, 1),  # a month with two change rows: summed
        _month(date(2026, 3, 1), -1, 0, -1, 0),
        _month(date(2026, 5, 1), 1),  # a month whose one transaction was taken back
        _month(date(2026, 5, 1), -1),
        _month(date(2026, 10, 1), 5, 0, 0, 0, 2),  # D's month, whole at D
        _month(date(2026, 11, 1), 1),  # after D
    ]
    late = [_txn(datetime(2026, 10, 20))]  # staged but not rolled up: a whole month is the rollup's
    assert _months([D], rollup, late) == [
        (D, date(2025, 11, 1), 2, 1, 0, 0, 0),
        (D, date(2026, 3, 1), 2, 0, 1, 1, 0),
        (D, date(2026, 10, 1), 5, 0, 0, 0, 2),
    ]


def test_the_partial_edge_months_of_a_mid_month_date_come_from_the_transactions() -> None:
    rollup = [
        _month(date(2025, 10, 1), 9),  # partial at MID: read from the transactions instead
        _month(date(2025, 11, 1), 1),  # the first whole month
        _month(date(2026, 3, 1), 7),
        _month(date(2026, 9, 1), 1),  # the last whole month
        _month(date(2026, 10, 1), 9),  # partial at MID
    ]
    transactions = [
        _txn(datetime(2025, 10, 15, 23, 59, 59, 999999)),  # the instant before the window
        _txn(datetime(2025, 10, 16)),  # the window's first instant
        _txn(datetime(2025, 10, 31, 12)),
        _txn(datetime(2026, 3, 10)),  # a whole month's: counted by the rollup only
        _txn(datetime(2026, 10, 15, 23, 59, 59, 999999)),  # MID's last instant
        _txn(datetime(2026, 10, 16)),  # after MID
        _txn(datetime(2026, 10, 1), user_id=2),  # another user's
    ]
    assert _months([MID], rollup, transactions) == [
        (MID, date(2025, 10, 1), 2, 0, 0, 0, 0),
        (MID, date(2025, 11, 1), 1, 0, 0, 0, 0),
        (MID, date(2026, 3, 1), 7, 0, 0, 0, 0),
        (MID, date(2026, 9, 1), 1, 0, 0, 0, 0),
        (MID, date(2026, 10, 1), 1, 0, 0, 0, 0),
    ]


def test_a_partial_month_counts_salaries_receipts_and_living_payments_as_the_rollup() -> None:
    at = datetime(2026, 10, 5, 12)
    transactions = [
        _txn(at, "in", "salary"),  # a salary inflow
        _txn(at, "out", "salary"),  # not an inflow
        _txn(at, "out", "shopping", receipt_confirmed=True),  # confirmed by the user
        _txn(at, "out", "shopping", receipt_confirmed=False),  # auto-confirmed
        _txn(at, "out", "shopping"),  # receipt unknown: not confirmed
        _txn(at, "out", "utility"),  # living payments: utility, phone bill, rent paid out
        _txn(at, "out", "phone_bill"),
        _txn(at, "out", "rent"),
        _txn(at, "in", "utility"),  # money in: not a living payment
        _txn(at, "out", "dining"),
    ]
    assert _months([MID], [], transactions) == [(MID, date(2026, 10, 1), 10, 1, 3, 1, 3)]


def test_each_date_of_a_pass_reads_a_month_as_its_own_window_has_it() -> None:
    # one user, one pass of two dates: October is partial at MID and whole at D; October 2025
    # is partial at MID (from 10-16) and outside D's window
    rollup = [_month(date(2025, 10, 1), 1), _month(date(2026, 10, 1), 3)]
    transactions = [
        _txn(datetime(2025, 10, 20)),
        _txn(datetime(2026, 10, 5)),
        _txn(datetime(2026, 10, 15, 23)),
        _txn(datetime(2026, 10, 20)),
    ]
    assert _months([MID, D], rollup, transactions) == [
        (MID, date(2025, 10, 1), 1, 0, 0, 0, 0),
        (MID, date(2026, 10, 1), 2, 0, 0, 0, 0),
        (D, date(2026, 10, 1), 3, 0, 0, 0, 0),
    ]
