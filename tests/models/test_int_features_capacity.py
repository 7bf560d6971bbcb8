"""int_features_capacity, given rows: the capacity dimension's characteristics at a date (the
total of each asset type's latest value known by the date, and the salary months among the
income window's complete months and the date's month so far)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.models.given import FEATURE_REQUESTS, D, Given, run_model, score_requests

ASSETS = {"user_id": "bigint", "as_of": "date", "asset_type": "varchar", "value": "double"}
MONTHS = {
    "user_id": "bigint",
    "snapshot_date": "date",
    "month_start": "date",
    "salary_inflows": "integer",
}
FIRST = date(2026, 11, 1)  # the day after D, the first of a month


def _features(
    requests: list[tuple[int, date]],
    assets: list[dict[str, Any]] | None = None,
    months: list[dict[str, Any]] | None = None,
) -> list[tuple[Any, ...]]:
    rows = run_model(
        "intermediate/int_features_capacity",
        {
            "score_requests": score_requests(requests),
            "stg_assets": Given(ASSETS, assets or []),
            "int_transaction_months": Given(MONTHS, months or []),
        },
        order_by="user_id, snapshot_date",
        before=(FEATURE_REQUESTS,),
    )
    return [
        (r["user_id"], r["snapshot_date"], r["assets_value_cny"], r["salary_months"]) for r in rows
    ]


def _asset(as_of: date, asset_type: str, value: float) -> dict[str, Any]:
    return {"user_id": 1, "as_of": as_of, "asset_type": asset_type, "value": value}


def _salaries(user: int, day: date, months: list[int], inflows: int = 1) -> list[dict[str, Any]]:
    """Rows of int_transaction_months at ``day``: salary inflows in these months of 2026."""
    return [
        {
            "user_id": user,
            "snapshot_date": day,
            "month_start": date(2026, month, 1),
            "salary_inflows": inflows,
        }
        for month in months
    ]


def test_assets_sum_each_type_s_latest_value_known_by_the_date() -> None:
    assets = [
        _asset(date(2026, 1, 31), "deposit", 1000.0),  # replaced by its later value
        _asset(D, "deposit", 0.1),  # reported on D: the latest deposit known at D
        _asset(FIRST, "deposit", 99999.0),  # reported after D: ignored
        _asset(date(2026, 6, 30), "fund", 0.2),
        _asset(FIRST, "real_estate", 500000.0),  # its only value comes after D: nothing
    ]
    # 0.1 + 0.2, summed exactly (as decimals: a double sum gives 0.30000000000000004)
    assert _features([(1, D), (2, D)], assets=assets) == [
        (1, D, 0.3, 0),
        (2, D, 0.0, 0),  # no assets: 0, not null
    ]


def test_salary_months_are_the_six_months_before_the_date_s_month_and_the_month_so_far() -> None:
    # at D (2026-10-31) the window is 2026-04 .. 2026-09, and 2026-10 so far
    months = [
        *_salaries(1, D, [3]),  # 2026-03: the month before the window
        *_salaries(1, D, [4, 6, 8]),  # 2026-04 is the window's first month
        *_salaries(1, D, [9], inflows=0),  # transactions, but no salary
        *_salaries(2, D, [4, 5, 6, 7, 8, 9, 10]),  # seven months of salary
        *_salaries(3, D, [5, 6, 7, 8, 9]),  # one month short of the full six
    ]
    assert _features([(1, D), (2, D), (3, D)], months=months) == [
        (1, D, 0.0, 3),  # 2026-04, 06, 08
        (2, D, 0.0, 6),  # 7 months, at most 6
        (3, D, 0.0, 5),
    ]


def test_on_the_first_a_salary_not_yet_paid_this_month_costs_nothing() -> None:
    # on 2026-11-01 the window is 2026-05 .. 2026-10, and 2026-11 so far (no salary yet)
    months = [
        *_salaries(1, FIRST, [5, 6, 7, 8, 9, 10]),
        *_salaries(2, FIRST, [4, 5, 6, 7, 8, 9]),  # 2026-04 has left the window
    ]
    assert _features([(1, FIRST), (2, FIRST)], months=months) == [
        (1, FIRST, 0.0, 6),  # as many as a month-end with the same salaries
        (2, FIRST, 0.0, 5),
    ]
