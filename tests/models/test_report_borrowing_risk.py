"""report_borrowing_risk, given rows: who is watched (a score of 700 or more at D, contract
section 3) and when each flag is raised: score_declining (each of the last 3 month-ends lower
than the one before, by 10 or more in all), abnormal_borrowing (4 applications, or 2 for
50,000 CNY, in the last 30 days), identity_churn (3 phone and address changes at D),
platform_violation (a risk event in the last 24 months); each flag with its trigger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from tests.models.given import D, Given, run_model

MONTH_ENDS = (D, date(2026, 9, 30), date(2026, 8, 31), date(2026, 7, 31), date(2026, 6, 30))
END_OF_D = datetime(2026, 11, 1)  # day_end(D): the first instant after D
LAST_INSTANT = datetime(2026, 10, 31, 23, 59, 59, 999999)  # D's last instant
APPLICATIONS_FROM = datetime(2026, 10, 2)  # the 30 days up to the end of D start here
RISK_FROM = datetime(2024, 11, 1)  # the 24 months up to D: 2024-11-01 .. 2026-10-31

EVENTS = {
    "event_kind": "varchar",
    "event_id": "bigint",
    "user_id": "bigint",
    "event_at": "timestamp",
    "amount": "double",
    "detail": "varchar",
}
AGGREGATES = {
    "user_id": "bigint",
    "snapshot_date": "date",
    "phone_changes": "integer",
    "address_changes": "integer",
}


def _month_ends(user_id: int, *scores: int | None) -> list[dict[str, Any]]:
    """The user's month-end scores, oldest first, the last one at D (months_back 0)."""
    backs = range(len(scores) - 1, -1, -1)
    return [
        {"user_id": user_id, "month_end": MONTH_ENDS[back], "months_back": back, "score": score}
        for back, score in zip(backs, scores, strict=True)
    ]


def _event(kind: str, event_id: int, user_id: int, at: datetime, **more: Any) -> dict[str, Any]:
    return {"event_kind": kind, "event_id": event_id, "user_id": user_id, "event_at": at} | more


def _report(
    scores: dict[int, int | None],
    *,
    month_ends: Sequence[dict[str, Any]] = (),
    events: Sequence[dict[str, Any]] = (),
    aggregates: Sequence[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    return run_model(
        "reports/report_borrowing_risk",
        {
            "score_snapshots": Given(
                {"user_id": "bigint", "snapshot_date": "date", "score": "integer"},
                [{"user_id": u, "snapshot_date": D, "score": s} for u, s in scores.items()],
            ),
            "fct_month_end_scores": Given(
                {
                    "user_id": "bigint",
                    "month_end": "date",
                    "months_back": "integer",
                    "score": "integer",
                },
                list(month_ends),
            ),
            "fct_user_events": Given(EVENTS, list(events)),
            "dimension_aggregates": Given(AGGREGATES, list(aggregates)),
        },
        order_by="user_id",
        report_date=D,
    )


def _flags(rows: list[dict[str, Any]]) -> list[tuple[int, list[str]]]:
    return [(row["user_id"], row["flags"]) for row in rows]


def test_only_users_scoring_700_or_more_are_watched_and_only_with_a_flag() -> None:
    scores = {1: 700, 2: 699, 3: None, 4: 950}
    events = [
        _event("risk_event", user, user, datetime(2026, 10, 1), detail="cash_out")
        for user in (1, 2, 3)
    ]
    # 700 is watched, 699 and unscorable are not; 950 has no flag and is left out
    assert _flags(_report(scores, events=events)) == [(1, ["platform_violation"])]


def test_score_declining_needs_three_falls_in_a_row_and_10_points_in_all() -> None:
    month_ends = [
        *_month_ends(1, 650, 720, 717, 714, 710),  # rose 4 months back: only the last 3 count
        *_month_ends(2, 719, 716, 713, 710),  # 9 points in all: one short
        *_month_ends(3, 730, 720, 720, 710),  # a month without a fall
        *_month_ends(4, 740, 725, 710),  # 3 month-ends only: 2 falls
        *_month_ends(5, 740, None, 725, 710),  # unscorable at a month-end: no trend
    ]
    rows = _report(dict.fromkeys(range(1, 6), 710), month_ends=month_ends)
    assert rows == [
        {
            "report_date": D,
            "user_id": 1,
            "score": 710,
            "flags": ["score_declining"],
            # oldest to newest, 720 - 710 = 10 points
            "triggers": ["score_declining: month-end scores 720 > 717 > 714 > 710"],
            "loan_applications_recent": 0,
            "applied_cny_recent": 0.0,
            "phone_changes": 0,
            "address_changes": 0,
            "risk_events": 0,
        }
    ]


def test_abnormal_borrowing_is_four_applications_or_two_for_50000_cny_in_30_days() -> None:
    inside = [APPLICATIONS_FROM, datetime(2026, 10, 15), datetime(2026, 10, 20), LAST_INSTANT]
    before = datetime(2026, 10, 1, 23, 59, 59, 999999)  # an instant before the window
    events = [
        *(_event("loan_application", 10 + i, 1, at, amount=1000.0) for i, at in enumerate(inside)),
        *(  # 4 applications, one of them just before the window: 3
            _event("loan_application", 20 + i, 2, at, amount=1000.0)
            for i, at in enumerate([before, *inside[1:]])
        ),
        *(  # 4 applications, one of them after D: 3
            _event("loan_application", 30 + i, 3, at, amount=1000.0)
            for i, at in enumerate([*inside[:3], END_OF_D])
        ),
        _event("loan_application", 40, 4, inside[1], amount=25000.0),  # 2 for 50,000 in all
        _event("loan_application", 41, 4, inside[2], amount=25000.0),
        _event("loan_application", 50, 5, inside[1], amount=25000.0),  # 2 for 49,999.5
        _event("loan_application", 51, 5, inside[2], amount=24999.5),
        _event("loan_application", 60, 6, inside[1], amount=80000.0),  # 1 application only
    ]
    rows = _report(dict.fromkeys(range(1, 7), 720), events=events)
    assert [
        (
            r["user_id"],
            r["flags"],
            r["triggers"],
            r["loan_applications_recent"],
            r["applied_cny_recent"],
        )
        for r in rows
    ] == [
        (
            1,
            ["abnormal_borrowing"],
            ["abnormal_borrowing: 4 loan application(s) for 4,000 CNY in 30 days"],
            4,
            4000.0,
        ),
        (
            4,
            ["abnormal_borrowing"],
            ["abnormal_borrowing: 2 loan application(s) for 50,000 CNY in 30 days"],
            2,
            50000.0,
        ),
    ]


def test_identity_churn_is_three_phone_and_address_changes_at_the_report_date() -> None:
    aggregates = [
        {"user_id": 1, "snapshot_date": D, "phone_changes": 2, "address_changes": 1},
        {"user_id": 2, "snapshot_date": D, "phone_changes": 1, "address_changes": 1},
        # three changes, but at another date: D's row has none
        {
            "user_id": 3,
            "snapshot_date": date(2026, 10, 30),
            "phone_changes": 3,
            "address_changes": 0,
        },
        {"user_id": 3, "snapshot_date": D, "phone_changes": 0, "address_changes": 0},
    ]
    rows = _report({1: 720, 2: 720, 3: 720, 4: 720}, aggregates=aggregates)  # 4: no row at all
    assert [(r["user_id"], r["flags"], r["triggers"]) for r in rows] == [
        (1, ["identity_churn"], ["identity_churn: 2 phone and 1 address changes in 12 months"])
    ]
    assert (rows[0]["phone_changes"], rows[0]["address_changes"]) == (2, 1)


def test_platform_violation_is_a_risk_event_in_the_last_24_months_up_to_the_end_of_d() -> None:
    events = [
        _event("risk_event", 1, 1, RISK_FROM, detail="fraud_report"),  # the window's first day
        _event("risk_event", 2, 1, LAST_INSTANT, detail="cash_out"),  # D's last instant
        _event("risk_event", 3, 1, datetime(2025, 6, 1), detail="cash_out"),
        _event("risk_event", 4, 2, datetime(2024, 10, 31, 23, 59, 59, 999999), detail="cash_out"),
        _event("risk_event", 5, 2, END_OF_D, detail="cash_out"),  # after D
        _event("loan_application", 6, 3, datetime(2026, 10, 20), amount=100.0),  # not a risk
    ]
    rows = _report({1: 720, 2: 720, 3: 720}, events=events)
    assert [(r["user_id"], r["flags"], r["triggers"], r["risk_events"]) for r in rows] == [
        (
            1,
            ["platform_violation"],
            # 3 events, their kinds once each in order
            ["platform_violation: 3 risk event(s) (cash_out, fraud_report) in 24 months"],
            3,
        )
    ]


def test_a_user_with_every_flag_lists_them_in_the_contract_s_order() -> None:
    events = [
        *(_event("loan_application", i, 1, datetime(2026, 10, 20), amount=500.0) for i in (1, 2)),
        _event("loan_application", 3, 1, datetime(2026, 10, 21), amount=49500.0),
        _event("risk_event", 4, 1, datetime(2026, 1, 5), detail="account_abuse"),
    ]
    aggregates = [{"user_id": 1, "snapshot_date": D, "phone_changes": 0, "address_changes": 3}]
    rows = _report(
        {1: 701},
        month_ends=_month_ends(1, 760, 740, 720, 701),
        events=events,
        aggregates=aggregates,
    )
    assert [(r["flags"], r["triggers"]) for r in rows] == [
        (
            ["score_declining", "abnormal_borrowing", "identity_churn", "platform_violation"],
            [
                "score_declining: month-end scores 760 > 740 > 720 > 701",
                # 3 applications (not 4), but 50,500 CNY in all
                "abnormal_borrowing: 3 loan application(s) for 50,500 CNY in 30 days",
                "identity_churn: 0 phone and 3 address changes in 12 months",
                "platform_violation: 1 risk event(s) (account_abuse) in 24 months",
            ],
        )
    ]
