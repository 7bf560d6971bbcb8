"""int_repair_decisions, given rows: each repair request known at a scored date, approved or
rejected by the first rule it fails (contract section 2: the reason is forgot,
temporary_hardship or system_error; the bill was paid in full within 30 days of its due date;
not a deliberate default; no other approved repair of the user in the 365 days before)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from tests.models.given import FEATURE_REQUESTS, D, Given, run_model, score_requests

BILLS = {
    "bill_id": "bigint",
    "user_id": "bigint",
    "due_date": "date",
    "amount_due": "double",
    "paid_at": "timestamp",
    "amount_paid": "double",
    "deliberate_default": "boolean",
}
REQUESTS = {
    "request_id": "bigint",
    "user_id": "bigint",
    "bill_id": "bigint",
    "requested_at": "timestamp",
    "reason": "varchar",
}
DUE = date(2026, 9, 1)
LATE = datetime(2026, 9, 11, 9)  # paid 10 days after DUE: repairable
ASKED = datetime(2026, 10, 20, 10)


def _bill(bill_id: int, paid_at: datetime | None, **more: Any) -> dict:
    return {
        "bill_id": bill_id,
        "user_id": 1,
        "due_date": DUE,
        "amount_due": 100.0,
        "paid_at": paid_at,
        "amount_paid": 0.0 if paid_at is None else 100.0,
        "deliberate_default": False,
    } | more


def _request(request_id: int, bill_id: int, reason: str = "forgot", **more: Any) -> dict:
    return {
        "request_id": request_id,
        "user_id": 1,
        "bill_id": bill_id,
        "requested_at": ASKED,
        "reason": reason,
    } | more


def _decisions(
    bills: list[dict[str, Any]],
    requests: list[dict[str, Any]],
    dates: tuple[date, ...] = (D,),
    **overrides: Any,
) -> list[tuple[object, ...]]:
    users = sorted({r["user_id"] for r in requests})
    rows = run_model(
        "intermediate/int_repair_decisions",
        {
            "score_requests": score_requests((u, d) for u in users for d in dates),
            "stg_repair_requests": Given(REQUESTS, requests),
            "stg_bills": Given(BILLS, bills),
        },
        order_by="snapshot_date, request_id",
        before=(FEATURE_REQUESTS,),
        **overrides,
    )
    return [(r["snapshot_date"], r["request_id"], r["decision"], r["rule"]) for r in rows]


def test_a_rejection_names_the_first_rule_the_request_fails() -> None:
    bills = [
        _bill(10, LATE, deliberate_default=True),
        _bill(11, LATE),  # repairable, but asked for with reason "other"
        _bill(12, datetime(2026, 9, 1, 23, 59, 59, 999999)),  # paid on its due date's last instant
        _bill(13, None, due_date=D),  # unpaid, due on D itself: not overdue yet
        _bill(14, datetime(2026, 10, 2)),  # 31 days after DUE
        _bill(15, None),  # unpaid 60 days
        _bill(16, LATE, amount_paid=99.0),  # in time, but not in full
        _bill(17, datetime(2026, 11, 1), due_date=date(2026, 10, 20)),  # paid after D: unknown
        _bill(20, LATE, user_id=2),  # another user's bill
    ]
    requests = [
        _request(1, 10, "other"),  # deliberate default is checked before the reason
        _request(2, 11, "other"),
        _request(3, 12),
        _request(4, 13),
        _request(5, 14),
        _request(6, 15),
        _request(7, 16),
        _request(8, 17),
        _request(9, 20),
        _request(10, 999),  # no such bill
    ]
    assert _decisions(bills, requests) == [
        (D, 1, "rejected", "deliberate_default"),
        (D, 2, "rejected", "reason_not_eligible"),
        (D, 3, "rejected", "not_overdue"),
        (D, 4, "rejected", "not_overdue"),
        (D, 5, "rejected", "not_paid_within_30_days"),
        (D, 6, "rejected", "not_paid_within_30_days"),
        (D, 7, "rejected", "not_paid_within_30_days"),
        (D, 8, "rejected", "not_paid_within_30_days"),
        (D, 9, "rejected", "bill_not_found"),
        (D, 10, "rejected", "bill_not_found"),
    ]


def test_a_bill_paid_in_full_by_the_end_of_its_30th_day_late_is_repaired() -> None:
    # one user each, so no request waits on another's cool-down
    bills = [
        _bill(1, datetime(2026, 10, 1, 23, 59, 59, 999999), user_id=1),  # DUE + 30, last instant
        _bill(2, datetime(2026, 9, 2), user_id=2),  # the first instant past due
        _bill(3, datetime(2026, 10, 2), user_id=3),  # DUE + 31
    ]
    requests = [
        _request(1, 1, "forgot", user_id=1),
        _request(2, 2, "temporary_hardship", user_id=2),
        _request(3, 3, "system_error", user_id=3),
    ]
    assert _decisions(bills, requests) == [
        (D, 1, "approved", "all_rules_met"),
        (D, 2, "approved", "all_rules_met"),
        (D, 3, "rejected", "not_paid_within_30_days"),
    ]


def test_approvals_chain_more_than_365_days_apart_and_rejections_start_no_cool_down() -> None:
    first = datetime(2024, 6, 1, 10)
    year = timedelta(days=365)
    tick = timedelta(microseconds=1)
    paid, due = datetime(2024, 5, 11), date(2024, 5, 1)  # every bill: repairable
    bills = [_bill(b, paid, due_date=due, user_id=1 if b < 6 else 2) for b in range(1, 8)]
    requests = [
        _request(1, 1, requested_at=first),  # the user's first eligible: approved
        _request(2, 2, requested_at=first + year),  # 1 approved exactly 365 days before
        _request(3, 3, requested_at=first + year + tick),  # 1 is further back; 2 was rejected
        _request(4, 4, requested_at=first + year + tick + timedelta(days=200)),  # 3: 200 days
        _request(5, 5, requested_at=first + year + tick + timedelta(days=366)),  # 3: 366 days
        _request(6, 6, "other", user_id=2, requested_at=first),  # rejected: no cool-down
        _request(7, 7, user_id=2, requested_at=first + timedelta(days=1)),
    ]
    assert _decisions(bills, requests) == [
        (D, 1, "approved", "all_rules_met"),
        (D, 2, "rejected", "repair_in_previous_365_days"),
        (D, 3, "approved", "all_rules_met"),
        (D, 4, "rejected", "repair_in_previous_365_days"),
        (D, 5, "approved", "all_rules_met"),
        (D, 6, "rejected", "reason_not_eligible"),
        (D, 7, "approved", "all_rules_met"),  # user 1's approvals do not bind user 2
    ]


def test_each_date_decides_with_the_requests_and_payments_it_knows() -> None:
    early = date(2026, 10, 5)
    bills = [
        _bill(1, datetime(2026, 10, 10), due_date=date(2026, 9, 20)),  # paid after `early`
        _bill(2, datetime(2026, 9, 20), due_date=date(2026, 9, 15)),
        _bill(3, LATE, user_id=2),
    ]
    requests = [
        _request(1, 1, requested_at=datetime(2026, 9, 25)),
        _request(2, 2, requested_at=datetime(2026, 10, 1)),
        _request(3, 3, "other", user_id=2, requested_at=datetime(2026, 10, 5, 23, 59, 59, 999999)),
        _request(4, 3, "other", user_id=2, requested_at=datetime(2026, 10, 6)),  # after `early`
        _request(5, 3, "other", user_id=2, requested_at=datetime(2026, 11, 1)),  # after D
    ]
    assert _decisions(bills, requests, (early, D)) == [
        # at `early` bill 1 is unpaid, so 2 is the user's first eligible request
        (early, 1, "rejected", "not_paid_within_30_days"),
        (early, 2, "approved", "all_rules_met"),
        (early, 3, "rejected", "reason_not_eligible"),  # asked in early's last instant
        # at D bill 1 is paid 20 days late: 1 is the first eligible, and 2 falls in its
        # cool-down (the chain is built again at each date with what it knows)
        (D, 1, "approved", "all_rules_met"),
        (D, 2, "rejected", "repair_in_previous_365_days"),
        (D, 3, "rejected", "reason_not_eligible"),
        (D, 4, "rejected", "reason_not_eligible"),
    ]


def test_the_rule_labels_name_the_bound_days() -> None:
    bills = [_bill(1, datetime(2026, 9, 12)), _bill(2, LATE)]  # 11 and 10 days late
    requests = [
        _request(1, 1),
        _request(2, 2, requested_at=ASKED - timedelta(days=50)),
        _request(3, 2, requested_at=ASKED - timedelta(days=40)),  # 10 days after 2's approval
        _request(4, 2, requested_at=ASKED - timedelta(days=35)),  # 5 days after 3's
    ]
    assert _decisions(bills, requests, repair_paid_within_days=10, repair_cooldown_days=9) == [
        (D, 1, "rejected", "not_paid_within_10_days"),
        (D, 2, "approved", "all_rules_met"),
        (D, 3, "approved", "all_rules_met"),  # 10 days > a 9-day cool-down
        (D, 4, "rejected", "repair_in_previous_9_days"),
    ]
