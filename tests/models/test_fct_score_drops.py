"""fct_score_drops (the base of report_score_drops, before the Polars step adds the point
changes), given rows: the users whose score at D is lower than at their own previous snapshot
(fct_previous_snapshots, made from score_snapshots), the dimensions that fell, and the events
dated after the end of that previous snapshot's day and up to the end of D."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tests.models.given import D, Given, run_model

P = date(2026, 10, 30)  # the previous snapshot date
END_OF_P = datetime(2026, 10, 31)  # day_end(P): an overdue bill due on P is dated here
END_OF_D = datetime(2026, 11, 1)  # day_end(D)
DIMENSIONS = ("credit_history", "identity", "capacity", "behavior", "relationships")
SNAPSHOTS = {"user_id": "bigint", "snapshot_date": "date", "score": "integer"} | dict.fromkeys(
    DIMENSIONS, "double"
)
EVENTS = {
    "event_kind": "varchar",
    "event_id": "bigint",
    "user_id": "bigint",
    "event_at": "timestamp",
}
EVENT_LISTS = (
    "new_overdue_bill_ids",
    "new_negative_record_ids",
    "new_profile_change_ids",
    "new_loan_application_ids",
    "new_risk_event_ids",
)


def _snapshot(user_id: int, day: date, score: int | None, **dims: float) -> dict[str, Any]:
    return {"user_id": user_id, "snapshot_date": day, "score": score} | {
        d: dims.get(d, 50.0) for d in DIMENSIONS
    }


def _event(kind: str, event_id: int, at: datetime, user_id: int = 1) -> dict[str, Any]:
    return {"event_kind": kind, "event_id": event_id, "user_id": user_id, "event_at": at}


def _report(
    snapshots: list[dict[str, Any]], events: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    rows = run_model(
        "marts/fct_score_drops",
        {
            "score_snapshots": Given(SNAPSHOTS, snapshots),
            "fct_user_events": Given(EVENTS, events or []),
        },
        order_by="user_id",
        before=("marts/fct_previous_snapshots",),
        report_date=D,
        previous_snapshot_date=P,
    )
    assert {row.pop("report_date") for row in rows} <= {D}
    return rows


def test_a_user_is_listed_when_the_score_at_d_is_lower_than_at_the_previous_snapshot() -> None:
    snapshots = [
        _snapshot(1, P, 700, credit_history=80.0, identity=40.0),
        _snapshot(1, D, 699, credit_history=79.9, identity=41.0),  # 1 point down
        *(_snapshot(2, day, 700) for day in (P, D)),  # unchanged
        _snapshot(3, P, 700),
        _snapshot(3, D, 710),  # rose
        _snapshot(4, P, None),
        _snapshot(4, D, 600),  # unscorable before: nothing to fall from
        _snapshot(5, P, 700),
        _snapshot(5, D, None),  # unscorable at D: no score lower than 700
        _snapshot(6, D, 500),  # new at D
    ]
    assert _report(snapshots) == [
        {
            "user_id": 1,
            "previous_date": P,
            "previous_score": 700,
            "score": 699,
            "score_drop": 1,
            "dimensions_fell": ["credit_history"],  # identity rose, the others did not move
        }
        | {name: [] for name in EVENT_LISTS}
    ]


def test_the_previous_snapshot_is_the_user_s_latest_earlier_one() -> None:
    older = date(2026, 10, 15)
    low = dict.fromkeys(DIMENSIONS, 10.0)
    snapshots = [
        _snapshot(1, older, 720),  # no row at P (registered later by a correction): 10-15 is
        _snapshot(1, D, 690, **low),  # the previous snapshot, and every dimension fell
        _snapshot(2, older, 800),  # a row at P: compared with P, not 10-15
        _snapshot(2, P, 650),
        _snapshot(2, D, 690),
    ]
    rows = _report(snapshots)
    assert [
        (
            r["user_id"],
            r["previous_date"],
            r["previous_score"],
            r["score_drop"],
            r["dimensions_fell"],
        )
        for r in rows
    ] == [
        (1, older, 720, 30, ["credit_history", "identity", "capacity", "behavior", "relationships"])
    ]


def test_new_events_are_those_after_the_end_of_p_and_by_the_end_of_d() -> None:
    events = [
        _event("overdue_bill", 10, END_OF_P),  # due on P: overdue from P + 1, new
        _event("overdue_bill", 11, END_OF_D),  # due on D: not overdue at D yet
        _event("overdue_bill", 12, datetime(2026, 10, 30)),  # due 10-29: overdue at P already
        _event("negative_record", 20, datetime(2026, 10, 30, 23, 59, 59, 999999)),  # known at P
        _event("negative_record", 21, datetime(2026, 10, 31, 23, 59, 59, 999999)),  # D's last
        _event("profile_change", 33, datetime(2026, 10, 31, 9)),
        _event("profile_change", 30, datetime(2026, 10, 31, 8)),
        _event("loan_application", 40, datetime(2026, 10, 31, 10)),
        _event("risk_event", 50, datetime(2026, 10, 31, 11)),
        _event("risk_event", 51, datetime(2026, 10, 31, 11), user_id=2),  # another user's
    ]
    snapshots = [
        _snapshot(1, P, 700),
        _snapshot(1, D, 650),
        _snapshot(2, P, 700),
        _snapshot(2, D, 700),
    ]
    rows = _report(snapshots, events)
    assert [{name: r[name] for name in ("user_id", *EVENT_LISTS)} for r in rows] == [
        {
            "user_id": 1,
            "new_overdue_bill_ids": [10],
            "new_negative_record_ids": [21],
            "new_profile_change_ids": [30, 33],  # in id order
            "new_loan_application_ids": [40],
            "new_risk_event_ids": [50],
        }
    ]


def test_events_are_new_since_the_user_s_own_previous_snapshot() -> None:
    older = date(2026, 10, 15)  # the user has no row at P
    events = [
        _event("negative_record", 1, datetime(2026, 10, 15, 23, 59, 59, 999999)),  # known then
        _event("negative_record", 2, datetime(2026, 10, 16)),  # after the end of 10-15
        _event("overdue_bill", 3, datetime(2026, 10, 21)),  # due 10-20: before P, yet new
    ]
    rows = _report([_snapshot(1, older, 700), _snapshot(1, D, 680)], events)
    assert [(r["new_negative_record_ids"], r["new_overdue_bill_ids"]) for r in rows] == [([2], [3])]
