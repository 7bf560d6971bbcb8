"""The calendar module, checked against computations made another way: numpy's month
arithmetic (``datetime64[M]``) and a walk over every day."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from sesame import dates

# every day of 2023-12 .. 2028-03: leap and common Februaries, 30- and 31-day months, year ends
DAYS = [
    date(2023, 12, 1) + timedelta(days=n)
    for n in range((date(2028, 4, 1) - date(2023, 12, 1)).days)
]


def _month_end_by_numpy(day: date) -> date:
    month = np.datetime64(day.isoformat()[:7], "M")
    return ((month + 1).astype("datetime64[D]") - 1).astype(date)


def _month_ends_by_walking(start: date, end: date) -> list[date]:
    """The days from start to end whose next day is in another month."""
    walk = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [day for day in walk if (day + timedelta(days=1)).month != day.month]


def test_month_end_and_is_month_end_agree_with_numpy_on_every_day() -> None:
    for day in DAYS:
        assert dates.month_end(day) == _month_end_by_numpy(day), day
        assert dates.is_month_end(day) == (day == _month_end_by_numpy(day)), day


@pytest.mark.parametrize("months", [-25, -12, -1, 0, 1, 9, 12, 14])
def test_add_months_clamps_the_day_to_the_month_as_numpy_counts_months(months: int) -> None:
    for day in DAYS:
        moved = dates.add_months(day, months)
        target = np.datetime64(day.isoformat()[:7], "M") + months
        assert moved.isoformat()[:7] == str(target), (day, months)
        assert moved.day == min(day.day, _month_end_by_numpy(moved).day), (day, months)


def test_add_months_clamps_as_duckdb_does() -> None:
    import duckdb

    con = duckdb.connect()
    for day, months in [(date(2024, 1, 31), 1), (date(2024, 3, 31), -1), (date(2025, 2, 28), 12)]:
        expected = con.execute(
            "select cast($day + to_months($months) as date)", {"day": day, "months": months}
        ).fetchall()[0][0]
        assert dates.add_months(day, months) == expected


def test_previous_month_end_is_the_last_month_end_before_the_day_s_month() -> None:
    for day in DAYS[40:]:
        walked = _month_ends_by_walking(DAYS[0], day.replace(day=1) - timedelta(days=1))
        assert dates.previous_month_end(day) == walked[-1], day


def test_month_ends_between_is_every_month_end_in_the_range_inclusive() -> None:
    for start, end in [
        (date(2025, 10, 1), date(2026, 6, 30)),  # end is itself a month-end: included
        (date(2024, 1, 31), date(2024, 3, 30)),  # start is a month-end: included; March is not over
        (date(2024, 2, 2), date(2024, 2, 27)),  # none
    ]:
        assert dates.month_ends_between(start, end) == _month_ends_by_walking(start, end)


def test_month_ends_before_and_after_are_the_neighbouring_month_ends() -> None:
    for day in [date(2026, 3, 1), date(2026, 3, 17), date(2026, 3, 31), date(2024, 2, 29)]:
        before = _month_ends_by_walking(date(2020, 1, 1), day.replace(day=1) - timedelta(days=1))
        assert dates.month_ends_before(day, 13) == before[-13:], day
        after = _month_ends_by_walking(
            day + timedelta(days=1), _month_end_by_numpy(dates.add_months(day.replace(day=1), 12))
        )
        assert dates.month_ends_after(day, 12) == after, day
