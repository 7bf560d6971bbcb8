"""int_feature_requests, given rows: the requests whose features are computed, that is every
request of score_requests but the friends_only ones (their other dimensions are carried), so
that a feature model that reads it skips exactly those."""

from __future__ import annotations

from datetime import date

from tests.models.given import FEATURE_REQUESTS, D, run_model, score_requests

BEFORE = date(2026, 10, 9)  # a refresh day scored with D


def _requests(pairs: list[tuple[int, date]], friends_only: list[int]) -> list[tuple[int, date]]:
    rows = run_model(
        FEATURE_REQUESTS,
        {"score_requests": score_requests(pairs, friends_only=friends_only)},
        order_by="user_id, snapshot_date",
    )
    assert all(set(row) == {"user_id", "snapshot_date"} for row in rows)
    return [(row["user_id"], row["snapshot_date"]) for row in rows]


def test_every_request_but_the_friends_only_ones() -> None:
    pairs = [(1, D), (2, D), (2, BEFORE), (3, D), (4, D)]
    assert _requests(pairs, friends_only=[1, 4]) == [(2, BEFORE), (2, D), (3, D)]


def test_no_friends_only_request_keeps_them_all() -> None:
    pairs = [(1, D), (2, BEFORE), (2, D)]
    assert _requests(pairs, friends_only=[]) == sorted(pairs)


def test_only_friends_only_requests_leave_none() -> None:
    assert _requests([(1, D), (2, D)], friends_only=[1, 2]) == []
