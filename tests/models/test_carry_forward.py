"""incremental/carry_forward.sql, given rows: which users' rows of the previous date an
incremental night carries to D. Snapshots and aggregates: every user not scored again. Repair
decisions: those users and the friends_only ones (scored again for a friend's score alone: no
repair decided again for them); never a user scored again without a request (their users row
taken out), whom a full re-score gives none either."""

from __future__ import annotations

from datetime import date

from sesame.sqlmodels import run_statements
from tests.models.given import D, Given, connection, parameters, score_requests

P = date(2026, 10, 30)
ROWS = {"user_id": "bigint", "snapshot_date": "date", "run_id": "varchar"}
SNAPSHOTS = ROWS | {"carried_from": "date", "model_version": "varchar"}
REPAIRS = {
    "request_id": "bigint",
    "user_id": "bigint",
    "decided_as_of": "date",
    "run_id": "varchar",
}


def _night() -> dict[str, list[int]]:
    # 1 carried; 2 scored again for its own rows; 3 friends only; 4 scored again, no request
    users = [1, 2, 3, 4]
    tables = {
        "score_snapshots": Given(
            SNAPSHOTS, [{"user_id": u, "snapshot_date": P, "run_id": "p"} for u in users]
        ),
        "dimension_aggregates": Given(
            ROWS, [{"user_id": u, "snapshot_date": P, "run_id": "p"} for u in users]
        ),
        "repair_decisions": Given(
            REPAIRS,
            [
                {"request_id": 10 + u, "user_id": u, "decided_as_of": P, "run_id": "p"}
                for u in users
            ],
        ),
        "challenger_snapshots": Given(SNAPSHOTS),
        "int_rescored_users": Given(
            {"user_id": "bigint", "why": "varchar"},
            [
                {"user_id": 2, "why": "changed_rows"},
                {"user_id": 3, "why": "friend_score"},
                {"user_id": 4, "why": "changed_rows"},
            ],
        ),
        "score_requests": score_requests([(2, D), (3, D)], friends_only=[3]),
    }
    con = connection(tables)
    for staged, source in (
        ("new_snapshots", "score_snapshots"),
        ("new_features", "dimension_aggregates"),
        ("new_repairs", "repair_decisions"),
        ("new_challenger_snapshots", "challenger_snapshots"),
    ):
        con.execute(f"create table {staged} as from {source} where false")
    bound = parameters(snapshot_date=D, previous_date=P, run_id="d", user_from=1, user_to=9)
    run_statements(con, "incremental/carry_forward", bound | {"challengers": []})
    return {
        table: [row[0] for row in con.sql(f"select user_id from {table} order by 1").fetchall()]
        for table in ("new_snapshots", "new_features", "new_repairs")
    }


def test_carried_users_bring_all_their_rows_and_friends_only_users_their_repairs() -> None:
    carried = _night()
    assert carried["new_snapshots"] == [1]
    assert carried["new_features"] == [1]
    assert carried["new_repairs"] == [1, 3]  # not 2 (decided again), not 4 (no request)
