"""The history the database keeps (issue 14 item 2, sesame/retention.py): every month-end and the
daily dates of the last ``daily_history_days`` days; older daily dates leave it once their
snapshots' Parquet copy is published, and stay readable there (``score_snapshot_history``).
Through the real Prefect flows on small exports made here."""

from __future__ import annotations

import calendar
import shutil
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sesame.adhoc import open_query
from sesame.flows.nightly import backfill_flow, nightly_flow, rebuild_flow
from sesame.recovery import kept_snapshot_dates
from sesame.retention import DATED_TABLES, dates_leaving, kept_in_database
from sesame.settings import Settings
from sesame.snapshot_files import snapshot_partition
from tests import pipeline
from tests.builders import Exports

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

L = date(2026, 7, 10)  # the latest night
DAYS = 32  # the fewest the setting allows
EARLY = [date(2026, 5, 31), date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 9)]


def month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def expected_kept(dates: list[date], latest: date) -> set[date]:
    """The rule worked out another way: the last day of its month, or fewer than DAYS days old."""
    return {d for d in dates if month_end(d) or (latest - d).days < DAYS}


def test_the_rule_on_its_edges() -> None:
    # 32 days before L leaves, 31 stays; a month-end stays however old
    assert not kept_in_database(L - timedelta(days=DAYS), L, DAYS)
    assert kept_in_database(L - timedelta(days=DAYS - 1), L, DAYS)
    assert kept_in_database(date(2020, 2, 29), L, DAYS)
    assert not kept_in_database(date(2020, 2, 28), L, DAYS)
    every_day = [L - timedelta(days=n) for n in range(400)]
    leaving = set(dates_leaving(every_day, DAYS))
    assert leaving == set(every_day) - expected_kept(every_day, L)
    # 2025-06-06 .. 2026-06-08 leave but for their 12 month-ends (2025-06-30 .. 2026-05-31)
    assert len(leaving) == 400 - DAYS - 12


def small_exports() -> Exports:
    exports = Exports()
    for user_id in range(1, 6):
        exports.active_user(user_id, L, months=16)
    exports.bill(3, date(2026, 6, 5), paid=None)
    return exports


def dates_in(settings: Settings, table: str) -> set[date]:
    column = DATED_TABLES[table]
    rows = pipeline.query(settings, f"select distinct {column} from {table}").rows()
    return {row[0] for row in rows}


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Settings:
    """A backfill of early daily dates, then the night L: the early dates fall out of the window."""
    root = tmp_path_factory.mktemp("history-kept")
    settings = Settings(
        warehouse=root / "warehouse",
        input=root / "exports",
        history_months=2,
        daily_history_days=DAYS,
    )
    small_exports().write(settings.input)
    backfill_flow(start=EARLY[0], end=EARLY[-1], dates=EARLY, settings=settings, allow_stale=True)
    return settings


def test_a_night_keeps_month_ends_and_its_last_days_and_the_copies_keep_every_date(
    nights: Settings, tmp_path: Path
) -> None:
    settings = nights.model_copy(update={"warehouse": tmp_path / "warehouse"})
    shutil.copytree(nights.warehouse, settings.warehouse)
    before = {
        d: pipeline.query(
            settings,
            "select * exclude (snapshot_date) from score_snapshots where snapshot_date = $d "
            "order by user_id",
            {"d": d},
        ).rows()
        for d in EARLY
    }
    summary = nightly_flow(as_of=L, settings=settings)
    assert "history kept" in summary.steps
    copied = kept_snapshot_dates(settings)
    assert set(EARLY) < set(copied) and L in copied  # a Parquet copy of every date
    kept = expected_kept(copied, L)
    assert set(copied) - kept == {date(2026, 6, 1), date(2026, 6, 2)}
    for table in ("score_snapshots", "dimension_aggregates", "snapshot_dates", "repair_decisions"):
        assert dates_in(settings, table) <= kept, table
    assert dates_in(settings, "score_snapshots") == kept
    assert dates_in(settings, "snapshot_dates") == kept
    # the copies hold the rows as they were published
    for d in EARLY:
        copy = pq.read_table(snapshot_partition(settings, d)).sort_by("user_id")
        assert [tuple(r.values()) for r in copy.to_pylist()] == before[d], d

    # sesame sql reads every date from the copies, and nothing outside them
    with open_query(
        settings,
        "select snapshot_date, count(*) from score_snapshot_history group by all order by all",
        timeout=60,
    ) as result:
        counted = {
            row["snapshot_date"]: row["count_star()"]
            for batch in result
            for row in batch.to_pylist()
        }
    assert counted == {d: 5 for d in copied}  # five users, every date
    assert all(len(before[d]) == 5 for d in EARLY)

    # the next night is incremental from L, as before
    nxt = nightly_flow(as_of=L + timedelta(days=1), settings=settings)
    assert "history kept" in nxt.steps
    assert dates_in(settings, "score_snapshots") == expected_kept(
        kept_snapshot_dates(settings), L + timedelta(days=1)
    )


def test_a_daily_date_without_a_copy_stays_in_the_database(
    nights: Settings, tmp_path: Path
) -> None:
    settings = nights.model_copy(update={"warehouse": tmp_path / "warehouse"})
    shutil.copytree(nights.warehouse, settings.warehouse)
    lost = date(2026, 6, 2)
    shutil.rmtree(snapshot_partition(settings, lost).parent)  # its copy is gone
    nightly_flow(as_of=L, settings=settings)
    assert lost in dates_in(settings, "score_snapshots")  # nothing is lost for good
    assert date(2026, 6, 1) not in dates_in(settings, "score_snapshots")


def test_rebuild_brings_back_what_the_database_keeps_and_no_more(
    nights: Settings, tmp_path: Path
) -> None:
    settings = nights.model_copy(update={"warehouse": tmp_path / "warehouse"})
    shutil.copytree(nights.warehouse, settings.warehouse)
    nightly_flow(as_of=L, settings=settings)
    every = "select * from score_snapshots order by all"
    before = pipeline.query(settings, every).rows()
    dates = kept_snapshot_dates(settings)
    summary = rebuild_flow(as_of=dates[-1], dates=dates, settings=settings)
    assert {d.snapshot_date for d in summary.dates} == expected_kept(dates, L)
    assert pipeline.query(settings, every).rows() == before
