"""The real Prefect flows (under Prefect's test harness) on small exports made in the test."""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sesame.dates import month_ends_before
from sesame.errors import ExportError, WarehouseBusyError
from sesame.flows.nightly import backfill_flow, nightly_flow
from sesame.settings import Settings
from sesame.warehouse import warehouse_lock
from tests import pipeline
from tests.builders import Exports, at

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

D = date(2026, 6, 30)


def small_exports() -> Exports:
    exports = Exports()
    for user_id in range(1, 6):
        exports.active_user(user_id, D, months=16)
    exports.user(6, registered=date(2026, 6, 1))  # too little data: unscorable
    exports.transaction(6, at(date(2026, 6, 2)), "dining")
    exports.friend(1, 2, at(date(2025, 1, 1)))
    exports.bill(3, date(2026, 6, 10), paid=None)  # unpaid, overdue at D
    return exports


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_nightly_computes_the_missing_month_ends_first(settings: Settings) -> None:
    small_exports().write(settings.input)
    summary = nightly_flow(as_of=D, settings=settings)
    # the 12 month-ends, led by the one before them (friends' scores exist at the first)
    expected = [*month_ends_before(D, 13), D]
    assert [d.snapshot_date for d in summary.dates] == expected
    stored = pipeline.query(settings, "select snapshot_date from snapshot_dates order by 1")
    assert stored["snapshot_date"].to_list() == expected
    runs = pipeline.query(settings, "select status, snapshot_dates, users_scored from runs")
    assert runs.rows() == [("succeeded", expected, 5)]
    at_d = pipeline.snapshot(settings, D)
    assert set(at_d) == {1, 2, 3, 4, 5, 6}
    assert at_d[6]["tier"] == "unscorable" and at_d[6]["score"] is None
    assert at_d[3]["score"] < at_d[4]["score"]  # the overdue bill costs points
    assert at_d[3]["credit_history"] < at_d[4]["credit_history"]


def test_parquet_copies_equal_the_database(settings: Settings) -> None:
    small_exports().write(settings.input)
    nightly_flow(as_of=D, settings=settings)
    folder = settings.warehouse / "score_snapshots"
    copies = duckdb.sql(
        "select * from read_parquet($glob, hive_partitioning = true) order by all",
        params={"glob": str(folder / "*" / "*.parquet")},
    ).fetchall()
    in_db = pipeline.query(
        settings,
        "select * exclude (snapshot_date), snapshot_date from score_snapshots order by all",
    ).rows()
    assert len(copies) == len(in_db) > 0
    assert sorted(map(repr, copies)) == sorted(map(repr, in_db))


def test_rerunning_a_date_replaces_its_rows(settings: Settings) -> None:
    small_exports().write(settings.input)
    nightly_flow(as_of=D, settings=settings)
    first = pipeline.snapshot(settings, D)
    second_summary = nightly_flow(as_of=D, settings=settings)
    assert [d.snapshot_date for d in second_summary.dates] == [D]  # history is there already
    counts = pipeline.query(
        settings,
        "select snapshot_date, count(*) as n, count(distinct user_id) as users "
        "from score_snapshots group by 1",
    )
    assert (counts["n"] == counts["users"]).all()
    again = pipeline.snapshot(settings, D)
    assert {u: (r["score"], r["reasons"]) for u, r in again.items()} == {
        u: (r["score"], r["reasons"]) for u, r in first.items()
    }


def test_a_failed_run_leaves_the_warehouse_as_it_was(settings: Settings) -> None:
    small_exports().write(settings.input)
    nightly_flow(as_of=D, settings=settings)
    database = settings.database_path()
    before = digest(database)
    partitions = sorted(p.name for p in (settings.warehouse / "score_snapshots").iterdir())
    broken = pa.table({"txn_id": pa.array([1], pa.int64())})  # every other column missing
    pq.write_table(broken, settings.input / "transactions" / "part-9.parquet")
    with pytest.raises(ExportError) as error:
        nightly_flow(as_of=D + timedelta(days=1), settings=settings)
    assert error.value.table == "transactions"
    assert error.value.file is not None and error.value.file.endswith("part-9.parquet")
    assert error.value.column == "user_id"
    assert digest(database) == before
    assert sorted(p.name for p in (settings.warehouse / "score_snapshots").iterdir()) == partitions
    assert not list(settings.warehouse.glob(".sesame.duckdb.building-*"))
    # each run's log file, one timed line per event; the last line says how the run ended
    logs = sorted((settings.warehouse / "logs").glob("*.log"), key=lambda p: p.stat().st_mtime)
    assert len(logs) == 2
    published, failed = (path.read_text().splitlines() for path in logs)
    for line in published + failed:
        assert datetime.fromisoformat(line.split(" ", 1)[0]).tzinfo is not None, line
    assert any("ingested transactions" in line for line in published), published
    assert "published" in published[-1]
    assert "the run ended: ExportError" in failed[-1] and "part-9.parquet" in failed[-1]
    assert failed[-1].endswith("nothing was published")


def test_a_second_run_is_refused_while_one_holds_the_warehouse(settings: Settings) -> None:
    small_exports().write(settings.input)
    with warehouse_lock(settings), pytest.raises(WarehouseBusyError, match="another sesame run"):
        nightly_flow(as_of=D, settings=settings)


def test_backfill_scores_each_day_point_in_time(settings: Settings) -> None:
    small_exports().write(settings.input)
    days = [D - timedelta(days=2), D - timedelta(days=1), D]
    summary = backfill_flow(start=days[0], end=days[-1], dates=days, settings=settings)
    assert [d.snapshot_date for d in summary.dates] == days
    overdue = pipeline.query(
        settings,
        "select snapshot_date, overdue_days from dimension_aggregates where user_id = 3 "
        "order by snapshot_date",
    )
    # the unpaid bill due on the 10th is 18, 19, 20 days past due on the three days
    assert overdue.rows() == [(days[0], 18), (days[1], 19), (days[2], 20)]


def test_warehouse_files_are_private(settings: Settings) -> None:
    small_exports().write(settings.input)
    nightly_flow(as_of=D, settings=settings)
    assert settings.database_path().stat().st_mode & 0o777 == 0o600
    assert settings.warehouse.stat().st_mode & 0o777 == 0o700
    assert (settings.warehouse / "logs").stat().st_mode & 0o777 == 0o700
    (log_file,) = (settings.warehouse / "logs").iterdir()
    assert log_file.stat().st_mode & 0o777 == 0o600
    for copy in (settings.warehouse / "score_snapshots").rglob("*.parquet"):
        assert copy.stat().st_mode & 0o777 == 0o600


def test_files_made_through_the_python_api_are_private_under_any_umask(
    settings: Settings,
) -> None:
    small_exports().write(settings.input)
    previous = os.umask(0o002)  # a shared machine's usual umask; the CLI is not involved
    try:
        nightly_flow(as_of=D, settings=settings)
    finally:
        os.umask(previous)
    made = [settings.warehouse, *settings.warehouse.rglob("*")]
    loose = [p for p in made if p.stat().st_mode & 0o077 and ".prefect" not in p.parts]
    assert loose == [], loose[:5]


def test_an_empty_table_folder_is_warned_about_and_recorded(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    small_exports().write(settings.input)
    folder = settings.input / "risk_events"
    for path in folder.iterdir():
        path.unlink()  # the folder is there, its exports are not
    summary = nightly_flow(as_of=D, settings=settings)
    assert summary.empty_tables == ["risk_events"]
    assert any(
        "table risk_events" in r.getMessage() and "holds no export file" in r.getMessage()
        for r in caplog.records
        if r.levelname == "WARNING"
    )
    runs = pipeline.query(settings, "select empty_tables from runs")
    assert runs.rows() == [(["risk_events"],)]
