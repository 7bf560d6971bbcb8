"""int_features_identity, given rows: the identity dimension's characteristics at a date (the
profile items on file, of 7, and the phone and address changes of the 12 months up to the end
of the date)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tests.models.given import FEATURE_REQUESTS, D, Given, run_model, score_requests

USERS = {
    "user_id": "bigint",
    "real_name_verified": "boolean",
    "phone_verified": "boolean",
    "email_verified": "boolean",
    "address_on_file": "boolean",
    "education": "varchar",
    "employer_verified": "boolean",
    "vehicle_verified": "boolean",
}
CHANGES = {"user_id": "bigint", "changed_at": "timestamp", "field": "varchar"}
FLAGS = [column for column, kind in USERS.items() if kind == "boolean"]
LAST_INSTANT = datetime(2026, 10, 31, 23, 59, 59, 999999)  # D's last instant
END_OF_D = datetime(2026, 11, 1)  # the first instant after D


def _features(
    requests: list[tuple[int, date]],
    users: list[dict[str, Any]] | None = None,
    changes: list[tuple[datetime, str]] | None = None,
) -> list[tuple[Any, ...]]:
    """The model's rows; ``users`` default to one empty profile per requested user, and the
    profile changes are user 1's."""
    ids = sorted({user for user, _ in requests})
    rows = run_model(
        "intermediate/int_features_identity",
        {
            "score_requests": score_requests(requests),
            "stg_users": Given(USERS, users or [_user(user) for user in ids]),
            "stg_profile_changes": Given(
                CHANGES,
                [{"user_id": 1, "changed_at": at, "field": field} for at, field in changes or []],
            ),
        },
        order_by="user_id, snapshot_date",
        before=(FEATURE_REQUESTS,),
    )
    return [
        (
            r["user_id"],
            r["snapshot_date"],
            r["profile_items"],
            r["phone_changes"],
            r["address_changes"],
        )
        for r in rows
    ]


def _user(user: int, education: str | None = None, *verified: str) -> dict[str, Any]:
    """A users row with only the ``verified`` flags true."""
    return {"user_id": user, "education": education} | {flag: flag in verified for flag in FLAGS}


def test_profile_items_count_the_seven_items_on_file() -> None:
    users = [
        _user(1, "master", *FLAGS),  # all six flags and an education: 7
        _user(2),  # nothing on file, no education: 0
        _user(3, "none", "phone_verified"),  # an education given, even `none`, is on file: 2
        _user(4, "bachelor", "real_name_verified", "email_verified", "address_on_file"),  # 4
    ]
    assert _features([(user, D) for user in (1, 2, 3, 4)], users=users) == [
        (1, D, 7, 0, 0),
        (2, D, 0, 0, 0),
        (3, D, 2, 0, 0),
        (4, D, 4, 0, 0),
    ]


def test_phone_and_address_changes_count_in_the_12_months_up_to_the_end_of_the_date() -> None:
    # D's 12-month window starts on 2025-11-01
    changes = [
        (datetime(2025, 10, 31, 23, 59, 59, 999999), "phone"),  # the day before: no
        (datetime(2025, 11, 1), "phone"),  # the window's first instant: counts
        (LAST_INSTANT, "phone"),  # counts
        (END_OF_D, "phone"),  # after D: ignored
        (datetime(2026, 3, 10), "address"),  # counts
        (datetime(2026, 3, 10), "email"),  # neither a phone nor an address change
    ]
    assert _features([(1, D), (2, D)], changes=changes) == [
        (1, D, 0, 2, 1),
        (2, D, 0, 0, 0),  # no changes: 0, not null
    ]


def test_each_requested_date_reads_the_changes_of_its_own_window() -> None:
    first = date(2026, 11, 1)  # its window starts on 2025-11-02
    changes = [
        (datetime(2025, 11, 1, 8), "address"),  # in D's window, not in the next day's
        (datetime(2026, 11, 1, 9), "address"),  # after D, on the next day
    ]
    assert _features([(1, D), (1, first)], changes=changes) == [
        (1, D, 0, 0, 1),
        (1, first, 0, 0, 1),
    ]
