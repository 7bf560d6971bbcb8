"""User partitions: the ranges of user_id a date is scored (and a report computed) in.

Ranges of equal size, not hash buckets, so that a partition's joins can skip the blocks of the
staged tables that hold only other users (DuckDB prunes them by their min/max user_id); enough
of them that none holds more than ``users_per_partition`` users, so a partition's aggregates
fit in memory. The SQL models take a range as ``$user_from`` and ``$user_to`` (``in_range``).
"""

from __future__ import annotations

import math
from datetime import date

import duckdb

from sesame.settings import Settings
from sesame.sqlmodels import relation


def partition_count(
    con: duckdb.DuckDBPyConnection, settings: Settings, snapshot_date: date, minimum: int = 1
) -> int:
    """How many user partitions ``snapshot_date`` takes: ``user_partitions`` when set, else
    enough that none holds more than ``users_per_partition`` users, and at least ``minimum``
    (a cluster's worker slots)."""
    if settings.user_partitions is not None:
        return settings.user_partitions
    registered = relation(con, "plan/users_registered", {"snapshot_date": snapshot_date})
    users = registered.fetchall()[0][0]
    return max(minimum, math.ceil(users / settings.users_per_partition), 1)


ALL_USERS = (-(2**63), 2**63 - 1)  # the user_id range of a single partition


def user_ranges(
    con: duckdb.DuckDBPyConnection, settings: Settings, snapshot_date: date, minimum: int = 1
) -> list[tuple[int, int]]:
    """The partitions of ``snapshot_date`` as inclusive user_id ranges holding about as many
    users registered by the date each (``partition_count`` of them; fewer if there are fewer
    users), together covering every user_id."""
    partitions = partition_count(con, settings, snapshot_date, minimum)
    if partitions == 1:
        return [ALL_USERS]
    fractions = [i / partitions for i in range(1, partitions)]
    cuts = relation(
        con, "plan/partition_cuts", {"fractions": fractions, "snapshot_date": snapshot_date}
    ).fetchall()[0][0]
    starts = sorted({ALL_USERS[0], *(cut for cut in cuts or [] if cut is not None)})
    ends = [start - 1 for start in starts[1:]] + [ALL_USERS[1]]
    return list(zip(starts, ends, strict=True))


def in_range(users: tuple[int, int]) -> dict[str, int]:
    """A range as the models' bound parameters."""
    return {"user_from": users[0], "user_to": users[1]}
