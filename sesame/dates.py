"""The calendar: month arithmetic, month-ends and "yesterday", in one place.

Every module that needs a month-end or the day a run scores asks here, so that the rules of
the calendar (a day clamped to its month's length, a month-end as the last day of its month,
the day before today in the scheduler's time zone) have one home.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

ONE_DAY = timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months (negative: minus), the day clamped to the month's length,
    as DuckDB's ``date + interval 'n months'`` does."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def is_month_end(day: date) -> bool:
    return (day + ONE_DAY).day == 1


def previous_month_end(day: date) -> date:
    """The last month-end before ``day``'s month."""
    return day.replace(day=1) - ONE_DAY


def month_ends_before(as_of: date, months: int) -> list[date]:
    """The last days of the ``months`` calendar months before ``as_of``'s month, oldest first."""
    return [previous_month_end(add_months(as_of.replace(day=1), -back)) for back in range(months)][
        ::-1
    ]


def month_ends_between(start: date, end: date) -> list[date]:
    """Every month-end from ``start`` to ``end`` inclusive, oldest first."""
    ends = []
    current = month_end(start)
    while current <= end:
        ends.append(current)
        current = month_end(current + ONE_DAY)
    return ends


def month_ends_after(day: date, months: int) -> list[date]:
    """The month-ends after ``day``: its own month's (when ``day`` is not one) and the next
    ``months`` months'."""
    ends = [month_end(add_months(day.replace(day=1), ahead)) for ahead in range(months + 1)]
    return [end for end in ends if end > day]


def previous_day(timezone: str, now: datetime | None = None) -> date:
    """The day before today in ``timezone``: the day a run after midnight scores."""
    current = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone))
    return current.date() - ONE_DAY


def yesterday() -> date:
    """The day before today on this machine's clock: the CLI's default date."""
    return date.today() - ONE_DAY
