"""report_population, given rows: each measure (the score and the five dimensions) at D against
the previous month-end: means of the scored users, the share unscorable, and the PSI (the score
in 12 bins of 50 points, the 950s in the last; each dimension in 10 bins of 10, 100 in the last;
empty bins as 0.0001) with its band: stable below 0.1, watch from 0.1, shift from 0.25."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from tests.models.given import D, Given, run_model

BASELINE = date(2026, 9, 30)  # the previous month-end
DIMENSIONS = ("credit_history", "identity", "capacity", "behavior", "relationships")
MEASURES = ("behavior", "capacity", "credit_history", "identity", "relationships", "score")
SNAPSHOTS = {"user_id": "bigint", "snapshot_date": "date", "score": "integer"} | dict.fromkeys(
    DIMENSIONS, "double"
)
LN_5000 = 8.517193  # ln(0.5 / 0.0001): a half of the users moved to an empty bin


def _snapshot(user_id: int, day: date, score: int | None, **dims: float) -> dict[str, Any]:
    """A snapshot row; the dimensions are 50 unless given, null when unscorable."""
    values = {d: None if score is None else dims.get(d, 50.0) for d in DIMENSIONS}
    return {"user_id": user_id, "snapshot_date": day, "score": score} | values


def _scores(day: date, scores: Sequence[int | None]) -> list[dict[str, Any]]:
    return [_snapshot(user, day, score) for user, score in enumerate(scores, start=1)]


def _report(rows: list[dict[str, Any]], baseline: date | None = BASELINE) -> dict[str, dict]:
    report = run_model(
        "reports/report_population",
        {"score_snapshots": Given(SNAPSHOTS, rows)},
        order_by="measure",
        report_date=D,
        previous_month_end=baseline,
    )
    assert {row.pop("report_date") for row in report} == {D}
    return {row.pop("measure"): row for row in report}


def test_an_unchanged_population_is_stable_with_a_psi_of_zero() -> None:
    scored = [(500, 30.0), (650, 60.0), (700, 90.0)]
    rows = [
        _snapshot(user, day, score, **dict.fromkeys(DIMENSIONS, dim))
        for day in (BASELINE, D)
        for user, (score, dim) in enumerate(scored, start=1)
    ]
    rows += [_snapshot(4, BASELINE, None), _snapshot(4, D, None)]
    rows.append(_snapshot(5, date(2026, 10, 30), 950))  # neither D nor the baseline: not read
    expected_means = {"score": (500 + 650 + 700) / 3} | dict.fromkeys(DIMENSIONS, 60.0)
    report = _report(rows)
    assert list(report) == list(MEASURES)
    for measure, row in report.items():
        assert row == {
            "baseline_date": BASELINE,
            "mean": pytest.approx(expected_means[measure]),
            "baseline_mean": pytest.approx(expected_means[measure]),
            "share_unscorable": 0.25,  # 1 of 4 users, then as now
            "baseline_share_unscorable": 0.25,
            "psi": 0.0,
            "band": "stable",
        }


def test_scores_bin_by_50_points_with_950_in_the_900s_and_dimensions_by_10() -> None:
    def psi(then: list[int], now: list[int], then_dim: list[float], now_dim: list[float]) -> dict:
        rows = [
            _snapshot(user, day, score, credit_history=dim)
            for day, scores, dims in ((BASELINE, then, then_dim), (D, now, now_dim))
            for user, (score, dim) in enumerate(zip(scores, dims, strict=True), start=1)
        ]
        return {measure: row["psi"] for measure, row in _report(rows).items()}

    # 350 and 399 share the first bin, 900 and 950 the last; 0 and 9.99, 90 and 100 alike
    same = psi([350, 900], [399, 950], [0.0, 90.0], [9.99, 100.0])
    assert same == dict.fromkeys(MEASURES, 0.0)
    # 399 -> 400 and 9.99 -> 10 each move half the users to an empty bin, both ways:
    # 2 x (0.5 - 0.0001) x ln(0.5 / 0.0001) = 0.9998 x 8.517193
    moved = psi([399, 950], [400, 949], [9.99, 50.0], [10.0, 50.0])
    expected = dict.fromkeys(MEASURES, 0.0) | {"score": 0.9998 * LN_5000}
    expected["credit_history"] = 0.9998 * LN_5000
    assert moved == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize(
    ("now_low", "now_users", "then_low", "then_users", "psi", "band"),
    [
        # (1/5 - 1/11) ln(2.2) + (4/5 - 10/11) ln(0.88) = 0.08601 + 0.01395
        (1, 5, 1, 11, 0.099959, "stable"),
        # (1/4 - 2/5) ln(0.625) + (3/4 - 3/5) ln(1.25) = 0.07050 + 0.03347
        (1, 4, 2, 5, 0.103972, "watch"),
        # (7/9 - 6/11) ln(1.42593) + (2/9 - 5/11) ln(0.48889) = 0.08243 + 0.16626
        (7, 9, 6, 11, 0.248688, "watch"),
        # (1/5 - 3/7) ln(0.46667) + (4/5 - 4/7) ln(1.4) = 0.17420 + 0.07691
        (1, 5, 3, 7, 0.251111, "shift"),
    ],
)
def test_the_band_is_stable_below_0_1_watch_from_0_1_and_shift_from_0_25(
    now_low: int, now_users: int, then_low: int, then_users: int, psi: float, band: str
) -> None:
    # two bins: 560 (550-599) and 610 (600-649); the dimensions do not move
    now = [560] * now_low + [610] * (now_users - now_low)
    then = [560] * then_low + [610] * (then_users - then_low)
    report = _report(_scores(D, now) + _scores(BASELINE, then))
    assert (report["score"]["psi"], report["score"]["band"]) == (pytest.approx(psi, abs=1e-6), band)
    assert {report[d]["band"] for d in DIMENSIONS} == {"stable"}


def test_means_are_of_the_scored_users_and_the_unscorable_share_of_everyone() -> None:
    rows = _scores(D, [600, 700, None]) + _scores(BASELINE, [500, None, None, 650])
    score = _report(rows)["score"]
    assert (score["mean"], score["baseline_mean"]) == (650.0, 575.0)
    # 1 of 3 users now, 2 of 4 at the baseline
    assert score["share_unscorable"] == pytest.approx(1 / 3)
    assert score["baseline_share_unscorable"] == 0.5


def test_without_a_previous_month_end_there_is_no_baseline_psi_or_band() -> None:
    report = _report(_scores(D, [600, 700]) + _scores(date(2026, 10, 30), [400, 400]), None)
    assert list(report) == list(MEASURES)
    for row in report.values():
        assert (row["baseline_date"], row["baseline_mean"], row["psi"], row["band"]) == (
            None,
            None,
            None,
            None,
        )
    assert report["score"]["mean"] == 650.0
