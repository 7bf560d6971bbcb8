"""report_stuck_factors, given the Polars step's rows (stuck_factors_frame): the report's
columns and types, dated at the report date, every factor kept."""

from __future__ import annotations

from tests.models.given import D, Given, run_model

FRAME = {
    "factor": "varchar",
    "stuck_users": "integer",
    "share_stuck": "float",
    "share_others": "float",
    "lift": "float",
    "points_lost_stuck": "float",
    "points_lost_others": "float",
    "points_gap": "float",
}


def test_each_factor_is_one_typed_row_of_the_report_date() -> None:
    given = [
        {
            "factor": "thin_file",
            "stuck_users": 40,
            "share_stuck": 0.5,
            "share_others": 0.25,
            "lift": 2.0,
            "points_lost_stuck": 12.5,
            "points_lost_others": 4.5,
            "points_gap": 8.0,
        },
        {
            "factor": "overdue",
            "stuck_users": 8,
            "share_stuck": 0.125,
            "share_others": 0.125,
            "lift": 1.0,
            "points_lost_stuck": 3.0,
            "points_lost_others": 3.0,
            "points_gap": 0.0,
        },
    ]
    rows = run_model(
        "reports/report_stuck_factors",
        {"stuck_factors_frame": Given(FRAME, given)},
        order_by="factor",
        report_date=D,
    )
    assert rows == [{"report_date": D} | row for row in sorted(given, key=lambda r: r["factor"])]
