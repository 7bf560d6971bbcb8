"""int_features_relationships, given rows: the relationships dimension's characteristics at a
date (contract section 2: a friend counts while the edge is open, since <= D and ended_at null
or after D; a friend's credit is their most recent published score before D)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from tests.models.given import D, Given, run_model, score_requests

EDGES = {"user_id": "bigint", "friend_id": "bigint", "since": "timestamp", "ended_at": "timestamp"}
SCORES = {"user_id": "bigint", "snapshot_date": "date", "published_score": "integer"}
LAST_INSTANT = datetime(2026, 10, 31, 23, 59, 59, 999999)  # D's last instant
END_OF_D = datetime(2026, 11, 1)  # the first instant after D
SINCE = datetime(2026, 1, 1)


def _features(
    requests: list[tuple[int, date]],
    edges: Sequence[tuple[int, datetime, datetime | None]],
    scores: Sequence[tuple[int, date, int | None]] = (),
) -> list[tuple[Any, ...]]:
    """The model's rows at ``requests`` (the pass's date is D); ``edges`` are user 1's
    (friend_id, since, ended_at); ``scores`` (user_id, snapshot_date, published_score) are the
    stored snapshots, whose dates make snapshot_dates."""
    rows = run_model(
        "intermediate/int_features_relationships",
        {
            "score_requests": score_requests(requests),
            "stg_relationships": Given(
                EDGES,
                [
                    {"user_id": 1, "friend_id": friend, "since": since, "ended_at": ended}
                    for friend, since, ended in edges
                ],
            ),
            "score_snapshots": Given(
                SCORES,
                [
                    {"user_id": user, "snapshot_date": day, "published_score": score}
                    for user, day, score in scores
                ],
            ),
            "snapshot_dates": Given(
                {"snapshot_date": "date"},
                [{"snapshot_date": day} for day in sorted({day for _, day, _ in scores})],
            ),
        },
        order_by="user_id, snapshot_date",
        snapshot_date=D,
    )
    return [
        (
            r["user_id"],
            r["snapshot_date"],
            r["open_friends"],
            r["scored_friends"],
            r["friends_mean_score"],
        )
        for r in rows
    ]


def test_a_friend_counts_while_the_edge_is_open_at_the_end_of_the_date() -> None:
    edges = [
        (2, LAST_INSTANT, None),  # since D's last instant: open at D
        (3, END_OF_D, None),  # since after D: not yet
        (4, SINCE, LAST_INSTANT),  # ended in D's last instant: closed at D
        (5, SINCE, END_OF_D),  # ends after D: open at D
        (6, datetime(2025, 1, 1), datetime(2025, 6, 1)),  # ended, then made again:
        (6, datetime(2025, 9, 1), None),  # one friend
        (7, SINCE, datetime(2026, 5, 1)),  # ended before D
    ]
    # friends 2, 5 and 6; no published scores, so no mean
    assert _features([(1, D), (8, D)], edges) == [
        (1, D, 3, 0, None),
        (8, D, 0, 0, None),  # no friends: 0, not null
    ]


def test_the_mean_reads_each_friend_s_most_recent_published_score_before_the_date() -> None:
    edges = [(friend, SINCE, None) for friend in (2, 3, 4, 5)]
    former = (6, SINCE, datetime(2026, 10, 1))  # a former friend
    day_before, two_days_before, month_end = (
        date(2026, 10, 30),
        date(2026, 10, 29),
        date(2026, 9, 30),
    )
    scores = [
        (2, two_days_before, 600),
        (2, day_before, 640),  # friend 2's most recent before D
        (2, D, 900),  # on D itself: not before D
        (3, two_days_before, 700),  # friend 3's most recent published score
        (3, day_before, None),  # unscorable at 2026-10-30: no published score
        (4, month_end, 580),  # friend 4's only score, a month back
        (6, day_before, 800),  # not a friend at D
    ]
    # open: 2, 3, 4 and 5 (never scored); scored: 2, 3, 4
    assert _features([(1, D)], [*edges, former], scores) == [(1, D, 4, 3, (640 + 700 + 580) / 3)]


def test_each_requested_date_reads_the_scores_and_friends_before_itself() -> None:
    refresh = date(2026, 10, 15)  # a refresh day the pass scores besides D
    edges = [(2, SINCE, None), (3, datetime(2026, 10, 20), None)]  # friend 3 from 2026-10-20
    scores = [
        (2, date(2026, 10, 14), 600),  # friend 2's most recent before the refresh day
        (2, refresh, 650),  # on the refresh day itself: not before it
        (2, date(2026, 10, 30), 700),  # friend 2's most recent before D
        (3, date(2026, 10, 14), 750),
        (3, date(2026, 10, 30), 750),
    ]
    assert _features([(1, refresh), (1, D)], edges, scores) == [
        (1, refresh, 1, 1, 600.0),  # friend 2 only
        (1, D, 2, 2, (700 + 750) / 2),
    ]
