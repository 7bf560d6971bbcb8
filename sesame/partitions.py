"""User partitions: the ranges of user_id a date is scored (and a report computed) in.

Ranges of equal size, not hash buckets, so that a partition's joins can skip the blocks of the
staged tables that hold only other users (DuckDB prunes them by their min/max user_id); enough
of them that none holds more than ``users_per_partition`` users, so a partition's aggregates
fit in memory. An incremental night cuts its ranges by the users it scores again instead
(``rescored_ranges``): the others in a range are only carried. The SQL models take a range as
``$user_from`` and ``$user_to`` (``in_range``).
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
    cuts = relation(
        con,
        "plan/partition_cuts",
        {"fractions": _fractions(partitions), "snapshot_date": snapshot_date},
    ).fetchall()[0][0]
    return _ranges(cuts)


def rescored_ranges(
    con: duckdb.DuckDBPyConnection, settings: Settings, snapshot_date: date
) -> list[tuple[int, int]]:
    """An incremental night's partitions: user_id ranges holding about as many of the users it
    scores again (``night_rescored_users``, of those registered by ``snapshot_date``) each, and
    none more than ``users_per_partition``, together covering every user_id (the others in a
    range are carried, a cheap copy). A night that scores few users again runs in few
    partitions; ``user_partitions``, when set, wins."""
    on_date = {"snapshot_date": snapshot_date}
    rescored = relation(con, "plan/rescored_users", on_date).fetchall()[0][0]
    partitions = settings.user_partitions or max(
        1, math.ceil(rescored / settings.users_per_partition)
    )
    if partitions == 1:
        return [ALL_USERS]
    fractions = {"fractions": _fractions(partitions)}
    cuts = relation(con, "plan/rescored_cuts", on_date | fractions).fetchall()[0][0]
    return _ranges(cuts)


def _fractions(partitions: int) -> list[float]:
    return [i / partitions for i in range(1, partitions)]


def _ranges(cuts: list[int | None] | None) -> list[tuple[int, int]]:
    """The inclusive user_id ranges that ``cuts`` make, from the least to the greatest user_id:
    each cut is the last user_id of its range. ``quantile_disc`` at fraction i/p of n users
    picks the one at index ceil(n*i/p) - 1, so range i holds ceil(n*(i+1)/p) - ceil(n*i/p)
    users: never more than ceil(n/p)."""
    last = ALL_USERS[1]
    starts = sorted(
        {ALL_USERS[0], *(cut + 1 for cut in cuts or [] if cut is not None and cut < last)}
    )
    ends = [start - 1 for start in starts[1:]] + [ALL_USERS[1]]
    return list(zip(starts, ends, strict=True))


def in_range(users: tuple[int, int]) -> dict[str, int]:
    """A range as the models' bound parameters."""
    return {"user_from": users[0], "user_to": users[1]}
