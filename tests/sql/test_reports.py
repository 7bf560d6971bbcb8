"""Contract section 3 ("Reports"), on the real pipeline: hand-made users with expected rows.

Two module warehouses keep this fast:

- ``history``: nine month-end snapshots (2025-10-31 .. 2026-06-30) of hand-made users, then the
  reports for D = 2026-06-30 (previous snapshot: 2026-05-31) and their files.
- ``population``: three month-ends of steady users; half of them take a hit in June. Reports for
  2026-05-31 (nothing changed since 2026-04-30) and 2026-06-30 (the population shifted), the
  latter built twice, the second time in a run of its own (like ``sesame report``).

Each test reads the published warehouse with ``pipeline.query``.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from sesame import rules
from sesame.dates import month_ends_between
from sesame.ingest import ingest_exports
from sesame.reports import (
    REPORT_TABLES,
    ReportSummary,
    build_reports,
    publish_report_folder,
    write_report_files,
)
from sesame.runs import new_run_id
from sesame.scoring import score_date
from sesame.settings import Settings
from sesame.transforms.scorecard import CARD_PARAMETERS, HAND_SET_SCORECARD, load_scorecard
from sesame.warehouse import building, warehouse_lock
from tests import pipeline
from tests.builders import Exports, at, months_back

# the hand-set card: the report logic is tested on scores whose points the tests know
CARD = load_scorecard(HAND_SET_SCORECARD)
D = date(2026, 6, 30)
PREVIOUS = date(2026, 5, 31)  # the snapshot before D (a month-end)
MONTH_ENDS = month_ends_between(date(2025, 10, 1), D)  # nine, D included
SETTINGS = Settings()  # report thresholds: the defaults, read from Settings, never literals


def days(n: int) -> timedelta:
    return timedelta(days=n)


def new_settings(tmp_path_factory: pytest.TempPathFactory, name: str) -> Settings:
    base = tmp_path_factory.mktemp(name)
    return Settings(warehouse=base / "warehouse", input=base / "exports")


def run_with_reports(
    settings: Settings,
    dates: list[date],
    report_dates: list[date],
    exports: Exports | None = None,
    *,
    files_for: date | None = None,
) -> dict[date, ReportSummary]:
    """``pipeline.run`` plus ``build_reports`` for ``report_dates`` in the same building block
    (and the report files of ``files_for``, published after the warehouse, like the flow)."""
    if exports is not None:
        exports.write(settings.input)
    run_id = new_run_id("test", (dates or report_dates)[-1])
    summaries = {}
    aside = None
    with warehouse_lock(settings):
        with building(settings, run_id) as con:
            if dates:
                ingest_exports(con, settings.input, run_id)
            for snapshot_date in dates:
                score_date(con, settings, CARD, snapshot_date, run_id)
            for report_date in report_dates:
                summaries[report_date] = build_reports(con, settings, CARD, report_date)
            if files_for is not None:
                aside = write_report_files(con, settings, files_for, run_id)
        if aside is not None and files_for is not None:
            publish_report_folder(aside, settings, files_for)
    return summaries


def report(settings: Settings, name: str, report_date: date = D) -> dict[Any, dict[str, Any]]:
    """One report's rows at ``report_date`` by user_id (or record_id, measure, factor...)."""
    key = {
        "report_negative_records": "record_id",
        "report_stuck_factors": "factor",
        "report_population": "measure",
        "report_score_distribution": "band_lower",
    }.get(name, "user_id")
    frame = pipeline.query(
        settings, f"select * from {name} where report_date = $d", {"d": report_date}
    )
    rows = {row[key]: row for row in frame.iter_rows(named=True)}
    assert len(rows) == frame.height, f"{name}: duplicate {key}"
    return rows


def snapshots(settings: Settings, day: date) -> dict[int, dict[str, Any]]:
    return pipeline.snapshot(settings, day)


def month_end_scores(settings: Settings, user_id: int) -> list[int | None]:
    """The user's month-end scores, newest first (s0, s1, ...)."""
    frame = pipeline.query(
        settings,
        "select snapshot_date, score from score_snapshots where user_id = $u "
        "and snapshot_date = last_day(snapshot_date) order by snapshot_date desc",
        {"u": user_id},
    )
    return frame["score"].to_list()


def last_id(exports: Exports, table: str, column: str) -> int:
    return int(exports.rows[table][-1][column])


# ------------------------------------------------------------------------------ the history

# Users of the history warehouse. A "steady" user is registered in 2010 (full history points)
# with 26 months of shopping, salary and huabei bills paid on time: every feature is flat over
# the nine month-ends, so the score is too, and any change is the case's own.
STEADY = 1
BILL = 2  # a huabei bill due 2026-06-10, unpaid at D
EVENTS = 3  # a legal record, a risk event, a phone change, a loan application in June
RISE = 4  # a life record that stopped counting on 2026-06-15: the score rose
TIER = 5  # 6 of 7 profile items and two unpaid bills in June: excellent -> very_good
NEW_USERS = (6, 7)  # registered 2026-06-05
OVERDUE_EDGES = 8  # bills due around the previous snapshot and D, paid or not
REPAIRED = 9  # a bill paid 3 days late with an approved repair, and a risk event in June
STUCK = 10  # incomplete profile, flat for nine month-ends: months_without_rise 8
STUCK_DIP = 11  # STUCK plus a dip at 2026-01-31 (six loan applications): still 8, fell
STUCK_7 = 12  # STUCK, but a risk event ages out between 2025-10-31 and 2025-11-30: exactly 7
STUCK_6 = 13  # the same one month later (2025-11-30 -> 2025-12-31): 6, not stuck
IMPROVING = 14  # incomplete profile, one more repaid huabei bill every month: 0
SPREE = 20  # spree_applications + 1 loan applications in the last 30 days
CHURN = 21  # churn_changes phone changes in the last 12 months
VIOLATION = 22  # a risk event in February
DECLINING = 23  # a huabei bill due 2026-03-25 never paid: each month-end lower
LOW = 24  # every flag of ALL, and a score below borrowing_risk_min_score
ALL = 25  # every flag and a high score (large assets)
AMOUNT = 26  # two applications for spree_amount_cny in all
NEAR = 27  # one application and one change short of each threshold
RECORDS = 30  # negative records of every status

BILL_ID = 9_002
SCRIPT = "<script>alert(1)</script>"


def steady(exports: Exports, user_id: int, **fields: Any) -> None:
    exports.active_user(user_id, D, months=26, registered=date(2010, 1, 1), **fields)


def incomplete(exports: Exports, user_id: int) -> None:
    """A steady user without email or vehicle (5 of 7 profile items)."""
    steady(exports, user_id, email_verified=False, vehicle_verified=False)


def flags_of_all(exports: Exports, user_id: int) -> None:
    """Every borrowing-risk flag: a bill never paid since 2026-03-25 (three month-ends falling),
    a spree of applications, phone churn and a risk event."""
    exports.bill(user_id, date(2026, 3, 25), paid=None)
    for n in range(SETTINGS.spree_applications + 1):
        exports.application(user_id, at(date(2026, 6, 10) + days(n)))
    for n in range(SETTINGS.churn_changes):
        exports.profile_change(user_id, "phone", at(date(2025, 9, 10) + days(60 * n)))
    exports.risk_event(user_id, at(date(2026, 2, 10)), "fraud_report")


@dataclass
class History:
    settings: Settings
    ids: dict[str, Any]  # ids of the rows the cases made
    summary: ReportSummary


def history_exports() -> tuple[Exports, dict[str, Any]]:
    e = Exports()
    ids: dict[str, Any] = {}
    steady(e, STEADY)

    steady(e, BILL)
    e.bill(BILL, date(2026, 6, 10), paid=None, bill_id=BILL_ID)

    steady(e, EVENTS)
    e.profile_change(EVENTS, "address", at(date(2026, 1, 15)))  # before the previous snapshot
    e.risk_event(EVENTS, at(PREVIOUS))  # on the previous snapshot's day: not new
    ids["events_old_risk"] = last_id(e, "risk_events", "event_id")
    ids["events_record"] = e.negative(EVENTS, "legal", at(date(2026, 6, 5)))
    e.risk_event(EVENTS, at(date(2026, 6, 6)))
    ids["events_risk"] = last_id(e, "risk_events", "event_id")
    e.profile_change(EVENTS, "phone", at(date(2026, 6, 7)))
    ids["events_change"] = last_id(e, "profile_changes", "change_id")
    e.application(EVENTS, at(D, 23))
    ids["events_application"] = last_id(e, "loan_applications", "application_id")
    e.application(EVENTS, at(D + days(3)))  # after D: not known at D

    steady(e, OVERDUE_EDGES)
    # due on the previous snapshot's day, unpaid: not overdue then, overdue at D (new)
    ids["due_on_previous"] = e.bill(OVERDUE_EDGES, PREVIOUS, paid=None)
    # due 2026-06-05, paid in full two days late, before D (new)
    ids["paid_late"] = e.bill(OVERDUE_EDGES, date(2026, 6, 5), paid=at(date(2026, 6, 7)))
    # due 2026-05-20, unpaid: overdue at the previous snapshot already (not new)
    ids["overdue_before"] = e.bill(OVERDUE_EDGES, date(2026, 5, 20), paid=None)
    e.bill(OVERDUE_EDGES, date(2026, 6, 15), paid=at(date(2026, 6, 15), 23))  # on time
    e.bill(OVERDUE_EDGES, D, paid=None)  # due on D: not overdue yet at D

    steady(e, REPAIRED)
    ids["repaired_bill"] = e.bill(REPAIRED, date(2026, 6, 5), paid=at(date(2026, 6, 8)))
    e.repair(REPAIRED, ids["repaired_bill"], at(date(2026, 6, 9)), "forgot")
    e.risk_event(REPAIRED, at(date(2026, 6, 10)))
    ids["repaired_risk"] = last_id(e, "risk_events", "event_id")

    steady(e, RISE)
    e.negative(RISE, "life", at(date(2023, 1, 1)), resolved=at(date(2024, 6, 15)))

    steady(e, TIER, vehicle_verified=False)
    e.bill(TIER, date(2026, 6, 10), paid=None)
    e.bill(TIER, date(2026, 6, 12), paid=None)

    for user_id in NEW_USERS:
        e.user(user_id, registered=date(2026, 6, 5))
        for n in range(3):
            e.transaction(user_id, at(date(2026, 6, 10) + days(n)), "shopping")

    incomplete(e, STUCK)
    incomplete(e, STUCK_DIP)
    for n in range(6):  # six applications: 0 of 10 points at 2026-01-31 only
        e.application(STUCK_DIP, at(date(2026, 1, 20), 8 + n))
    incomplete(e, STUCK_7)
    e.risk_event(STUCK_7, at(date(2023, 11, 15)))  # counts 24 months: up to 2025-10-31
    incomplete(e, STUCK_6)
    e.risk_event(STUCK_6, at(date(2023, 12, 15)))  # counts up to 2025-11-30

    e.user(IMPROVING, registered=date(2010, 1, 1), email_verified=False, vehicle_verified=False)
    for back in range(26):
        day = months_back(D, back)  # the 28th
        e.transaction(IMPROVING, at(day, 10), "shopping")
        e.transaction(IMPROVING, at(day, 11), "salary", amount=8000.0)
        if day >= date(2025, 10, 1):
            e.bill(IMPROVING, day - days(1), paid=at(day - days(3)))

    steady(e, SPREE)
    for n in range(SETTINGS.spree_applications + 1):
        e.application(SPREE, at(date(2026, 6, 5) + days(n)))
    e.application(SPREE, at(D - days(CARD_PARAMETERS["recent_applications_days"])))  # just outside

    steady(e, CHURN)
    for n in range(SETTINGS.churn_changes):
        e.profile_change(CHURN, "phone", at(date(2025, 8, 10) + days(90 * n)))

    steady(e, VIOLATION)
    e.risk_event(VIOLATION, at(date(2026, 2, 10)), "cash_out")

    steady(e, DECLINING)
    e.bill(DECLINING, date(2026, 3, 25), paid=None)

    incomplete(e, LOW)
    flags_of_all(e, LOW)

    steady(e, ALL)
    e.asset(ALL, date(2024, 1, 1), "deposit", 6_000_000.0)
    flags_of_all(e, ALL)

    steady(e, AMOUNT)
    for n in range(2):
        e.application(AMOUNT, at(date(2026, 6, 20) + days(n)))
        e.rows["loan_applications"][-1]["amount"] = SETTINGS.spree_amount_cny / 2

    steady(e, NEAR)
    for n in range(SETTINGS.spree_applications - 1):
        e.application(NEAR, at(date(2026, 6, 20) + days(n)))
    for n in range(SETTINGS.churn_changes - 1):
        e.profile_change(NEAR, "address", at(date(2026, 2, 1) + days(30 * n)))

    steady(e, RECORDS)
    r = e.negative
    ids["unresolved"] = r(RECORDS, "legal", at(date(2025, 1, 10)))
    ids["resolved_counting"] = r(
        RECORDS, "financial", at(date(2023, 1, 10)), resolved=at(date(2024, 3, 1))
    )
    ids["resolved_after_d"] = r(
        RECORDS, "financial", at(date(2025, 1, 1)), resolved=at(D + days(10))
    )
    ids["expired_in_period"] = r(
        RECORDS, "life", at(date(2023, 1, 1)), resolved=at(date(2024, 6, 15))
    )
    # stops counting at 2026-06-30 23:00, within D: expired at D's end
    ids["expired_on_d"] = r(
        RECORDS, "life", at(date(2023, 1, 1)), resolved=datetime(2024, 6, 30, 23)
    )
    # stopped counting at 2026-05-31 06:00: not counting at the previous snapshot already
    ids["expired_on_previous"] = r(
        RECORDS, "life", at(date(2023, 1, 1)), resolved=datetime(2024, 5, 31, 6)
    )
    ids["expired_long_ago"] = r(
        RECORDS, "life", at(date(2017, 1, 1)), resolved=at(date(2020, 1, 1))
    )
    ids["appealed"] = r(RECORDS, "legal", at(date(2025, 3, 1)), removed_on_appeal=True)
    ids["future"] = r(RECORDS, "legal", at(D + days(5)))
    ids["script"] = r(RECORDS, "life", at(date(2025, 5, 1)))
    e.rows["negative_records"][-1]["source"] = SCRIPT
    return e, ids


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    settings = new_settings(tmp_path_factory, "history")
    exports, ids = history_exports()
    summaries = run_with_reports(settings, MONTH_ENDS, [D], exports, files_for=D)
    return History(settings, ids, summaries[D])


def drops(history: History) -> dict[int, dict[str, Any]]:
    return report(history.settings, "report_score_drops")


# ------------------------------------------------------------------------------ score drops


def test_score_drop_of_a_bill_gone_unpaid_splits_into_overdue_points(history: History) -> None:
    before = snapshots(history.settings, PREVIOUS)[BILL]
    now = snapshots(history.settings, D)[BILL]
    row = drops(history)[BILL]
    assert now["score"] < before["score"]
    assert (row["previous_date"], row["previous_score"], row["score"], row["score_drop"]) == (
        PREVIOUS,
        before["score"],
        now["score"],
        before["score"] - now["score"],
    )
    assert row["dimensions_fell"] == ["credit_history"]
    # the two overdue characteristics moved, nothing else; their changes sum to the drop
    changes = row["point_changes"]
    assert {c["characteristic"] for c in changes} == {"overdue_bills", "weighted_overdue_days"}
    assert sum(c["points_change"] for c in changes) == -row["score_drop"]
    assert all(c["points"] - c["previous_points"] == c["points_change"] < 0 for c in changes)
    assert {(c["dimension"], c["reason_code"]) for c in changes} == {
        ("credit_history", "overdue_payments")
    }
    assert row["causes"] == ["overdue_payments"]
    assert row["new_overdue_bill_ids"] == [BILL_ID]
    for column in ("negative_record", "profile_change", "loan_application", "risk_event"):
        assert row[f"new_{column}_ids"] == [], column


def test_score_drop_lists_the_events_since_the_previous_snapshot(history: History) -> None:
    row = drops(history)[EVENTS]
    ids = history.ids
    # only what happened after the previous snapshot's day and by the end of D: not the risk
    # event on 2026-05-31, not the address change of January, not the application after D
    assert row["new_negative_record_ids"] == [ids["events_record"]]
    assert row["new_risk_event_ids"] == [ids["events_risk"]]
    assert row["new_profile_change_ids"] == [ids["events_change"]]
    assert row["new_loan_application_ids"] == [ids["events_application"]]
    assert row["new_overdue_bill_ids"] == []
    assert row["dimensions_fell"] == ["credit_history", "identity", "behavior"]
    # legal record 25 -> 4 (-21), second risk event 4 -> 0 (-4), first phone change 10 -> 7
    # (-3); one application in 30 days costs nothing
    assert row["causes"] == ["negative_record_legal", "platform_violation", "frequent_phone_change"]
    assert [c["points_change"] for c in row["point_changes"]] == [-21, -4, -3]
    assert row["score_drop"] == 28


def test_score_drop_lists_only_bills_that_went_overdue_since_the_previous_snapshot(
    history: History,
) -> None:
    row = drops(history)[OVERDUE_EDGES]
    ids = history.ids
    assert row["new_overdue_bill_ids"] == sorted([ids["due_on_previous"], ids["paid_late"]])
    assert row["causes"][0] == "overdue_payments"
    assert sum(c["points_change"] for c in row["point_changes"]) == -row["score_drop"]


def test_score_drop_does_not_list_a_repaired_bill_as_gone_overdue(history: History) -> None:
    decisions = pipeline.query(
        history.settings,
        "select decision from repair_decisions where bill_id = $b",
        {"b": history.ids["repaired_bill"]},
    )
    assert decisions["decision"].to_list() == ["approved"]
    row = drops(history)[REPAIRED]
    # the drop is the risk event's; the repaired bill counts as paid on time (contract 2)
    assert row["new_risk_event_ids"] == [history.ids["repaired_risk"]]
    assert row["causes"] == ["platform_violation"]
    assert row["new_overdue_bill_ids"] == []


def test_score_drops_are_exactly_the_users_whose_score_fell(history: History) -> None:
    before = snapshots(history.settings, PREVIOUS)
    now = snapshots(history.settings, D)
    fell = {
        user
        for user, row in now.items()
        if user in before
        and None not in (row["score"], before[user]["score"])
        and row["score"] < before[user]["score"]
    }
    rows = drops(history)
    assert set(rows) == fell
    # risen (a record stopped counting; one more repaid bill) or unchanged: absent
    for user in (RISE, IMPROVING, STEADY, STUCK, *NEW_USERS):
        assert user not in rows, user
    assert now[RISE]["score"] > before[RISE]["score"]
    assert now[STEADY]["score"] == before[STEADY]["score"]


def test_every_score_drop_splits_exactly_into_point_changes(history: History) -> None:
    before = snapshots(history.settings, PREVIOUS)
    now = snapshots(history.settings, D)
    dimensions = ("credit_history", "identity", "capacity", "behavior", "relationships")
    for user, row in drops(history).items():
        changes = row["point_changes"]
        assert sum(c["points_change"] for c in changes) == -row["score_drop"], user
        assert all(c["points_change"] != 0 for c in changes), user
        losses = [c for c in changes if c["points_change"] < 0]
        # causes: the codes that lost points, biggest loss first, each once
        assert row["causes"] == list(dict.fromkeys(c["reason_code"] for c in losses)), user
        assert [c["points_change"] for c in changes] == sorted(
            c["points_change"] for c in changes
        ), user
        fell = [d for d in dimensions if now[user][d] < before[user][d]]
        assert row["dimensions_fell"] == fell, user


def test_score_drops_taken_two_users_at_a_time_are_the_drops_taken_at_once(
    history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the point changes are computed in ranges of users (bounded memory): with ranges of two
    # users, the report is the same, row for row
    copy = Settings(warehouse=tmp_path / "warehouse", input=history.settings.input)
    shutil.copytree(history.settings.warehouse, copy.warehouse)
    monkeypatch.setattr("sesame.reports.DROPS_USERS_PER_RANGE", 2)
    run_with_reports(copy, [], [D])
    at_once, one_by_one = drops(history), report(copy, "report_score_drops")
    assert len(at_once) > 3  # several ranges
    assert one_by_one == at_once


# ------------------------------------------------------------------------------ stuck users


def reference_months_without_rise(scores: list[int | None]) -> int:
    """The contract: the largest k with max(s0 .. s(k-1)) <= s(k), over the unbroken run of
    month-end scores from s0 (here every month-end has a snapshot; a null ends the run)."""
    run: list[int] = []
    for score in scores:
        if score is None:
            break
        run.append(score)
    return max((k for k in range(1, len(run)) if max(run[:k]) <= run[k]), default=0)


def test_a_flat_incomplete_profile_is_stuck_with_its_factors(history: History) -> None:
    row = report(history.settings, "report_stuck_users")[STUCK]
    now = snapshots(history.settings, D)[STUCK]
    scores = month_end_scores(history.settings, STUCK)
    assert len(scores) == 9 and len(set(scores)) == 1  # flat over the nine month-ends
    assert row["months_without_rise"] == 8
    assert (row["month_end_then"], row["score_then"]) == (MONTH_ENDS[0], scores[-1])
    assert (row["month_end"], row["score"]) == (D, now["score"])
    assert row["fell_in_between"] is False
    # flat, so the reasons are the same every month: all of them held through the window
    assert "incomplete_profile" in row["factors"]
    assert row["factors"] == sorted(now["reasons"])


def test_a_dip_that_recovered_is_still_stuck_and_fell_in_between(history: History) -> None:
    row = report(history.settings, "report_stuck_users")[STUCK_DIP]
    scores = month_end_scores(history.settings, STUCK_DIP)
    dip = scores[MONTH_ENDS[::-1].index(date(2026, 1, 31))]
    assert dip < scores[0] == scores[-1]
    # the largest k: s8 is not below anything since, whatever the dip
    assert row["months_without_rise"] == 8
    assert row["fell_in_between"] is True
    assert row["lowest_in_between"] == dip
    assert "incomplete_profile" in row["factors"]


def test_stuck_is_exactly_seven_months_not_six(history: History) -> None:
    rows = report(history.settings, "report_stuck_users")
    # a risk event aged out at 2025-11-30: the score rose 7 month-ends ago
    assert (
        month_end_scores(history.settings, STUCK_7)[7]
        > month_end_scores(history.settings, STUCK_7)[8]
    )
    assert rows[STUCK_7]["months_without_rise"] == 7
    assert rows[STUCK_7]["month_end_then"] == date(2025, 11, 30)
    # one month later: it rose 6 month-ends ago, not stuck
    assert reference_months_without_rise(month_end_scores(history.settings, STUCK_6)) == 6
    assert STUCK_6 not in rows


def pipeline_connection(settings: Settings) -> contextlib.closing[duckdb.DuckDBPyConnection]:
    """A writable connection to a published warehouse, to set a case up."""
    return contextlib.closing(duckdb.connect(str(settings.database_path())))


def stuck_rows(settings: Settings, report_date: date) -> dict[str, pl.DataFrame]:
    keys = {"report_stuck_users": "user_id", "report_stuck_factors": "factor"}
    return {
        table: report_frame(settings, table, report_date).drop("report_date").sort(key)
        for table, key in keys.items()
    }


def test_a_night_without_a_new_month_end_reuses_the_stuck_reports(
    tmp_path_factory: pytest.TempPathFactory, caplog: pytest.LogCaptureFixture
) -> None:
    exports, _ = history_exports()
    later, after_rescore = D + days(3), D + days(4)
    warm = new_settings(tmp_path_factory, "stuck_reused")
    run_with_reports(warm, MONTH_ENDS, [D], exports)
    with caplog.at_level("INFO", logger="sesame.reports"):
        run_with_reports(warm, [later], [later])
    assert f"the month-ends are those of {D}, its rows reused" in caplog.text
    # the same rows as a warehouse that computes them for that night with no earlier report
    fresh = new_settings(tmp_path_factory, "stuck_fresh")
    run_with_reports(fresh, [*MONTH_ENDS, later], [later], exports)
    reused, computed = stuck_rows(warm, later), stuck_rows(fresh, later)
    assert reused["report_stuck_users"].height > 0
    for table in reused:
        assert reused[table].equals(computed[table]), table
        assert reused[table].equals(stuck_rows(warm, D)[table]), table

    # a month-end scored again (another run) is new input: the next night computes them again
    caplog.clear()
    with caplog.at_level("INFO", logger="sesame.reports"):
        run_with_reports(warm, [D, after_rescore], [after_rescore])
    assert "rows reused" not in caplog.text
    bases = pipeline.query(warm, "select report_date, basis from report_bases order by 1").rows()
    assert [day for day, _ in bases] == [D, later, after_rescore]
    assert bases[0][1] == bases[1][1] != bases[2][1]


def test_stuck_reports_computed_in_user_ranges_equal_one_pass(
    history: History, tmp_path: Path
) -> None:
    split = history.settings.model_copy(
        update={"warehouse": tmp_path / "warehouse", "user_partitions": 3}
    )
    shutil.copytree(history.settings.warehouse, split.warehouse)
    with pipeline_connection(split) as con:  # computed afresh, not reused from D
        con.execute("delete from report_bases")
    run_with_reports(split, [], [D])
    for table, rows in stuck_rows(split, D).items():
        assert rows.height > 0
        assert rows.equals(stuck_rows(history.settings, D)[table]), table


def test_a_user_who_improves_every_month_is_not_stuck(history: History) -> None:
    scores = month_end_scores(history.settings, IMPROVING)
    assert all(newer > older for newer, older in itertools.pairwise(scores))
    assert IMPROVING not in report(history.settings, "report_stuck_users")


def test_stuck_users_match_the_contract_definition_for_every_user(history: History) -> None:
    rows = report(history.settings, "report_stuck_users")
    expected = {}
    for user, snapshot in snapshots(history.settings, D).items():
        if snapshot["score"] is None:
            continue
        k = reference_months_without_rise(month_end_scores(history.settings, user))
        if k >= 7:
            expected[user] = k
    assert {user: row["months_without_rise"] for user, row in rows.items()} == expected


def test_stuck_factors_shares_and_lift(history: History) -> None:
    stuck = set(report(history.settings, "report_stuck_users"))
    latest = {u: r for u, r in snapshots(history.settings, D).items() if r["score"] is not None}
    others = set(latest) - stuck
    factors = report(history.settings, "report_stuck_factors")

    def share(users: set[int], code: str) -> float:
        return sum(code in latest[u]["reasons"] for u in users) / len(users)

    row = factors["incomplete_profile"]
    share_stuck = share(stuck, "incomplete_profile")
    share_others = share(others, "incomplete_profile")
    assert share_stuck > 0 and share_others > 0
    assert row["stuck_users"] == sum("incomplete_profile" in latest[u]["reasons"] for u in stuck)
    assert row["share_stuck"] == pytest.approx(share_stuck)
    assert row["share_others"] == pytest.approx(share_others)
    assert row["lift"] == pytest.approx(share_stuck / share_others)
    # every factor: the same arithmetic (lift null when no other user has it)
    for code, row in factors.items():
        assert row["share_stuck"] == pytest.approx(share(stuck, code)), code
        assert row["share_others"] == pytest.approx(share(others, code)), code
        if row["share_others"] == 0:
            assert row["lift"] is None, code
        else:
            assert row["lift"] == pytest.approx(row["share_stuck"] / row["share_others"]), code


# ------------------------------------------------------------------------------ tiers


def test_crossing_700_down_loses_credit_loans_and_pay_later(history: History) -> None:
    row = report(history.settings, "report_tier_changes")[TIER]
    assert row["previous_score"] >= 700 > row["score"] >= 650
    assert (row["previous_tier"], row["tier"]) == ("excellent", "very_good")
    assert row["benefits_gained"] == []
    assert sorted(row["benefits_lost"]) == ["credit_loans", "pay_later"]


def test_tier_changes_are_the_users_whose_tier_or_benefits_changed(history: History) -> None:
    before = snapshots(history.settings, PREVIOUS)
    now = snapshots(history.settings, D)
    rows = report(history.settings, "report_tier_changes")
    changed = {
        user
        for user, row in now.items()
        if user in before
        and (row["tier"], row["benefits"]) != (before[user]["tier"], before[user]["benefits"])
    }
    assert set(rows) == changed
    for user, row in rows.items():
        gained = set(now[user]["benefits"]) - set(before[user]["benefits"])
        lost = set(before[user]["benefits"]) - set(now[user]["benefits"])
        assert (set(row["benefits_gained"]), set(row["benefits_lost"])) == (gained, lost), user
    # new users have no previous snapshot: not a change
    assert not set(NEW_USERS) & set(rows)


def test_tier_migration_matrix_counts_previous_by_current_tier(history: History) -> None:
    before = snapshots(history.settings, PREVIOUS)
    now = snapshots(history.settings, D)
    expected: dict[tuple[str, str], int] = {}
    for user, row in now.items():
        pair = (before[user]["tier"] if user in before else "new", row["tier"])
        expected[pair] = expected.get(pair, 0) + 1
    frame = pipeline.query(
        history.settings, "select * from report_tier_migration where report_date = $d", {"d": D}
    )
    matrix = {(r["previous_tier"], r["tier"]): r["users"] for r in frame.iter_rows(named=True)}
    assert matrix == expected
    assert matrix[("excellent", "very_good")] == 1  # TIER
    new_tiers = {now[user]["tier"] for user in NEW_USERS}
    assert sum(matrix.get(("new", tier), 0) for tier in new_tiers) == len(NEW_USERS)


# ------------------------------------------------------------------------------ borrowing risk


def trigger(row: dict[str, Any], flag: str) -> str:
    found = [t for t in row["triggers"] if t.startswith(f"{flag}: ")]
    assert len(found) == 1, row["triggers"]
    return found[0]


def declining_text(settings: Settings, user_id: int) -> str:
    scores = month_end_scores(settings, user_id)[: SETTINGS.declining_months + 1]
    return "score_declining: month-end scores " + " > ".join(str(s) for s in reversed(scores))


@pytest.mark.parametrize(
    ("user_id", "flags", "texts"),
    [
        # spree_applications + 1 applications in the last 30 days (one more 30 days before D)
        (
            SPREE,
            ["abnormal_borrowing"],
            [f"{SETTINGS.spree_applications + 1} loan application(s) for"],
        ),
        # two applications for spree_amount_cny in all
        (
            AMOUNT,
            ["abnormal_borrowing"],
            [f"2 loan application(s) for {SETTINGS.spree_amount_cny:,.0f} CNY"],
        ),
        # churn_changes phone changes in the last 12 months
        (
            CHURN,
            ["identity_churn"],
            [f"{SETTINGS.churn_changes} phone and 0 address changes"],
        ),
        # one risk event in February
        (VIOLATION, ["platform_violation"], ["1 risk event(s) (cash_out)"]),
        # a bill unpaid since 2026-03-25: each month-end lower than the one before
        (DECLINING, ["score_declining"], []),
        # everything at once, in the documented order
        (
            ALL,
            ["score_declining", "abnormal_borrowing", "identity_churn", "platform_violation"],
            ["1 risk event(s) (fraud_report)"],
        ),
    ],
    ids=["spree", "amount", "churn", "violation", "declining", "all"],
)
def test_borrowing_risk_flags_with_their_triggers(
    history: History, user_id: int, flags: list[str], texts: list[str]
) -> None:
    row = report(history.settings, "report_borrowing_risk")[user_id]
    score = snapshots(history.settings, D)[user_id]["score"]
    assert row["score"] == score >= SETTINGS.borrowing_risk_min_score
    assert row["flags"] == flags
    assert [t.split(":")[0] for t in row["triggers"]] == flags
    for text in texts:
        assert any(text in t for t in row["triggers"]), (text, row["triggers"])
    if "score_declining" in flags:
        scores = month_end_scores(history.settings, user_id)[: SETTINGS.declining_months + 1]
        assert scores == sorted(set(scores))  # newest first: each lower than the one before
        assert scores[-1] - scores[0] >= SETTINGS.declining_min_points
        assert trigger(row, "score_declining") == declining_text(history.settings, user_id)
    # the counts behind the flags are the ones the score used at D
    features = pipeline.query(
        history.settings,
        "select * from dimension_aggregates where snapshot_date = $d and user_id = $u",
        {"d": D, "u": user_id},
    ).row(0, named=True)
    for column in ("loan_applications_recent", "phone_changes", "address_changes", "risk_events"):
        assert row[column] == features[column], column
    if "abnormal_borrowing" in flags:
        applications = row["loan_applications_recent"]
        assert applications >= SETTINGS.spree_applications or (
            applications >= 2 and row["applied_cny_recent"] >= SETTINGS.spree_amount_cny
        )
        assert trigger(row, "abnormal_borrowing").endswith(
            f"in {CARD_PARAMETERS['recent_applications_days']} days"
        )


def test_borrowing_risk_leaves_out_low_scores_and_users_without_a_flag(
    history: History,
) -> None:
    rows = report(history.settings, "report_borrowing_risk")
    now = snapshots(history.settings, D)
    # LOW has every flag of ALL but scores below the threshold
    assert now[LOW]["score"] < SETTINGS.borrowing_risk_min_score
    assert LOW not in rows
    # steady: no flag; NEAR: one application and one change short of each threshold
    for user in (STEADY, NEAR):
        assert now[user]["score"] >= SETTINGS.borrowing_risk_min_score
        assert user not in rows, user
    assert all(row["score"] >= SETTINGS.borrowing_risk_min_score for row in rows.values())
    assert all(row["flags"] for row in rows.values())


# ------------------------------------------------------------------------------ negative records


def test_negative_records_counting_and_expired(history: History) -> None:
    ids = history.ids
    lf = rules.LEGAL_FINANCIAL_RETENTION_YEARS
    life = rules.LIFE_RETENTION_YEARS
    rows = {
        record: (row["status"], row["counts_until"])
        for record, row in report(history.settings, "report_negative_records").items()
        if row["user_id"] == RECORDS
    }
    assert rows == {
        # unresolved: counts, no end
        ids["unresolved"]: ("counting", None),
        # resolved 2024-03-01: counts until 5 years after
        ids["resolved_counting"]: ("counting", datetime(2024 + lf, 3, 1, 12)),
        # resolved after D: unresolved at D
        ids["resolved_after_d"]: ("counting", None),
        # life, resolved 2024-06-15: stopped counting 2026-06-15, since the previous snapshot
        ids["expired_in_period"]: ("expired", datetime(2024 + life, 6, 15, 12)),
        # life, stops counting 2026-06-30 23:00: not counting at D's end
        ids["expired_on_d"]: ("expired", datetime(2024 + life, 6, 30, 23)),
        ids["script"]: ("counting", None),
        # absent: stopped at 2026-05-31 06:00 (before the previous snapshot's end), expired
        # long ago, removed on appeal, occurred after D
    }


def test_negative_records_counting_agree_with_the_score(history: History) -> None:
    rows = report(history.settings, "report_negative_records")
    counting = {"legal": 0, "financial": 0, "life": 0}
    for row in rows.values():
        if row["user_id"] == RECORDS and row["status"] == "counting":
            counting[row["category"]] += 1
    features = pipeline.query(
        history.settings,
        "select * from dimension_aggregates where snapshot_date = $d and user_id = $u",
        {"d": D, "u": RECORDS},
    ).row(0, named=True)
    assert counting == {
        "legal": features["negative_legal_records"],
        "financial": features["negative_financial_records"],
        "life": features["negative_life_records"],
    }


def test_negative_record_resolved_after_d_shows_no_resolution_at_d(history: History) -> None:
    row = report(history.settings, "report_negative_records")[history.ids["resolved_after_d"]]
    assert (row["status"], row["counts_until"]) == ("counting", None)
    assert row["resolved_at"] is None  # resolved on D + 10 days: unknown at D


# ------------------------------------------------------------------------------ files


def test_report_files_hold_every_report_as_csv_and_parquet(history: History) -> None:
    folder = history.settings.warehouse / "reports" / D.isoformat()
    names = {path.name for path in folder.iterdir()}
    expected = {f"{n}.{ext}" for n in REPORT_TABLES for ext in ("csv", "parquet")}
    assert names == expected | {"index.html"}
    for name in REPORT_TABLES:
        if name == "repair_decisions":
            sql = "select count(*) as n from repair_decisions"
        else:
            sql = f"select count(*) as n from {name} where report_date = $d"
        rows = pipeline.query(history.settings, sql, {"d": D} if "$d" in sql else {})["n"][0]
        assert pl.read_parquet(folder / f"{name}.parquet").height == rows, name
        assert pl.read_csv(folder / f"{name}.csv").height == rows, name
        if name != "repair_decisions":
            assert history.summary.rows[name] == rows, name
    drops_csv = pl.read_csv(folder / "report_score_drops.csv")
    assert set(drops_csv["user_id"]) == set(drops(history))


def test_report_page_escapes_user_controlled_text(history: History) -> None:
    page = (history.settings.warehouse / "reports" / D.isoformat() / "index.html").read_text()
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown, escaped


# ------------------------------------------------------------------------------ population

BASELINE = date(2026, 4, 30)
POPULATION_DATES = [BASELINE, PREVIOUS, D]
HIT = (101, 102, 103, 104)  # a legal record and an unpaid bill in June
UNSCORABLE = 109


@dataclass
class Population:
    settings: Settings
    first_build: dict[str, pl.DataFrame]  # every report's rows at D before the re-run
    rerun: ReportSummary


def report_frame(settings: Settings, name: str, report_date: date) -> pl.DataFrame:
    if name == "repair_decisions":
        return pipeline.query(settings, "select * from repair_decisions")
    return pipeline.query(
        settings, f"select * from {name} where report_date = $d", {"d": report_date}
    )


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Population:
    settings = new_settings(tmp_path_factory, "population")
    e = Exports()
    for user_id in range(101, 109):
        missing = {} if user_id % 2 else {"vehicle_verified": False, "education": None}
        if user_id in (106, 108):
            missing["email_verified"] = False
        steady(e, user_id, **missing)
        if user_id in HIT:
            e.negative(user_id, "legal", at(date(2026, 6, 5)))
            e.bill(user_id, date(2026, 6, 1), paid=None)
    e.user(UNSCORABLE, registered=date(2010, 1, 1))  # no events: too little data to score
    run_with_reports(settings, POPULATION_DATES, [PREVIOUS, D], e)
    first = {name: report_frame(settings, name, D) for name in REPORT_TABLES}
    # the reports for D again, in a run of their own (like `sesame report`)
    rerun = run_with_reports(settings, [], [D], files_for=D)[D]
    return Population(settings, first, rerun)


def bin_of(measure: str, value: float) -> int:
    if measure == "score":
        return min(math.floor((value - 350) / 50), 11)
    return min(math.floor(value / 10), 9)


def reference_psi(measure: str, now: list[float], then: list[float]) -> float:
    """sum over bins of (share_now - share_then) x ln(share_now / share_then); empty: 0.0001."""
    bins = 12 if measure == "score" else 10

    def shares(values: list[float]) -> list[float]:
        counts = [0] * bins
        for value in values:
            counts[bin_of(measure, value)] += 1
        return [max(c / len(values), 0.0001) for c in counts]

    return sum((n - t) * math.log(n / t) for n, t in zip(shares(now), shares(then), strict=True))


def band_of(psi: float) -> str:
    return "shift" if psi >= 0.25 else "watch" if psi >= 0.1 else "stable"


MEASURES = ("score", "credit_history", "identity", "capacity", "behavior", "relationships")


def test_population_psi_is_zero_when_nothing_changed(population: Population) -> None:
    rows = report(population.settings, "report_population", PREVIOUS)
    assert set(rows) == set(MEASURES)
    before = snapshots(population.settings, BASELINE)
    now = snapshots(population.settings, PREVIOUS)
    assert {u: r["score"] for u, r in now.items()} == {u: r["score"] for u, r in before.items()}
    for measure, row in rows.items():
        assert row["baseline_date"] == BASELINE, measure
        assert row["psi"] == pytest.approx(0.0, abs=1e-12), measure
        assert row["band"] == "stable", measure
        assert row["mean"] == pytest.approx(row["baseline_mean"]), measure


def test_population_psi_grows_when_the_population_shifts(population: Population) -> None:
    rows = report(population.settings, "report_population", D)
    before = snapshots(population.settings, PREVIOUS)
    now = snapshots(population.settings, D)
    for measure in MEASURES:
        values_now = [r[measure] for r in now.values() if r["score"] is not None]
        values_then = [r[measure] for r in before.values() if r["score"] is not None]
        expected = reference_psi(measure, values_now, values_then)
        row = rows[measure]
        assert row["baseline_date"] == PREVIOUS, measure
        assert row["psi"] == pytest.approx(expected, abs=1e-9), measure
        assert row["band"] == band_of(row["psi"]), measure
        assert row["mean"] == pytest.approx(sum(values_now) / len(values_now)), measure
        assert row["baseline_mean"] == pytest.approx(sum(values_then) / len(values_then))
    # half the users fell a 50-point band: the score shifted
    assert rows["score"]["psi"] >= 0.25
    assert rows["score"]["band"] == "shift"
    assert rows["credit_history"]["psi"] > 0


def test_population_share_unscorable(population: Population) -> None:
    now = snapshots(population.settings, D)
    assert now[UNSCORABLE]["score"] is None
    for row in report(population.settings, "report_population", D).values():
        assert row["share_unscorable"] == pytest.approx(1 / len(now))
        assert row["baseline_share_unscorable"] == pytest.approx(1 / len(now))


def test_score_distribution_counts_the_scored_users_per_band(population: Population) -> None:
    rows = report(population.settings, "report_score_distribution", D)
    now = [r["score"] for r in snapshots(population.settings, D).values() if r["score"]]
    then = [r["score"] for r in snapshots(population.settings, PREVIOUS).values() if r["score"]]
    assert sorted(rows) == list(range(350, 950, 50))
    assert sum(r["users"] for r in rows.values()) == len(now) == 8
    assert sum(r["baseline_users"] for r in rows.values()) == len(then)
    for lower, row in rows.items():
        assert row["band_upper"] == (950 if lower == 900 else lower + 49)
        assert row["users"] == sum(lower <= s <= row["band_upper"] for s in now), lower
        assert row["baseline_users"] == sum(lower <= s <= row["band_upper"] for s in then)
        assert row["share"] == pytest.approx(row["users"] / len(now))
    assert sum(r["share"] for r in rows.values()) == pytest.approx(1.0)


def test_rerunning_reports_for_a_date_replaces_its_rows(population: Population) -> None:
    assert population.first_build["report_score_drops"].height == len(HIT)
    for name in REPORT_TABLES:
        if name == "repair_decisions":  # not per date
            continue
        again = report_frame(population.settings, name, D)
        first = population.first_build[name]
        assert again.height == first.height == population.rerun.rows[name], name
        assert sorted(map(repr, again.rows())) == sorted(map(repr, first.rows())), name
    # the earlier date's rows are untouched
    dates = pipeline.query(
        population.settings,
        "select report_date, count(*) as n from report_population group by all order by 1",
    )
    assert dates.rows() == [(PREVIOUS, len(MEASURES)), (D, len(MEASURES))]
    assert (population.settings.warehouse / "reports" / D.isoformat() / "index.html").exists()
