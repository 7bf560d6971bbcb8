"""int_negative_records_status, given rows: which records are known at a date and whether
they still count (contract section 2: 5 years after resolution for legal and financial
records, 2 for life; unresolved ones count; removed on appeal never)."""

from __future__ import annotations

from datetime import date, datetime

from tests.models.given import FEATURE_REQUESTS, D, Given, run_model, score_requests

RECORDS = {
    "record_id": "bigint",
    "user_id": "bigint",
    "category": "varchar",
    "occurred_at": "timestamp",
    "resolved_at": "timestamp",
    "removed_on_appeal": "boolean",
}
END_OF_D = datetime(2026, 11, 1)  # the first instant after D


def _status(records: list[dict[str, object]], requests: list[date]) -> list[tuple[object, ...]]:
    rows = run_model(
        "intermediate/int_negative_records_status",
        {
            "score_requests": score_requests((1, day) for day in requests),
            "stg_negative_records": Given(RECORDS, records),
        },
        order_by="snapshot_date, record_id",
        before=(FEATURE_REQUESTS,),
    )
    return [(r["snapshot_date"], r["record_id"], r["counts_until"], r["is_counting"]) for r in rows]


def _record(record_id: int, category: str, resolved: datetime | None, **more: object) -> dict:
    occurred = datetime(2019, 1, 1)
    return {
        "record_id": record_id,
        "user_id": 1,
        "category": category,
        "occurred_at": occurred,
        "resolved_at": resolved,
        "removed_on_appeal": False,
    } | more


def test_resolved_records_count_for_their_category_s_years_then_stop() -> None:
    # D's snapshot is the state at D 23:59:59.999999: a record whose count ends at END_OF_D
    # still counts at D, one that ends an instant earlier does not
    last_instant = datetime(2021, 10, 31, 23, 59, 59, 999999)
    records = [
        _record(1, "financial", datetime(2021, 11, 1)),  # + 5 years = END_OF_D
        _record(2, "legal", last_instant),  # + 5 years: D's last instant
        _record(3, "life", datetime(2024, 11, 1)),  # life: + 2 years = END_OF_D
        _record(4, "life", datetime(2024, 10, 31, 12)),
    ]
    assert _status(records, [D]) == [
        (D, 1, END_OF_D, True),
        (D, 2, datetime(2026, 10, 31, 23, 59, 59, 999999), False),
        (D, 3, END_OF_D, True),
        (D, 4, datetime(2026, 10, 31, 12), False),
    ]


def test_unresolved_at_the_date_counts_and_an_appeal_removes_the_record() -> None:
    later = datetime(2026, 11, 5)  # resolved after D: unresolved as D knows it
    records = [
        _record(1, "financial", None),
        _record(2, "legal", later),
        _record(3, "financial", None, removed_on_appeal=True),
        _record(4, "life", None, occurred_at=END_OF_D),  # occurs after D: not known at D
    ]
    assert _status(records, [D]) == [(D, 1, None, True), (D, 2, None, True)]


def test_each_requested_date_reads_the_record_as_of_itself() -> None:
    resolved = datetime(2024, 6, 1)  # life: counts until 2026-06-01
    before, after = date(2026, 5, 31), date(2026, 6, 1)
    assert _status([_record(1, "life", resolved)], [before, after]) == [
        (before, 1, datetime(2026, 6, 1), True),
        (after, 1, datetime(2026, 6, 1), False),
    ]
