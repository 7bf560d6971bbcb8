"""int_features_credit_history, given rows: the credit history dimension's characteristics at
a date (overdue bills and their days, deliberate defaults weighed by the card's weight, repaid
credit and card bills of the behaviour window, whole months since registration, and negative
records counting at the date, per category)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tests.models.given import FEATURE_REQUESTS, D, Given, run_model, score_requests

BILLS = {
    "user_id": "bigint",
    "snapshot_date": "date",
    "product": "varchar",
    "due_date": "date",
    "is_paid_in_full": "boolean",
    "days_past_due": "integer",
    "days_past_due_scored": "integer",
    "is_deliberate_default": "boolean",
}
RECORDS = {
    "record_id": "bigint",
    "user_id": "bigint",
    "category": "varchar",
    "occurred_at": "timestamp",
    "resolved_at": "timestamp",
    "removed_on_appeal": "boolean",
}
LAST_INSTANT = datetime(2026, 10, 31, 23, 59, 59, 999999)  # D's last instant
END_OF_D = datetime(2026, 11, 1)  # the first instant after D
OVERDUE_COLUMNS = (
    "overdue_bills",
    "overdue_days",
    "deliberate_defaults",
    "deliberate_default_days",
    "weighted_overdue_days",
)


def _features(
    columns: tuple[str, ...],
    users: dict[int, datetime] | None = None,
    bills: list[dict[str, Any]] | None = None,
    records: list[dict[str, Any]] | None = None,
) -> list[tuple[Any, ...]]:
    """The model's rows at D for ``users`` (user_id: registered_at); the negative records are
    staged rows, made into int_negative_records_status first."""
    users = users or {1: datetime(2020, 1, 1)}
    rows = run_model(
        "intermediate/int_features_credit_history",
        {
            "score_requests": score_requests((user, D) for user in users),
            "stg_users": Given(
                {"user_id": "bigint", "registered_at": "timestamp"},
                [{"user_id": user, "registered_at": at} for user, at in users.items()],
            ),
            "int_bills_status": Given(BILLS, bills or []),
            "stg_negative_records": Given(RECORDS, records or []),
        },
        order_by="user_id",
        before=(FEATURE_REQUESTS, "intermediate/int_negative_records_status"),
    )
    return [(r["user_id"], *(r[column] for column in columns)) for r in rows]


def _bill(
    due: date, days: int, *, paid: bool = True, scored: int | None = None, **more: Any
) -> dict[str, Any]:
    """A bill of user 1 at D, ``days`` past due (scored as such unless ``scored``)."""
    return {
        "user_id": 1,
        "snapshot_date": D,
        "product": "huabei",
        "due_date": due,
        "is_paid_in_full": paid,
        "days_past_due": days,
        "days_past_due_scored": days if scored is None else scored,
        "is_deliberate_default": False,
    } | more


def _record(record_id: int, category: str, **more: Any) -> dict[str, Any]:
    occurred = datetime(2019, 1, 1)
    return {
        "record_id": record_id,
        "user_id": 1,
        "category": category,
        "occurred_at": occurred,
        "resolved_at": None,
        "removed_on_appeal": False,
    } | more


def test_a_paid_bill_counts_for_24_months_after_its_due_date_an_unpaid_one_always() -> None:
    # D's 24-month lookback starts on 2024-11-01
    bills = [
        _bill(date(2024, 11, 1), 10),  # paid 10 days late, due on the lookback's first day
        _bill(date(2024, 10, 31), 20),  # paid 20 days late, due the day before: no longer
        _bill(date(2024, 6, 30), 853, paid=False),  # unpaid: 2024-06-30 .. 2026-10-31, counts
        _bill(date(2026, 5, 10), 0),  # paid on time: not overdue
    ]
    assert _features(OVERDUE_COLUMNS, bills=bills) == [(1, 2, 10 + 853, 0, 0, 10 + 853)]


def test_deliberate_defaults_weigh_three_times_and_a_repair_clears_an_ordinary_overdue() -> None:
    bills = [
        _bill(date(2026, 3, 31), 1),  # paid the day after its due date: 1 day overdue
        _bill(date(2026, 4, 30), 12, scored=0),  # repaired: as if paid on time
        _bill(date(2026, 5, 31), 20, is_deliberate_default=True),  # 20 days, deliberate
        _bill(date(2026, 6, 30), 0, is_deliberate_default=True),  # flagged, but paid on time
    ]
    # overdue: the 1-day and the 20-day bills; ordinary days 1; deliberate 20 days, x 3
    assert _features(OVERDUE_COLUMNS, bills=bills) == [(1, 2, 1, 1, 20, 1 + 3 * 20)]


def test_repaid_credit_and_card_bills_count_when_due_in_the_last_12_months() -> None:
    # D's 12-month behaviour window starts on 2025-11-01
    bills = [
        _bill(date(2025, 11, 1), 0),  # huabei, due on the window's first day: counts
        _bill(date(2025, 10, 31), 0, product="jiebei"),  # due the day before: no
        _bill(D, 0, product="jiebei"),  # due on D, paid: counts
        _bill(date(2026, 9, 30), 31, paid=False),  # not paid in full: no
        _bill(D, 0, product="credit_card"),  # a card bill: counts as such
        _bill(date(2025, 10, 31), 0, product="credit_card"),  # due before the window: no
        _bill(date(2026, 6, 30), 0, product="installment_loan"),  # neither
    ]
    columns = ("credit_repaid_bills", "card_repaid_bills")
    assert _features(columns, bills=bills) == [(1, 2, 1)]


def test_history_months_are_the_whole_months_from_the_registration_date() -> None:
    users = {
        1: datetime(2024, 10, 31, 23, 59, 59, 999999),  # 2024-10-31 .. 2026-10-31: 24 months
        2: datetime(2024, 11, 1),  # a day later: 23 months and 30 days, 23
        3: datetime(2026, 10, 31, 8),  # registered on D: 0
    }
    assert _features(("history_months",), users=users) == [(1, 24), (2, 23), (3, 0)]


def test_negative_records_counting_at_the_date_are_counted_per_category() -> None:
    records = [
        _record(1, "legal", occurred_at=LAST_INSTANT),  # occurred in D's last instant: counts
        _record(2, "legal", occurred_at=END_OF_D),  # occurs after D: not known at D
        _record(3, "financial", resolved_at=datetime(2021, 11, 1)),  # + 5 years = END_OF_D
        _record(4, "financial", resolved_at=datetime(2021, 10, 31, 12)),  # stopped on D, 12:00
        _record(5, "life", removed_on_appeal=True),  # never counts
        _record(6, "life", resolved_at=datetime(2025, 6, 1)),  # + 2 years: 2027-06-01
        _record(7, "life"),  # unresolved: keeps counting
    ]
    columns = ("negative_legal_records", "negative_financial_records", "negative_life_records")
    users = {1: datetime(2018, 1, 1), 2: datetime(2018, 1, 1)}
    assert _features(columns, users=users, records=records) == [
        (1, 1, 1, 2),
        (2, 0, 0, 0),  # no records: 0, not null
    ]
