"""The warehouse's catalog: one entry per table, column meanings by precedence."""

from __future__ import annotations

import duckdb
import pytest

from sesame.catalog import column_comment, stale_entries, table_comment, tables, write_comments
from sesame.transforms.scorecard import load_scorecard


def test_every_table_entry_says_what_it_holds() -> None:
    for name, entry in tables().items():
        assert entry.description.strip(), name
        assert all(text.strip() for text in entry.columns.values()), name


def test_a_tables_own_meaning_wins_over_the_shared_one() -> None:
    shared = column_comment("score_snapshots", "snapshot_date")
    assert shared is not None and "point in time" in shared
    assert column_comment("validation_outcomes", "snapshot_date") == (
        "S: the month-end whose users' outcomes these are"
    )


def test_characteristics_take_the_cards_description() -> None:
    card = load_scorecard()
    overdue = next(c for c in card.characteristics if c.name == "overdue_bills")
    text = column_comment("dimension_aggregates", "overdue_bills", card)
    assert text is not None and text.startswith(overdue.description)
    assert column_comment("dimension_aggregates", "overdue_bills") is None  # no card: unknown


def test_comments_are_written_and_gaps_and_stale_entries_reported() -> None:
    con = duckdb.connect()
    con.execute("create table score_snapshots (user_id bigint, score integer, odd_one varchar)")
    con.execute("create table not_in_the_catalog (user_id bigint)")
    con.execute("create table runs (run_id varchar)")  # the catalog lists more runs columns
    missing = write_comments(con, load_scorecard())
    assert missing == ["not_in_the_catalog", "score_snapshots.odd_one"]
    comments = dict(
        con.execute(
            "select table_name || '.' || column_name, comment from duckdb_columns()"
        ).fetchall()
    )
    assert comments["score_snapshots.score"] == column_comment("score_snapshots", "score")
    assert comments["not_in_the_catalog.user_id"] == column_comment("any", "user_id")
    (described,) = con.execute(
        "select comment from duckdb_tables() where table_name = 'score_snapshots'"
    ).fetchall()[0]
    assert described == table_comment("score_snapshots")
    assert "runs.command" in stale_entries(con)  # named by the catalog, absent from the table


def test_a_quote_in_a_meaning_is_kept_as_text() -> None:
    con = duckdb.connect()
    con.execute("create table challenger_snapshots (user_id bigint)")
    write_comments(con, load_scorecard())
    (comment,) = con.execute("select comment from duckdb_tables()").fetchall()[0]
    assert "'" in comment and comment == table_comment("challenger_snapshots")


def test_every_exported_report_has_a_row_order_and_it_is_only_column_names() -> None:
    from sesame.catalog import _order_by, order_clause
    from sesame.reports import REPORT_TABLES

    for name in REPORT_TABLES:
        assert tables()[name].order_by, name
    assert order_clause("report_score_drops") == '"score_drop" desc, "user_id"'
    assert _order_by("t", ["a", "b_2 desc"]) == (("a", False), ("b_2", True))
    for bad in ("score; drop table runs", "score asc", "Score", "score  desc", ""):
        with pytest.raises(ValueError, match="table t: order_by item"):
            _order_by("t", [bad])
