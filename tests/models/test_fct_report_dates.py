"""fct_report_dates, given rows: the snapshot date and the month-end snapshot date before the
report date, each null when there is none."""

from __future__ import annotations

from datetime import date

from tests.models.given import Given, run_model

DATES = {"snapshot_date": "date"}


def _dates(days: list[date], report_date: date) -> tuple[date | None, date | None]:
    rows = run_model(
        "marts/fct_report_dates",
        {"snapshot_dates": Given(DATES, [{"snapshot_date": d} for d in days])},
        order_by="1",
        report_date=report_date,
    )
    assert len(rows) == 1
    return rows[0]["previous_snapshot_date"], rows[0]["previous_month_end"]


def test_the_day_before_and_the_month_end_before() -> None:
    days = [date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 29), date(2026, 10, 30)]
    assert _dates(days, date(2026, 10, 31)) == (date(2026, 10, 30), date(2026, 9, 30))
    # the report date's own row and later ones are not "before"
    later = [*days, date(2026, 10, 31), date(2026, 11, 30)]
    assert _dates(later, date(2026, 10, 31)) == (date(2026, 10, 30), date(2026, 9, 30))
    # a month-end right before is both
    assert _dates(days[:2], date(2026, 10, 1)) == (date(2026, 9, 30), date(2026, 9, 30))


def test_none_before_is_null() -> None:
    assert _dates([date(2026, 10, 31)], date(2026, 10, 31)) == (None, None)
    assert _dates([date(2026, 10, 15)], date(2026, 10, 20)) == (date(2026, 10, 15), None)
