"""fct_month_end_basis, given rows: the text that says which month-end snapshots a date's stuck
reports read: every month-end on or before the report date within $report_months of the latest
one, each with its run, oldest first; daily dates and later month-ends are not in it."""

from __future__ import annotations

from datetime import date

from sesame.dates import month_ends_before
from tests.models.given import D, Given, run_model

DATES = {"snapshot_date": "date", "run_id": "varchar"}


def _basis(rows: list[dict[str, object]], report_date: date = D, months: int = 12) -> str | None:
    result = run_model(
        "marts/fct_month_end_basis",
        {"snapshot_dates": Given(DATES, rows)},
        "basis",
        report_date=report_date,
        report_months=months,
    )
    assert len(result) == 1
    return result[0]["basis"]


def test_the_basis_names_each_month_end_of_the_window_with_its_run() -> None:
    month_ends = [*month_ends_before(D, 14), D]  # 15 month-ends up to D
    rows = [{"snapshot_date": day, "run_id": f"run-{day}"} for day in month_ends]
    rows += [{"snapshot_date": date(2026, 10, 30), "run_id": "daily"}]  # not a month-end
    rows += [{"snapshot_date": date(2026, 11, 30), "run_id": "later"}]  # after the report date
    expected = ", ".join(f"{day} run-{day}" for day in month_ends[-12:])
    assert _basis(rows) == expected


def test_a_month_end_scored_again_anywhere_in_the_window_changes_the_basis() -> None:
    month_ends = [*month_ends_before(D, 11), D]
    rows = [{"snapshot_date": day, "run_id": "first"} for day in month_ends]
    before = _basis(rows)
    for rescored in (month_ends[0], month_ends[5], month_ends[-1]):
        again = [r | {"run_id": "again"} if r["snapshot_date"] == rescored else r for r in rows]
        assert _basis(again) != before, rescored


def test_the_window_follows_report_months_and_the_report_date() -> None:
    month_ends = [*month_ends_before(D, 11), D]
    rows = [{"snapshot_date": day, "run_id": "r"} for day in month_ends]
    assert _basis(rows, months=3) == ", ".join(f"{day} r" for day in month_ends[-3:])
    # a daily date after the latest month-end reads the same month-ends as that month-end
    assert _basis(rows, report_date=date(2026, 11, 15)) == _basis(rows)
    assert _basis([], months=3) is None
