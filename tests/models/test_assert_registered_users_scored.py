"""assert_registered_users_scored, given rows: the data check that stops a run whose staged
snapshots leave out a user registered by the date (an incremental night must score or carry
every one of them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.models.given import D, Given, run_model

USERS = {"user_id": "bigint", "registered_at": "timestamp"}
SNAPSHOTS = {"user_id": "bigint", "snapshot_date": "date"}
LAST_MOMENT = datetime(D.year, D.month, D.day, 23, 59, 59, 999999)  # still registered by D


def _offending(registered: dict[int, datetime], snapshots: list[int]) -> list[int]:
    found = run_model(
        "checks/assert_registered_users_scored",
        {
            "stg_users": Given(
                USERS, [{"user_id": u, "registered_at": at} for u, at in registered.items()]
            ),
            "new_snapshots": Given(
                SNAPSHOTS, [{"user_id": u, "snapshot_date": D} for u in snapshots]
            ),
        },
        "user_id",
        snapshot_date=D,
    )
    return [row["user_id"] for row in found]


def test_every_registered_user_with_a_snapshot_passes() -> None:
    registered = {1: datetime(2020, 1, 1), 2: LAST_MOMENT}
    assert _offending(registered, snapshots=[1, 2]) == []


def test_a_user_registered_by_the_date_without_a_snapshot_fails() -> None:
    registered = {1: datetime(2020, 1, 1), 2: LAST_MOMENT, 3: datetime(2024, 5, 5)}
    assert _offending(registered, snapshots=[1]) == [2, 3]


def test_a_user_registered_after_the_date_needs_no_snapshot() -> None:
    registered = {1: datetime(2020, 1, 1), 2: LAST_MOMENT + timedelta(microseconds=1)}
    assert _offending(registered, snapshots=[1]) == []
