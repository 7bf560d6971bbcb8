"""The monthly transaction rollup: kept up to date by ingest from each night's changes, and
scoring from it gives exactly what counting every transaction gives.

Four nights of random transactions (with corrections that move a transaction to another month
or category, and rows whose fields are missing) are ingested one by one; after each night the
rollup is compared with the staged transactions, and int_transaction_months (rollup plus the
partial months at the window's edges) with a count of the transactions themselves, at
month-ends, mid-month dates, the first and last days of months and every score refresh day.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import polars as pl
import pytest

from sesame import rollups
from sesame.settings import Settings
from sesame.sqlmodels import materialize
from sesame.transforms.scorecard import load_scorecard
from sesame.warehouse import connect_read_only
from tests import pipeline
from tests.builders import Exports

USERS = 6
START = datetime(2025, 1, 1)
DAYS = 600  # transactions from 2025-01-01 to 2026-08-24
CATEGORIES = ["salary", "shopping", "utility", "phone_bill", "rent", "dining", "refund"]
DATES = [
    date(2025, 12, 31),  # month-ends: the rollup alone
    date(2026, 2, 28),
    date(2026, 6, 30),
    date(2026, 3, 1),  # first day of a month
    date(2026, 3, 15),  # mid-month: two partial months
    date(2026, 8, 24),
    date(2025, 3, 10),  # a window that starts before the first transaction
]

# int_transaction_months as it was before the rollup: every transaction of the window counted
REFERENCE = """
select
    requests.user_id,
    requests.snapshot_date,
    cast(date_trunc('month', t.txn_ts) as date) as month_start,
    cast(count(*) as integer) as transactions,
    cast(count(*) filter (where t.direction = 'in' and t.category = 'salary') as integer)
        as salary_inflows,
    cast(count(*) filter (where t.category = 'shopping') as integer) as shopping_transactions,
    cast(count(*) filter (where t.category = 'shopping' and t.receipt_confirmed) as integer)
        as confirmed_receipts,
    cast(count(*) filter (
        where t.direction = 'out' and t.category in ('utility', 'phone_bill', 'rent')
    ) as integer) as living_payments
from score_requests as requests
inner join stg_transactions as t
    on requests.user_id = t.user_id
    and t.txn_ts < day_end(requests.snapshot_date)
    and t.txn_ts >= window_start(requests.snapshot_date, $behaviour_window_months)
group by all
"""


def night(rng: random.Random, made: Exports, earlier: list[dict[str, Any]]) -> None:
    """Random transactions, and corrections of some earlier ones (same txn_id, new values)."""
    for user_id in range(1, USERS + 1):
        for _ in range(rng.randint(20, 60)):
            when = START + timedelta(days=rng.randrange(DAYS), seconds=rng.randrange(86_400))
            category = rng.choice(CATEGORIES)
            fields: dict[str, Any] = {}
            if rng.random() < 0.05:
                fields["receipt_confirmed"] = None
            made.transaction(user_id, when, category, **fields)
    for row in rng.sample(earlier, min(len(earlier), 15)):
        moved = START + timedelta(days=rng.randrange(DAYS), seconds=rng.randrange(86_400))
        category = rng.choice(CATEGORIES)
        made.transaction(
            row["user_id"],
            moved,
            category,
            txn_id=row["txn_id"],
            receipt_confirmed=rng.choice([True, False, None]),
        )


def deliver(settings: Settings, made: Exports, number: int) -> None:
    made.write(settings.input, f"night-{number}.parquet")
    mtime = 1_700_000_000_000_000_000 + number * 3_600_000_000_000
    for table in made.rows:
        path = settings.input / table / f"night-{number}.parquet"
        os.utime(path, ns=(mtime, mtime))


def rollup_matches_the_staged_transactions(con: duckdb.DuckDBPyConnection) -> None:
    summed = con.sql(
        "select user_id, month_start, sum(transactions) as transactions, "
        "sum(salary_inflows) as salary_inflows, sum(shopping_transactions) as shopping, "
        "sum(confirmed_receipts) as confirmed, sum(living_payments) as living "
        "from transaction_months group by all having sum(transactions) <> 0 order by all"
    ).pl()
    counted = con.sql(
        "select user_id, cast(date_trunc('month', txn_ts) as date) as month_start, "
        "count(*) as transactions, "
        "count(*) filter (where direction = 'in' and category = 'salary') as salary_inflows, "
        "count(*) filter (where category = 'shopping') as shopping, "
        "count(*) filter (where category = 'shopping' and receipt_confirmed) as confirmed, "
        "count(*) filter (where direction = 'out' and category in "
        "('utility', 'phone_bill', 'rent')) as living "
        "from stg_transactions group by all order by all"
    ).pl()
    assert summed.cast(pl.Int64).equals(counted.cast(pl.Int64))


def months_from_rollup_equal_months_counted(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> int:
    """int_transaction_months against REFERENCE for every user at DATES and refresh days."""
    dates = [*DATES, *(d.replace(day=day) for d in DATES for day in (1, 9, 27, 28))]
    con.execute(
        "create or replace temp table score_requests as "
        "select user_id, cast(unnest($dates) as date) as snapshot_date, true as is_snapshot, "
        "false as friends_only from stg_users",
        {"dates": sorted(set(dates))},
    )
    parameters = load_scorecard().parameters
    for model in ("intermediate/int_feature_requests", "intermediate/int_transaction_months"):
        materialize(con, model, parameters)
    got = con.sql("select * from int_transaction_months order by all").pl()
    expected = con.sql(
        f"select * from ({REFERENCE}) order by all",
        params={"behaviour_window_months": parameters["behaviour_window_months"]},
    ).pl()
    assert got.equals(expected)
    return got.height


@pytest.mark.parametrize("seed", [1, 2])
def test_rollup_follows_each_night_and_scoring_from_it_counts_every_transaction(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.setattr(rollups, "COMPACT_SHARE", 0.5)  # compact on some nights, not others
    rng = random.Random(seed)
    earlier: dict[int, dict[str, Any]] = {}  # by txn_id: a correction replaces its row
    compacted = []
    ids = itertools.count(1)
    for number in range(4):
        made = Exports()
        made._ids = ids  # new transactions of every night get new ids
        if number == 0:
            for user_id in range(1, USERS + 1):
                made.user(user_id)
        night(rng, made, list(earlier.values()))
        earlier |= {row["txn_id"]: row for row in made.rows["transactions"]}
        deliver(settings, made, number)
        pipeline.run(settings, [])

        con = connect_read_only(settings)
        try:
            rollup_matches_the_staged_transactions(con)
            assert months_from_rollup_equal_months_counted(con, settings) > 100
            rows, changes = con.execute(
                "select count(*), count(*) filter (where not compacted) from transaction_months"
            ).fetchall()[0]
        finally:
            con.close()
        assert changes <= rollups.COMPACT_SHARE * rows
        compacted.append(changes == 0)
    assert compacted[0]  # the first load is compact as it comes
    assert not all(compacted)  # some nights appended changes...
    assert any(compacted[1:])  # ...and some compacted them


def test_a_warehouse_without_the_rollup_gets_it_built_from_its_transactions(
    settings: Settings,
) -> None:
    made = Exports()
    for user_id in range(1, USERS + 1):
        made.user(user_id)
    night(random.Random(3), made, [])
    deliver(settings, made, 0)
    pipeline.run(settings, [])
    # a warehouse made before the rollup existed
    with contextlib.closing(duckdb.connect(str(settings.database_path()))) as con:
        con.execute("drop table transaction_months")

    deliver(settings, Exports(), 1)  # a night with nothing new
    pipeline.run(settings, [])

    con = connect_read_only(settings)
    try:
        rollup_matches_the_staged_transactions(con)
        assert con.execute("select count(*) from transaction_months").fetchall()[0][0] > 0
    finally:
        con.close()
