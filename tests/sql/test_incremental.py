"""Incremental nights equal full ones (issue 14): 60 random nights, row for row.

A generated population's exports are delivered night by night, as upstream would: each night
the rows whose event falls on it, some nights' files late by one to three nights, and
corrections of rows delivered earlier (a bill paid, a record resolved, a receipt confirmed, a
refresh day moved, a friendship ended) in a file of their own. Two warehouses ingest the same
files each night: one scores incrementally (the default), the other with ``full_rescore``.
Each night's snapshots, aggregates and repair decisions must be equal, and most nights must
really be incremental (carrying most users).
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import random
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sesame.incremental import basis
from sesame.ingest import ingest_exports
from sesame.schema import TABLES
from sesame.scoring import DateResult, score_date
from sesame.settings import Settings
from sesame.synthetic import EVENT_COLUMN, generate_exports
from sesame.transforms.scorecard import load_scorecard
from sesame.warehouse import building, warehouse_lock
from tests.builders import Exports, at

FIRST_NIGHT = datetime.date(2026, 8, 20)
NIGHTS = 60  # to 2026-10-18: across two month-ends and two 1sts
USERS = 150


def _days(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.cast(column, pa.date32())


class Upstream:
    """The exports of one population, delivered night by night into ``input``."""

    def __init__(self, raw: Path, input_dir: Path, seed: int) -> None:
        self.input = input_dir
        self.rng = random.Random(seed)
        self.tables = {t.name: pq.read_table(raw / t.name) for t in TABLES}
        self.late: dict[datetime.date, list[tuple[str, pa.Table]]] = {}
        before = FIRST_NIGHT - datetime.timedelta(days=1)
        for name, data in self.tables.items():
            rows = data.filter(pc.less_equal(_days(data[EVENT_COLUMN[name]]), before))
            self._write(name, "base.parquet", rows)

    def _write(self, table: str, file_name: str, rows: pa.Table) -> None:
        folder = self.input / table
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows, folder / file_name)

    def deliver(self, night: datetime.date) -> None:
        """The night's files: its events (some tables late), the late files now due, and
        corrections of delivered rows."""
        for name, data in self.tables.items():
            rows = data.filter(pc.equal(_days(data[EVENT_COLUMN[name]]), night))
            if rows.num_rows == 0:
                continue
            if self.rng.random() < 0.15:  # late by one to three nights
                due = night + datetime.timedelta(days=self.rng.randint(1, 3))
                self.late.setdefault(due, []).append((name, rows))
                continue
            self._write(name, f"day-{night}.parquet", rows)
        for number, (name, rows) in enumerate(self.late.pop(night, [])):
            self._write(name, f"late-{night}-{number}.parquet", rows)
        self._correct(night)

    def _delivered(self, name: str, night: datetime.date) -> pa.Table:
        data = self.tables[name]
        return data.filter(pc.less(_days(data[EVENT_COLUMN[name]]), night))

    def _pick(self, rows: pa.Table, count: int) -> pa.Table:
        if rows.num_rows == 0:
            return rows
        picked = sorted(self.rng.sample(range(rows.num_rows), min(count, rows.num_rows)))
        return rows.take(picked)

    def _correct(self, night: datetime.date) -> None:
        noon = datetime.datetime.combine(night, datetime.time(12))
        bills = self._delivered("bills", night)
        unpaid = bills.filter(
            pc.and_(pc.is_null(bills["paid_at"]), pc.less_equal(bills["due_date"], night))
        )
        paid = self._pick(unpaid, 2)
        paid = paid.set_column(
            paid.schema.get_field_index("paid_at"),
            "paid_at",
            pa.array([noon] * paid.num_rows, paid.schema.field("paid_at").type),
        )
        paid = paid.set_column(
            paid.schema.get_field_index("amount_paid"), "amount_paid", paid["amount_due"]
        )
        # a record resolved today, or a life record resolved so long ago that its two years
        # of retention end in the nights to come
        records = self._delivered("negative_records", night)
        open_records = records.filter(pc.is_null(records["resolved_at"]))
        ends_soon = noon + datetime.timedelta(days=self.rng.randint(1, 10))
        long_ago = ends_soon.replace(year=ends_soon.year - 2)
        old_life = open_records.filter(
            pc.and_(
                pc.equal(open_records["category"], "life"),
                pc.less(open_records["occurred_at"], pa.scalar(long_ago, pa.timestamp("us"))),
            )
        )
        when = long_ago if old_life.num_rows and self.rng.random() < 0.5 else noon
        resolved = self._pick(old_life if when == long_ago else open_records, 1)
        resolved = resolved.set_column(
            resolved.schema.get_field_index("resolved_at"),
            "resolved_at",
            pa.array([when] * resolved.num_rows, resolved.schema.field("resolved_at").type),
        )
        transactions = self._delivered("transactions", night)
        shopping = transactions.filter(pc.equal(transactions["category"], "shopping"))
        flipped = self._pick(shopping, 3)
        flipped = flipped.set_column(
            flipped.schema.get_field_index("receipt_confirmed"),
            "receipt_confirmed",
            pc.invert(pc.fill_null(flipped["receipt_confirmed"], False)),
        )
        users = self._pick(self._delivered("users", night), 2)
        users = users.set_column(
            users.schema.get_field_index("score_refresh_day"),
            "score_refresh_day",
            pa.array(
                [
                    self.rng.choice([None, min(night.day, 28), self.rng.randint(1, 28)])
                    for _ in range(users.num_rows)
                ],
                users.schema.field("score_refresh_day").type,
            ),
        )
        friends = self._delivered("relationships", night)
        ended = self._pick(friends.filter(pc.is_null(friends["ended_at"])), 1)
        ended = ended.set_column(
            ended.schema.get_field_index("ended_at"),
            "ended_at",
            pa.array([noon] * ended.num_rows, ended.schema.field("ended_at").type),
        )
        corrections = [
            ("bills", paid),
            ("negative_records", resolved),
            ("transactions", flipped),
            ("users", users),
            ("relationships", ended),
        ]
        for name, rows in self.rng.sample(corrections, 2):  # two kinds a night
            if rows.num_rows:
                self._write(name, f"fix-{night}.parquet", rows)


PUBLISHED = {
    "score_snapshots": "select * exclude (run_id, carried_from) from score_snapshots "
    "where snapshot_date = $d",
    "dimension_aggregates": "select * exclude (run_id) from dimension_aggregates "
    "where snapshot_date = $d",
    "repair_decisions": "select * exclude (run_id) from repair_decisions where decided_as_of = $d",
}


def _rows(con: duckdb.DuckDBPyConnection, night: datetime.date) -> dict[str, pl.DataFrame]:
    return {
        name: con.sql(sql, params={"d": night}).pl().sort(pl.all())
        for name, sql in PUBLISHED.items()
    }


def test_sixty_random_nights_scored_incrementally_equal_full_rescores(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    last = FIRST_NIGHT + datetime.timedelta(days=NIGHTS - 1)
    generate_exports(raw, users=USERS, months=26, seed=14, end=last, truth=False)
    upstream = Upstream(raw, tmp_path / "exports", seed=14)
    # an incremental night cuts the users it scores again into partitions of 40 (below the
    # setting's floor, hence model_copy), the full night scores everyone in one: the two
    # compare across different partitions too
    full = Settings(warehouse=tmp_path / "warehouse", input=upstream.input, full_rescore=True)
    settings = full.model_copy(update={"full_rescore": False, "users_per_partition": 40})
    card = load_scorecard()
    results: list[DateResult] = []
    with warehouse_lock(settings), building(settings, "test-incremental") as con:
        for night in (FIRST_NIGHT + datetime.timedelta(days=n) for n in range(NIGHTS)):
            upstream.deliver(night)
            ingest_exports(con, settings.input, f"night-{night}")
            # the full re-score of the night, on the same warehouse, then rolled back: the
            # incremental nights build only on incremental nights
            con.execute("begin transaction")
            assert score_date(con, full, card, night, f"full-{night}").rescored is None
            want = _rows(con, night)
            con.execute("rollback")
            results.append(score_date(con, settings, card, night, f"night-{night}"))
            got = _rows(con, night)
            for name in PUBLISHED:
                assert got[name].equals(want[name]), f"{name} differs on {night}"
        carried = con.sql(
            "select count(*), min(snapshot_date - carried_from), max(snapshot_date - carried_from) "
            "from score_snapshots where carried_from is not null"
        ).fetchall()[0]
    incremental_nights = [r for r in results if r.rescored is not None]
    firsts = [r for r in results if r.snapshot_date.day == 1]
    # every night but the first and the 1sts of a month carries users from the day before
    assert len(incremental_nights) == NIGHTS - 1 - len(firsts)
    assert all(r.rescored is None for r in firsts)
    assert all(
        r.carried_from == r.snapshot_date - datetime.timedelta(days=1) for r in incremental_nights
    )
    # and many users, most nights: the point of it; some rows carried over several nights
    carried_share = sum(r.users - (r.rescored or 0) for r in incremental_nights) / sum(
        r.users for r in incremental_nights
    )
    assert carried_share > 0.3, carried_share
    # users scored again for a friend's score alone took their other dimensions from the day
    # before (friends_only), and were equal to the full re-score all the same
    assert sum(r.friends_only for r in incremental_nights) > 0
    assert all(r.friends_only <= r.rescored_because.get("friend_score", 0) for r in results)
    assert carried[0] > 0 and carried[1] >= 1 and carried[2] > 1
    # an incremental night's partitions hold at most 40 of the users it scores again each
    assert all(r.partitions == max(1, math.ceil(r.rescored / 40)) for r in incremental_nights)
    assert any(r.partitions > 1 for r in incremental_nights)


def _window_start(day: datetime.date, months: int) -> datetime.date:
    """sql/ddl/macros.sql's window_start, by hand: the day after ``day`` less ``months``."""
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return datetime.date(year, month, day.day) + datetime.timedelta(days=1)


def test_each_edge_that_passes_an_event_scores_its_user_again(tmp_path: Path) -> None:
    """One user per kind of edge, whose only event lies where that edge moves from P to D; each
    is scored again (edge_passed) and equals a full re-score; a steady user is carried."""
    previous, night = datetime.date(2026, 6, 14), datetime.date(2026, 6, 15)
    steady_until = night - datetime.timedelta(days=5)  # no steady event near any edge
    exports = Exports()
    for user_id in range(1, 9):
        exports.active_user(user_id, steady_until)
    noon = datetime.time(12)
    exports.negative(  # a life record's two years of retention end on D
        2, "life", at(datetime.date(2023, 1, 5)), datetime.datetime(2024, 6, 15, 6)
    )
    exports.negative(  # a legal record's five years end on D
        3, "legal", at(datetime.date(2020, 1, 5)), datetime.datetime(2021, 6, 15, 6)
    )
    late_due = _window_start(previous, 24)  # leaves the 24-month overdue lookback on D
    exports.bill(4, late_due, paid=at(late_due + datetime.timedelta(days=10)))
    exports.risk_event(5, datetime.datetime.combine(_window_start(previous, 24), noon))
    exports.profile_change(6, "phone", datetime.datetime.combine(_window_start(previous, 12), noon))
    exports.application(7, datetime.datetime.combine(night - datetime.timedelta(days=30), noon))
    settings = Settings(warehouse=tmp_path / "warehouse", input=tmp_path / "exports")
    exports.write(settings.input)
    full = settings.model_copy(update={"full_rescore": True})
    card = load_scorecard()
    with warehouse_lock(settings), building(settings, "test-edges") as con:
        ingest_exports(con, settings.input, "edges")
        score_date(con, settings, card, previous, "edges")
        con.execute("begin transaction")
        score_date(con, full, card, night, "full")
        want = _rows(con, night)
        con.execute("rollback")
        result = score_date(con, settings, card, night, "edges")
        got = _rows(con, night)
        carried = dict(
            con.execute(
                "select user_id, carried_from from score_snapshots where snapshot_date = $d",
                {"d": night},
            ).fetchall()
        )
    for name in PUBLISHED:
        assert got[name].equals(want[name]), name
    assert result.carried_from == previous and result.rescored == 6
    assert carried[1] == previous and carried[8] == previous  # steady users: carried
    assert all(carried[user_id] is None for user_id in range(2, 8))  # each edge: scored again


def test_no_refresh_day_lies_before_the_earliest_refresh_date() -> None:
    """The reads of stored refresh day scores start at earliest_refresh_date (so they stay a
    month long): every refresh day of every date of eight years, each day 1 to 28, is on or
    after it, and some are a day after it (the bound is tight)."""
    con = duckdb.connect()
    con.execute((Path(__file__).parents[2] / "sesame/sql/ddl/macros.sql").read_text())
    earliest_gap, latest_gap = con.sql(
        "select min(score_refresh_date(d, r) - earliest_refresh_date(d)), "
        "max(d - score_refresh_date(d, r)) "
        "from (select cast(date '2020-01-01' + cast(i as integer) as date) as d "
        "from range(2922) as t(i)), (select unnest(range(1, 29)) as r)"
    ).fetchall()[0]
    assert earliest_gap == 1
    assert latest_gap == 30


def test_friends_only_users_are_carried_only_when_every_card_has_the_same_windows() -> None:
    card = load_scorecard()
    same = dataclasses.replace(card, model_version="challenger-same")
    windows = dict(card.parameters)
    windows["behaviour_window_months"] += 1
    other = dataclasses.replace(card, model_version="challenger-other", parameters=windows)
    con = duckdb.connect()
    con.execute(
        "create table snapshot_dates (snapshot_date date, model_version varchar); "
        "create table challenger_snapshots (snapshot_date date, model_version varchar)"
    )
    previous, day = datetime.date(2026, 10, 14), datetime.date(2026, 10, 15)
    con.execute(
        "insert into snapshot_dates values ($d, $v)", {"d": previous, "v": card.model_version}
    )
    for challenger in (same, other):
        con.execute(
            "insert into challenger_snapshots values ($d, $v)",
            {"d": previous, "v": challenger.model_version},
        )
    alone = basis(con, card, (), day, full=False)
    assert alone.previous == previous and alone.parameters["friends_only_rescore"] is True
    assert basis(con, card, (same,), day, full=False).parameters["friends_only_rescore"] is True
    # a challenger with other windows computes its own features of every request: none carried
    assert (
        basis(con, card, (same, other), day, full=False).parameters["friends_only_rescore"] is False
    )
    assert basis(con, card, (), day, full=True).parameters["friends_only_rescore"] is False
