"""fct_score_drop_ranges, given rows: the dropped users cut in order into ranges of at most
$users_per_range users that cover each of them once."""

from __future__ import annotations

from tests.models.given import Given, run_model

DROPS = {"user_id": "bigint"}


def _ranges(users: list[int], per_range: int) -> list[tuple[int, int, int]]:
    rows = run_model(
        "marts/fct_score_drop_ranges",
        {"fct_score_drops": Given(DROPS, [{"user_id": u} for u in users])},
        order_by="range_number",
        users_per_range=per_range,
    )
    return [(row["range_number"], row["user_from"], row["user_to"]) for row in rows]


def test_users_are_cut_in_order_into_ranges_of_the_size_asked() -> None:
    users = [40, 3, 17, 8, 99, 12, 5]  # in order: 3 5 8 | 12 17 40 | 99
    assert _ranges(users, 3) == [(0, 3, 8), (1, 12, 40), (2, 99, 99)]
    assert _ranges(users, 7) == [(0, 3, 99)]


def test_every_user_falls_in_exactly_one_range() -> None:
    users = list(range(1, 200, 3))
    ranges = _ranges(users, 10)
    assert all(to - start >= 0 for _, start, to in ranges)
    held = [[u for u in users if start <= u <= to] for _, start, to in ranges]
    assert [u for block in held for u in block] == users
    assert max(len(block) for block in held) == 10


def test_no_drops_no_ranges() -> None:
    assert _ranges([], 5) == []
