"""How many user partitions a date takes, and that partitions never change a snapshot."""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from sesame.partitions import ALL_USERS, partition_count, rescored_ranges, user_ranges
from sesame.settings import Settings
from sesame.warehouse import configure, connect_read_only
from tests import pipeline
from tests.builders import Exports, at

D = date(2026, 6, 30)
USERS = 12


def exports() -> Exports:
    made = Exports()
    for user_id in range(1, USERS + 1):
        made.active_user(user_id, D, score_refresh_day=(user_id % 3) * 9 or None)
    for user_id in range(1, USERS, 2):
        made.friend(user_id, user_id + 1, at(date(2025, 1, 1)))
    made.user(USERS + 1, registered=date(2026, 7, 1))  # registered after D: not counted
    return made


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = tmp_path_factory.mktemp("partitions")
    settings = Settings(warehouse=base / "warehouse", input=base / "exports")
    pipeline.run(settings, [D], exports())
    return settings


@pytest.mark.parametrize(
    ("values", "minimum", "expected"),
    [
        pytest.param({}, 1, 1, id="default-one-partition-under-250k-users"),
        pytest.param({"users_per_partition": 5_000}, 1, 1, id="users-under-the-bound"),
        pytest.param({"user_partitions": 3}, 1, 3, id="explicit"),
        pytest.param({"user_partitions": 3}, 8, 3, id="explicit-wins-over-worker-slots"),
        pytest.param({}, 4, 4, id="at-least-one-per-worker-slot"),
    ],
)
def test_partition_count(
    loaded: Settings, values: dict[str, int], minimum: int, expected: int
) -> None:
    settings = loaded.model_copy(update=values)
    con = connect_read_only(settings)
    try:
        assert partition_count(con, settings, D, minimum=minimum) == expected
    finally:
        con.close()


@contextlib.contextmanager
def users(
    settings: Settings, before: int, after: int, *, spacing: int, first_later: int
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory stg_users: ``before`` users registered before D (ids 0, spacing,
    2 x spacing, ...) and ``after`` registered after it (ids from first_later)."""
    con = duckdb.connect()
    try:
        configure(con, settings, settings.warehouse / "spill")
        con.execute(
            "create table stg_users as select range * $spacing as user_id, "
            "timestamp '2020-01-01' as registered_at from range($before) "
            "union all select $first_later + range, timestamp '2026-07-01' from range($after)",
            {"before": before, "after": after, "spacing": spacing, "first_later": first_later},
        )
        yield con
    finally:
        con.close()


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(1_000, 0, 1, id="exactly-the-bound"),
        pytest.param(1_001, 0, 2, id="one-over"),
        pytest.param(2_500, 0, 3, id="rounded-up"),
        pytest.param(1_000, 5_000, 1, id="users-registered-after-the-date-do-not-count"),
    ],
)
def test_partition_count_follows_the_users_registered_by_the_date(
    tmp_path: Path, before: int, after: int, expected: int
) -> None:
    settings = Settings(warehouse=tmp_path, users_per_partition=1_000)
    # ids 0.. registered before D, then later ones
    with users(settings, before, after, spacing=1, first_later=before) as con:
        assert partition_count(con, settings, D) == expected


@pytest.mark.parametrize("partitions", [1, 2, 3, 7])
def test_user_ranges_split_the_users_evenly_and_cover_every_id(
    tmp_path: Path, partitions: int
) -> None:
    settings = Settings(warehouse=tmp_path, user_partitions=partitions)
    # ids with gaps, and users registered after D who do not count
    with users(settings, 1_000, 500, spacing=7, first_later=100_000) as con:
        ranges = user_ranges(con, settings, D)
        sizes = [
            con.execute(
                "select count(*) from stg_users where user_id between $a and $b "
                "and registered_at < day_end($d)",
                {"a": lo, "b": hi, "d": D},
            ).fetchall()[0][0]
            for lo, hi in ranges
        ]
    assert len(ranges) == partitions
    assert ranges[0][0] == -(2**63) and ranges[-1][1] == 2**63 - 1  # every id, any id
    assert all(hi + 1 == lo for (_, hi), (lo, _) in itertools.pairwise(ranges))
    assert sum(sizes) == 1_000
    # each cut the last user of its range: range i holds ceil(n(i+1)/p) - ceil(ni/p) users
    assert max(sizes) - min(sizes) <= 1
    assert max(sizes) == math.ceil(1_000 / partitions)


def test_partitions_do_not_change_any_snapshot(loaded: Settings, tmp_path: Path) -> None:
    sql = "select * exclude (run_id) from score_snapshots order by user_id, snapshot_date"
    expected = pipeline.query(loaded, sql)
    split = Settings(warehouse=tmp_path / "warehouse", input=loaded.input, user_partitions=5)
    pipeline.run(split, [D])
    assert expected.height == USERS
    assert pipeline.query(split, sql).equals(expected)


@pytest.mark.parametrize(
    ("rescored", "values", "expected"),
    [
        pytest.param(0, {}, 1, id="nobody-scored-again"),
        pytest.param(1_000, {}, 1, id="exactly-the-bound"),
        pytest.param(1_001, {}, 2, id="one-over"),
        pytest.param(2_000, {}, 2, id="twice-the-bound"),
        pytest.param(2_500, {}, 3, id="rounded-up"),
        pytest.param(3_000, {}, 3, id="three-times-the-bound"),
        pytest.param(10, {"user_partitions": 4}, 4, id="explicit-wins"),
    ],
)
def test_an_incremental_night_takes_partitions_by_the_users_it_scores_again(
    tmp_path: Path, rescored: int, values: dict[str, int], expected: int
) -> None:
    settings = Settings(warehouse=tmp_path, users_per_partition=1_000).model_copy(update=values)
    # every third user_id of 0..3n registered by D and scored again; the others (in between)
    # carried; and 500 users of rows delivered before their users row, registered after D:
    # listed by int_rescored_users, never scored at D, so they cut no partition
    wanted = [3 * n for n in range(rescored)]
    later = [10_000_000 + n for n in range(500)]
    with users(settings, 3 * rescored, 500, spacing=1, first_later=10_000_000) as con:
        con.execute(
            "create temp table night_rescored_users as "
            "select unnest($ids) as user_id, 'changed_rows' as why",
            {"ids": wanted + later},
        )
        ranges = rescored_ranges(con, settings, D)
    assert len(ranges) == expected
    # together the ranges cover every user_id, in order, each starting where the last ended
    assert ranges[0][0] == ALL_USERS[0] and ranges[-1][1] == ALL_USERS[1]
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(ranges))
    # and hold about as many of the users scored again each, none more than the bound
    held = [sum(low <= user <= high for user in wanted) for low, high in ranges]
    assert sum(held) == rescored
    assert max(held) <= settings.users_per_partition
    assert max(held) - min(held) <= 1
