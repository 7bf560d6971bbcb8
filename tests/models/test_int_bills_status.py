"""int_bills_status, given rows: which bills a scored date knows, whether each is paid in full
and overdue at that date, its days past due, and what an approved repair changes (contract
section 2: a bill is known from its due date; overdue when not paid in full by the end of it;
days past due count from the due date; a repair makes it count as paid on time, never for a
deliberate default)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tests.models.given import FEATURE_REQUESTS, D, Given, run_model, score_requests

REQUESTS = {"user_id": "bigint", "snapshot_date": "date"}
BILLS = {
    "bill_id": "bigint",
    "user_id": "bigint",
    "product": "varchar",
    "due_date": "date",
    "amount_due": "double",
    "paid_at": "timestamp",
    "amount_paid": "double",
    "deliberate_default": "boolean",
}
DECISIONS = {"snapshot_date": "date", "bill_id": "bigint", "decision": "varchar"}
REPAIR_REQUESTS = {
    "request_id": "bigint",
    "user_id": "bigint",
    "bill_id": "bigint",
    "requested_at": "timestamp",
    "reason": "varchar",
}
DUE = date(2026, 10, 1)  # 30 days before D
END_OF_D = datetime(2026, 11, 1)  # the first instant after D


def _bill(bill_id: int, paid_at: datetime | None, amount_paid: float, **more: Any) -> dict:
    return {
        "bill_id": bill_id,
        "user_id": 1,
        "product": "huabei",
        "due_date": DUE,
        "amount_due": 100.0,
        "paid_at": paid_at,
        "amount_paid": amount_paid,
        "deliberate_default": False,
    } | more


def _status(
    bills: list[dict[str, Any]],
    dates: list[date],
    decisions: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    return run_model(
        "intermediate/int_bills_status",
        {
            "score_requests": score_requests((1, d) for d in dates),
            "stg_bills": Given(BILLS, bills),
            "int_repair_decisions": Given(DECISIONS, decisions or []),
        },
        order_by="snapshot_date, bill_id",
        before=(FEATURE_REQUESTS,),
    )


def test_a_bill_paid_in_full_by_the_end_of_its_due_date_is_not_overdue() -> None:
    bills = [
        _bill(1, datetime(2026, 10, 1, 23, 59, 59, 999999), 100.0),  # due date's last instant
        _bill(2, datetime(2026, 10, 2), 100.0),  # an instant later: 1 day past due
        _bill(3, datetime(2026, 9, 30), 99.0),  # early but short: unpaid, ages to D (30)
        _bill(4, None, 0.0),  # unpaid: 30 days at D
        _bill(5, END_OF_D, 100.0),  # paid after D: unpaid as D knows it, 30 days
        _bill(6, datetime(2026, 10, 31, 23, 59, 59, 999999), 100.0),  # paid on D: 30 days
        _bill(7, datetime(2026, 10, 1, 8), 120.0),  # more than due, on time: paid
    ]
    rows = _status(bills, [D])
    assert [
        (r["bill_id"], r["is_paid_in_full"], r["days_past_due"], r["is_overdue"]) for r in rows
    ] == [
        (1, True, 0, False),
        (2, True, 1, True),
        (3, False, 30, True),
        (4, False, 30, True),
        (5, False, 30, True),
        (6, True, 30, True),
        (7, True, 0, False),
    ]


def test_a_bill_is_known_from_its_due_date_and_ages_while_unpaid() -> None:
    earlier = date(2026, 10, 21)
    bills = [
        _bill(1, None, 0.0, due_date=earlier),  # due on the earlier date: known, 0 days
        _bill(2, None, 0.0, due_date=date(2026, 10, 30)),  # due the day before D: 1 day at D
        _bill(3, None, 0.0, due_date=date(2026, 11, 1)),  # due after D: never known
        _bill(4, None, 0.0, user_id=2),  # another user's bill: user 2 is not scored
    ]
    rows = _status(bills, [earlier, D])
    assert [
        (r["snapshot_date"], r["bill_id"], r["days_past_due"], r["is_overdue"]) for r in rows
    ] == [
        (earlier, 1, 0, False),  # unpaid on its due date: not yet overdue
        (D, 1, 10, True),  # 10-21 .. 10-31
        (D, 2, 1, True),
    ]


def test_an_approved_repair_of_the_date_scores_the_bill_as_paid_on_time() -> None:
    late = datetime(2026, 10, 11)  # 10 days past due
    bills = [
        _bill(1, late, 100.0),  # approved: scored 0, still overdue in fact
        _bill(2, late, 100.0),  # rejected: scored as it is
        _bill(3, late, 100.0, deliberate_default=True),  # approved or not: never repaired
        _bill(4, late, 100.0),  # approved as of another date only
        _bill(5, late, 100.0),  # approved twice (two requests): still one row
    ]
    decisions = [
        {"snapshot_date": D, "bill_id": 1, "decision": "approved"},
        {"snapshot_date": D, "bill_id": 2, "decision": "rejected"},
        {"snapshot_date": D, "bill_id": 3, "decision": "approved"},
        {"snapshot_date": date(2026, 10, 21), "bill_id": 4, "decision": "approved"},
        {"snapshot_date": D, "bill_id": 5, "decision": "approved"},
        {"snapshot_date": D, "bill_id": 5, "decision": "approved"},
    ]
    rows = _status(bills, [D], decisions)
    assert [
        (
            r["bill_id"],
            r["days_past_due"],
            r["is_overdue"],
            r["is_deliberate_default"],
            r["is_repaired"],
            r["days_past_due_scored"],
        )
        for r in rows
    ] == [
        (1, 10, True, False, True, 0),
        (2, 10, True, False, False, 10),
        (3, 10, True, True, True, 10),
        (4, 10, True, False, False, 10),
        (5, 10, True, False, True, 0),
    ]


def test_a_repair_counts_from_the_date_its_request_is_known() -> None:
    # int_repair_decisions made first from the request: asked on 10-20, so 10-19 scores the
    # bill (paid 10 days late, reason forgot) as it is, and 10-20 as paid on time
    before, on = date(2026, 10, 19), date(2026, 10, 20)
    request = {
        "request_id": 1,
        "user_id": 1,
        "bill_id": 1,
        "requested_at": datetime(2026, 10, 20, 23, 59, 59, 999999),
        "reason": "forgot",
    }
    rows = run_model(
        "intermediate/int_bills_status",
        {
            "score_requests": score_requests((1, d) for d in (before, on)),
            "stg_bills": Given(BILLS, [_bill(1, datetime(2026, 10, 11, 9), 100.0)]),
            "stg_repair_requests": Given(REPAIR_REQUESTS, [request]),
        },
        order_by="snapshot_date, bill_id",
        before=(FEATURE_REQUESTS, "intermediate/int_repair_decisions"),
    )
    assert [(r["snapshot_date"], r["is_repaired"], r["days_past_due_scored"]) for r in rows] == [
        (before, False, 10),
        (on, True, 0),
    ]
