"""int_score_requests, given rows: the (user, date) pairs a pass scores. Every user registered by
the end of D is scored at D; a user whose latest score refresh day lies before D, on or after
their registration, with no stored score of the card for it, is also scored at that day; an
incremental night asks only for the rescored users; only the partition's user ids count."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tests.models.given import D, Given, parameters, run_model

USERS = {"user_id": "bigint", "registered_at": "timestamp", "score_refresh_day": "tinyint"}
STORED = {"user_id": "bigint", "snapshot_date": "date", "model_version": "varchar"}
REFRESH_SCORES = {"user_id": "bigint", "refresh_date": "date", "model_version": "varchar"}
CARD = parameters()["model_version"]  # the card production binds (scorecard-v2+...)
LONG_AGO = datetime(2025, 1, 1)


def _user(user_id: int, refresh_day: int | None = None, registered_at: datetime = LONG_AGO) -> dict:
    return {"user_id": user_id, "registered_at": registered_at, "score_refresh_day": refresh_day}


def _requests(
    users: list[dict[str, Any]],
    *,
    snapshots: list[dict[str, Any]] | None = None,
    refresh_scores: list[dict[str, Any]] | None = None,
    rescored: list[int] | None = None,
    why: dict[int, str] | None = None,
    friends_only: bool = False,
    **overrides: Any,
) -> list[tuple[object, ...]]:
    bound = {
        "snapshot_date": D,
        "previous_date": None,
        "user_from": 1,
        "user_to": 9,
        "friends_only_rescore": False,
    } | overrides
    rows = run_model(
        "intermediate/int_score_requests",
        {
            "stg_users": Given(USERS, users),
            "score_snapshots": Given(STORED, snapshots or []),
            "refresh_day_scores": Given(REFRESH_SCORES, refresh_scores or []),
            "int_rescored_users": Given(
                {"user_id": "bigint", "why": "varchar"},
                [{"user_id": u, "why": (why or {}).get(u, "changed_rows")} for u in rescored or []],
            ),
        },
        order_by="user_id, snapshot_date",
        **bound,
    )
    if friends_only:
        return [(r["user_id"], r["snapshot_date"], r["friends_only"]) for r in rows]
    assert not any(r["friends_only"] for r in rows)
    return [(r["user_id"], r["snapshot_date"], r["is_snapshot"]) for r in rows]


def test_every_user_of_the_partition_registered_by_the_end_of_the_date_is_scored() -> None:
    users = [
        _user(1, registered_at=datetime(2026, 10, 31, 23, 59, 59, 999999)),  # D's last instant
        _user(2, registered_at=datetime(2026, 11, 1)),  # registered after D
        _user(3),
        _user(10),  # outside the partition's ids 1..9
    ]
    assert _requests(users) == [(1, D, True), (3, D, True)]


def test_a_refresh_day_before_the_date_is_also_scored_unless_a_score_of_the_card_holds_it() -> None:
    users = [
        _user(1, 15),  # latest refresh day 10-15, nothing stored: scored at it
        _user(2, 28),  # 10-28 held by a snapshot of the card
        _user(3, 20),  # 10-20 held by a stored refresh day score of the card
        _user(4, 20),  # 10-20 stored by another card only: scored at it
        _user(5),  # no refresh day: published nightly
    ]
    snapshots = [{"user_id": 2, "snapshot_date": date(2026, 10, 28), "model_version": CARD}]
    refresh_scores = [
        {"user_id": 3, "refresh_date": date(2026, 10, 20), "model_version": CARD},
        {
            "user_id": 4,
            "refresh_date": date(2026, 10, 20),
            "model_version": "scorecard-v1",
        },  # not CARD,
    ]
    assert _requests(users, snapshots=snapshots, refresh_scores=refresh_scores) == [
        (1, date(2026, 10, 15), False),
        (1, D, True),
        (2, D, True),
        (3, D, True),
        (4, date(2026, 10, 20), False),
        (4, D, True),
        (5, D, True),
    ]


def test_the_latest_refresh_day_may_be_last_month_and_is_never_the_date_itself() -> None:
    day = date(2026, 11, 3)
    users = [
        _user(1, 5),  # the 5th is still to come in November: October's, 10-05
        _user(2, 3),  # D is the refresh day: the snapshot itself is the refresh score
    ]
    assert _requests(users, snapshot_date=day) == [
        (1, date(2026, 10, 5), False),
        (1, day, True),
        (2, day, True),
    ]


def test_a_refresh_day_before_the_registration_day_is_not_scored() -> None:
    users = [
        _user(1, 15, datetime(2026, 10, 15, 23)),  # registered on the refresh day: scored at it
        _user(2, 15, datetime(2026, 10, 16)),  # registered the day after it
    ]
    assert _requests(users) == [(1, date(2026, 10, 15), False), (1, D, True), (2, D, True)]


def test_an_incremental_night_asks_only_for_the_rescored_users() -> None:
    users = [_user(1, 15), _user(2, 15), _user(3)]
    # 1 is carried from the day before; 2 and 3 are scored again, 2 with its refresh day
    assert _requests(users, rescored=[2, 3], previous_date=date(2026, 10, 30)) == [
        (2, date(2026, 10, 15), False),
        (2, D, True),
        (3, D, True),
    ]


def test_a_user_there_for_a_friends_score_alone_is_friends_only() -> None:
    users = [_user(1), _user(2), _user(3, 15)]
    why = {1: "friend_score", 2: "unpaid_bill", 3: "friend_score"}
    night = {"previous_date": date(2026, 10, 30), "friends_only_rescore": True}
    # 1: friends_only; 2: another cause; 3: a friend's score, but a refresh day to score too
    assert _requests(users, rescored=[1, 2, 3], why=why, friends_only=True, **night) == [
        (1, D, True),
        (2, D, False),
        (3, date(2026, 10, 15), False),
        (3, D, False),
    ]


def test_no_request_is_friends_only_unless_the_night_allows_it() -> None:
    users = [_user(1), _user(2)]
    why = {1: "friend_score", 2: "friend_score"}
    night = {"previous_date": date(2026, 10, 30), "friends_only_rescore": False}
    assert _requests(users, rescored=[1, 2], why=why, friends_only=True, **night) == [
        (1, D, False),
        (2, D, False),
    ]
