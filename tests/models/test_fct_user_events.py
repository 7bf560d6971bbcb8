"""The mart fct_user_events, given rows on an in-memory DuckDB: which rows of each staged
export become an event, and when it is dated (an overdue bill at the end of its due date)."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from sesame.sqlmodels import define_view, run_script

DUE = date(2026, 5, 10)
END_OF_DUE = datetime(2026, 5, 11)  # the first instant after the due date


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    run_script(con, "ddl/macros")
    con.execute(
        "create table stg_bills (bill_id bigint, user_id bigint, due_date date, "
        "paid_at timestamp, amount_due double, amount_paid double)"
    )
    con.execute("create table repair_decisions (bill_id bigint, decision varchar)")
    con.execute(
        "create table stg_negative_records (record_id bigint, user_id bigint, category varchar, "
        "source varchar, occurred_at timestamp, resolved_at timestamp, removed_on_appeal boolean)"
    )
    con.execute(
        "create table stg_profile_changes (change_id bigint, user_id bigint, changed_at timestamp)"
    )
    con.execute(
        "create table stg_loan_applications (application_id bigint, user_id bigint, "
        "applied_at timestamp, amount double)"
    )
    con.execute(
        "create table stg_risk_events "
        "(event_id bigint, user_id bigint, event_ts timestamp, kind varchar)"
    )
    return con


def _events(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    define_view(con, "marts/fct_negative_records")
    view = define_view(con, "marts/fct_user_events")
    return con.execute(
        f"select event_kind, event_id, user_id, event_at, amount, detail from {view} "
        "order by event_kind, event_id"
    ).fetchall()


def test_a_bill_is_an_event_when_not_paid_in_full_by_the_end_of_its_due_date() -> None:
    con = _con()
    last_instant = datetime(2026, 5, 10, 23, 59, 59, 999999)
    con.executemany(
        "insert into stg_bills values (?, 1, ?, ?, 100, ?)",
        [
            (1, DUE, last_instant, 100.0),  # paid in full in the due date's last instant: on time
            (2, DUE, END_OF_DUE, 100.0),  # paid in full an instant later: overdue
            (3, DUE, datetime(2026, 5, 9), 99.0),  # paid early, but not in full: overdue
            (4, DUE, None, 0.0),  # unpaid: overdue
            (5, DUE, None, 0.0),  # unpaid, then repaired: counts as paid on time
            (6, DUE, None, 0.0),  # unpaid, its repair rejected: overdue
        ],
    )
    con.executemany(
        "insert into repair_decisions values (?, ?)", [(5, "approved"), (6, "rejected")]
    )
    expected = [("overdue_bill", bill, 1, END_OF_DUE, None, None) for bill in (2, 3, 4, 6)]
    assert _events(con) == expected


def test_records_changes_applications_and_risk_events_keep_their_own_time() -> None:
    con = _con()
    at = datetime(2026, 5, 10, 8, 30)
    con.executemany(
        "insert into stg_negative_records values (?, 7, 'financial', 'court', ?, null, ?)",
        [(1, at, False), (2, at, True)],
    )
    con.execute("insert into stg_profile_changes values (3, 7, ?)", [at])
    con.execute("insert into stg_loan_applications values (4, 7, ?, 25000.5)", [at])
    con.execute("insert into stg_risk_events values (5, 7, ?, 'cash_out')", [at])
    assert _events(con) == [
        ("loan_application", 4, 7, at, 25000.5, None),
        ("negative_record", 1, 7, at, None, None),  # record 2 was removed on appeal
        ("profile_change", 3, 7, at, None, None),
        ("risk_event", 5, 7, at, None, "cash_out"),
    ]


def test_a_model_with_parameters_is_not_made_a_view() -> None:
    with pytest.raises(ValueError, match="takes parameters"):
        define_view(duckdb.connect(), "marts/fct_score_drops")
