"""report_score_distribution, given rows: the scored users of D and of the previous month-end
in each of the 12 bands of 50 points (350-399 .. 900-950, the 950s in the last), with their
shares; unscorable users and other dates are not counted."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.models.given import D, Given, run_model

BASELINE = date(2026, 9, 30)  # the previous month-end
LOWERS = list(range(350, 950, 50))


def _report(scores: dict[date, list[int | None]], baseline: date | None) -> list[dict[str, Any]]:
    rows = [
        {"user_id": user, "snapshot_date": day, "score": score}
        for day, day_scores in scores.items()
        for user, score in enumerate(day_scores, start=1)
    ]
    report = run_model(
        "reports/report_score_distribution",
        {
            "score_snapshots": Given(
                {"user_id": "bigint", "snapshot_date": "date", "score": "integer"}, rows
            )
        },
        order_by="band_lower",
        report_date=D,
        previous_month_end=baseline,
    )
    assert {row.pop("report_date") for row in report} == {D}
    return report


def test_the_bands_are_50_points_wide_and_the_last_holds_950() -> None:
    report = _report({D: [350, 399, 400, 949, 950, None]}, BASELINE)
    # 5 scored users (the unscorable one is left out); no baseline rows: all 0
    assert [(r["band_lower"], r["band_upper"]) for r in report] == [
        *((lower, lower + 49) for lower in LOWERS[:-1]),
        (900, 950),
    ]
    counts = {r["band_lower"]: (r["users"], r["share"]) for r in report if r["users"]}
    assert counts == {350: (2, 0.4), 400: (1, 0.2), 900: (2, 0.4)}
    assert {(r["baseline_users"], r["baseline_share"]) for r in report} == {(0, 0.0)}


def test_the_baseline_is_the_previous_month_end_and_no_other_date() -> None:
    scores: dict[date, list[int | None]] = {
        D: [610, 620, 700, 710],
        BASELINE: [599, 600, 649, None],  # 3 scored users at the month-end
        date(2026, 10, 30): [400, 400],  # the day before D: not the baseline
        date(2026, 8, 31): [800],  # an older month-end
    }
    report = _report(scores, BASELINE)
    counted = {
        r["band_lower"]: (r["users"], r["share"], r["baseline_users"], r["baseline_share"])
        for r in report
        if r["users"] or r["baseline_users"]
    }
    assert counted == {
        550: (0, 0.0, 1, 1 / 3),  # 599
        600: (2, 0.5, 2, 2 / 3),  # 610, 620 now; 600, 649 then
        700: (2, 0.5, 0, 0.0),  # 700, 710
    }
    assert sum(r["users"] for r in report) == 4
    assert sum(r["baseline_users"] for r in report) == 3


def test_without_a_previous_month_end_the_baseline_counts_no_one() -> None:
    report = _report({D: [700], date(2026, 10, 30): [700]}, None)
    assert len(report) == 12
    assert [r["band_lower"] for r in report if r["users"]] == [700]
    assert sum(r["baseline_users"] for r in report) == 0
