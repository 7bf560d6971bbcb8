"""report_negative_records, given rows: the records that count at D (occurred by the end of D,
not removed on appeal, unresolved or resolved less than 5 years ago for legal and financial
records, 2 for life ones: contract section 2) and those that stopped counting since the previous
snapshot date (the latest of snapshot_dates before D), each with its counts_until."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tests.models.given import D, Given, run_model

P = date(2026, 10, 30)  # the previous snapshot date
END_OF_P = datetime(2026, 10, 31)  # day_end(P)
END_OF_D = datetime(2026, 11, 1)  # day_end(D)
OCCURRED = datetime(2019, 3, 1, 10)

RECORDS = {
    "record_id": "bigint",
    "user_id": "bigint",
    "category": "varchar",
    "source": "varchar",
    "occurred_at": "timestamp",
    "resolved_at": "timestamp",
    "removed_on_appeal": "boolean",
}


def _record(record_id: int, category: str, resolved: datetime | None, **more: Any) -> dict:
    return {
        "record_id": record_id,
        "user_id": 7,
        "category": category,
        "source": "court",
        "occurred_at": OCCURRED,
        "resolved_at": resolved,
        "removed_on_appeal": False,
    } | more


def _rows(records: list[dict[str, Any]], dates: list[date]) -> list[dict[str, Any]]:
    return run_model(
        "reports/report_negative_records",
        {
            "stg_negative_records": Given(RECORDS, records),
            "snapshot_dates": Given(
                {"snapshot_date": "date"}, [{"snapshot_date": d} for d in dates]
            ),
        },
        order_by="record_id",
        before=("marts/fct_negative_records",),
        report_date=D,
    )


def _report(records: list[dict[str, Any]], dates: list[date]) -> list[tuple[Any, ...]]:
    return [
        (r["record_id"], r["category"], r["resolved_at"], r["counts_until"], r["status"])
        for r in _rows(records, dates)
    ]


def test_a_record_counts_through_the_end_of_d_and_expired_when_it_counted_at_p() -> None:
    last_instant = datetime(2021, 10, 31, 23, 59, 59, 999999)
    records = [
        _record(1, "financial", datetime(2021, 11, 1)),  # + 5 years = END_OF_D: counts at D
        _record(2, "legal", last_instant),  # + 5 years: D's last instant, after P's end
        _record(3, "life", datetime(2024, 10, 31)),  # + 2 years = END_OF_P: counted at P
        _record(4, "life", datetime(2024, 10, 30, 23, 59, 59, 999999)),  # ended within P
        _record(5, "financial", None),  # unresolved: counts, no counts_until
    ]
    assert _report(records, [date(2026, 9, 30), P, D]) == [
        (1, "financial", datetime(2021, 11, 1), END_OF_D, "counting"),
        (2, "legal", last_instant, datetime(2026, 10, 31, 23, 59, 59, 999999), "expired"),
        (3, "life", datetime(2024, 10, 31), END_OF_P, "expired"),
        (5, "financial", None, None, "counting"),
    ]


def test_only_records_known_at_d_and_not_removed_on_appeal_are_reported() -> None:
    resolved_on_d = datetime(2026, 10, 31, 12)
    records = [
        _record(1, "life", None, occurred_at=datetime(2026, 10, 31, 23, 59, 59, 999999)),
        _record(2, "life", None, occurred_at=END_OF_D),  # occurs after D
        _record(3, "legal", None, removed_on_appeal=True),  # never counts
        _record(4, "legal", datetime(2026, 11, 5)),  # resolved after D: unresolved at D
        _record(5, "life", resolved_on_d),  # resolved at D: counts 2 more years
    ]
    assert _report(records, [P, D]) == [
        (1, "life", None, None, "counting"),
        (4, "legal", None, None, "counting"),  # D does not know the resolution yet
        (5, "life", resolved_on_d, datetime(2028, 10, 31, 12), "counting"),
    ]


def test_the_previous_snapshot_date_is_the_latest_earlier_one_in_snapshot_dates() -> None:
    # only month-ends before D: the previous snapshot is 2026-09-30 (its end 2026-10-01 00:00);
    # a later date (a report run again for an earlier D) is not a previous one
    records = [
        _record(1, "life", datetime(2024, 10, 1)),  # until 2026-10-01 00:00: counted at 09-30
        _record(2, "life", datetime(2024, 9, 30, 12)),  # until 2026-09-30 12:00: ended before
        _record(3, "financial", datetime(2021, 10, 15)),  # until 2026-10-15
    ]
    assert _report(records, [date(2026, 8, 31), date(2026, 9, 30), D, date(2026, 11, 30)]) == [
        (1, "life", datetime(2024, 10, 1), datetime(2026, 10, 1), "expired"),
        (3, "financial", datetime(2021, 10, 15), datetime(2026, 10, 15), "expired"),
    ]


def test_without_a_previous_snapshot_date_nothing_is_expired() -> None:
    records = [
        _record(1, "life", datetime(2024, 10, 31)),  # until 2026-10-31 00:00: not at D's end
        _record(2, "financial", None),
    ]
    assert _report(records, [D]) == [(2, "financial", None, None, "counting")]


def test_a_row_names_the_record_its_user_source_and_times() -> None:
    record = _record(1, "financial", datetime(2024, 3, 1, 9), source="Bank of X", user_id=42)
    assert _rows([record], [P, D]) == [
        {
            "report_date": D,
            "record_id": 1,
            "user_id": 42,
            "category": "financial",
            "source": "Bank of X",
            "occurred_at": OCCURRED,
            "resolved_at": datetime(2024, 3, 1, 9),
            "counts_until": datetime(2029, 3, 1, 9),  # financial: + 5 years
            "status": "counting",
        }
    ]
