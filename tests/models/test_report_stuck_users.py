"""report_stuck_users, given the Polars step's rows (stuck_users_frame): the report's columns
and types, dated at the report date, the longest stuck first and then by user."""

from __future__ import annotations

from datetime import date

from tests.models.given import D, Given, run_model

FRAME = {
    "user_id": "integer",  # Polars' frames arrive with their own widths: the model casts
    "months_without_rise": "bigint",
    "month_end_then": "timestamp",
    "score_then": "bigint",
    "month_end": "date",
    "score": "bigint",
    "fell_in_between": "boolean",
    "lowest_in_between": "bigint",
    "factors": "varchar[]",
}


def _row(user_id: int, months: int, factors: list[str]) -> dict[str, object]:
    return {
        "user_id": user_id,
        "months_without_rise": months,
        "month_end_then": date(2026, 1, 31),
        "score_then": 612,
        "month_end": date(2026, 10, 31),
        "score": 598,
        "fell_in_between": True,
        "lowest_in_between": 590,
        "factors": factors,
    }


def test_rows_are_typed_dated_and_ordered_longest_stuck_first() -> None:
    rows = run_model(
        "reports/report_stuck_users",
        {
            "stuck_users_frame": Given(
                FRAME, [_row(3, 7, []), _row(1, 9, ["thin_file"]), _row(2, 7, [])]
            )
        },
        order_by="rowid",  # the table's own order: the model's
        report_date=D,
    )
    assert [(r["user_id"], r["months_without_rise"]) for r in rows] == [(1, 9), (2, 7), (3, 7)]
    first = rows[0]
    assert first["report_date"] == D
    assert first["month_end_then"] == date(2026, 1, 31)  # a timestamp cast to its date
    assert first["factors"] == ["thin_file"]
    assert list(first) == ["report_date", *FRAME]
