"""Contract section 2 ("Meaning") and section 3's published_score, on the real pipeline.

Each module fixture builds one small export (one user per case), runs ingest, the SQL models and
the Polars scorecard once, and the tests read the published warehouse: `dimension_aggregates`
for exact feature values, `score_snapshots` for scores.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sesame.settings import Settings
from sesame.transforms.scorecard import HAND_SET_SCORECARD, load_scorecard
from tests import pipeline
from tests.builders import Exports, at

# the rules are checked on the hand-set card, whose points the tests know (a score that must
# change between two dates changes under its sloped bins)
run_pipeline = functools.partial(pipeline.run, card=load_scorecard(HAND_SET_SCORECARD))

D = date(2026, 6, 30)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def end_of(day: date) -> datetime:
    """The last microsecond of ``day`` (D 23:59:59.999999): still ``day``."""
    return datetime.combine(day, time.max)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min)


def new_settings(tmp_path_factory: pytest.TempPathFactory, name: str) -> Settings:
    base = tmp_path_factory.mktemp(name)
    return Settings(warehouse=base / "warehouse", input=base / "exports")


def aggregates(settings: Settings, day: date) -> dict[int, dict[str, Any]]:
    """dimension_aggregates at ``day`` by user_id, without the run id."""
    frame = pipeline.query(
        settings,
        "select * exclude (run_id) from dimension_aggregates where snapshot_date = $d",
        {"d": day},
    )
    return {row["user_id"]: row for row in frame.iter_rows(named=True)}


def snapshot_rows(settings: Settings, day: date) -> dict[int, dict[str, Any]]:
    """score_snapshots at ``day`` by user_id, without the run id."""
    return {
        user: {k: v for k, v in row.items() if k != "run_id"}
        for user, row in pipeline.snapshot(settings, day).items()
    }


def without_user(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "user_id"}


# ------------------------------------------------------------------------------ point in time

BASELINE = 1  # a steady active user; every case user is this user plus one row


# Each case adds one row to a copy of the baseline user, timed by ``when``: D's last microsecond
# (counts at D), or the first microsecond after D (ignored at D). ``when=None`` builds the
# reference the ignored row must look like at D (for most tables: no row at all).
def add_transaction(e: Exports, user_id: int, when: datetime | None) -> None:
    if when is not None:
        e.transaction(user_id, when, "dining")


def add_bill_due(e: Exports, user_id: int, when: datetime | None) -> None:
    if when is not None:  # due on when's date, paid five days before
        e.bill(user_id, when.date(), paid=at(when.date() - days(5)))


def add_payment(e: Exports, user_id: int, when: datetime | None) -> None:
    e.bill(user_id, D - days(10), paid=when)  # the reference: the same bill, unpaid


def add_negative_record(e: Exports, user_id: int, when: datetime | None) -> None:
    if when is not None:
        e.negative(user_id, "legal", when)


def add_profile_change(e: Exports, user_id: int, when: datetime | None) -> None:
    if when is not None:
        e.profile_change(user_id, "phone", when)


def add_application(e: Exports, user_id: int, when: datetime | None) -> None:
    if when is not None:
        e.application(user_id, when)


def add_risk_event(e: Exports, user_id: int, when: datetime | None) -> None:
    if when is not None:
        e.risk_event(user_id, when)


def add_relationship(e: Exports, user_id: int, when: datetime | None) -> None:
    if when is not None:
        e.friend(user_id, BASELINE, when)


def add_asset(e: Exports, user_id: int, when: datetime | None) -> None:
    if when is not None:  # as_of is a date
        e.asset(user_id, when.date(), "deposit", 5000.0)


Add = Callable[[Exports, int, datetime | None], None]

# (table, how to add its row, the feature changes a row at D's last microsecond makes)
POINT_IN_TIME: list[tuple[str, Add, dict[str, float]]] = [
    # one more transaction in the window
    ("transactions", add_transaction, {"recent_events": 1}),
    # a bill due on D is known (an event, and a repaid huabei bill); due D + 1 it is not
    ("bills_due_date", add_bill_due, {"recent_events": 1, "credit_repaid_bills": 1}),
    # a bill due D - 10 paid at D's end is paid (10 days late); paid after D it is unpaid at D
    # (10 days past due either way, but only a paid bill is a repaid bill)
    ("bills_paid_at", add_payment, {"credit_repaid_bills": 1}),
    # a legal record occurred
    ("negative_records", add_negative_record, {"negative_legal_records": 1}),
    # a phone change
    ("profile_changes", add_profile_change, {"phone_changes": 1}),
    # a loan application
    ("loan_applications", add_application, {"loan_applications_recent": 1}),
    # a platform violation
    ("risk_events", add_risk_event, {"risk_events": 1}),
    # a friend since then
    ("relationships", add_relationship, {"open_friends": 1}),
    # a deposit reported as of D
    ("assets", add_asset, {"assets_value_cny": 5000.0}),
]


@dataclass
class PointInTime:
    settings: Settings
    users: dict[tuple[str, str], int]  # (table, "reference" | "at_d_end" | "after_d") -> user


@pytest.fixture(scope="module")
def point_in_time(tmp_path_factory: pytest.TempPathFactory) -> PointInTime:
    settings = new_settings(tmp_path_factory, "point_in_time")
    exports = Exports()
    exports.active_user(BASELINE, D)
    users: dict[tuple[str, str], int] = {}
    user_ids = iter(range(10, 1000))
    for table, add, _ in POINT_IN_TIME:
        for variant, when in (
            ("reference", None),
            ("at_d_end", end_of(D)),
            ("after_d", start_of(D + days(1))),
        ):
            user_id = users[table, variant] = next(user_ids)
            exports.active_user(user_id, D)
            add(exports, user_id, when)
    # registration: one user registered in D's last microsecond, one just after D
    users["users", "at_d_end"] = next(user_ids)
    users["users", "after_d"] = next(user_ids)
    exports.active_user(users["users", "at_d_end"], D, registered_at=end_of(D))
    exports.active_user(users["users", "after_d"], D, registered_at=start_of(D + days(1)))
    run_pipeline(settings, [D], exports)
    return PointInTime(settings, users)


@pytest.mark.parametrize(
    ("table", "changes"),
    [(table, changes) for table, _, changes in POINT_IN_TIME],
    ids=[case[0] for case in POINT_IN_TIME],
)
def test_point_in_time_ignores_rows_dated_after_d(
    point_in_time: PointInTime, table: str, changes: dict[str, float]
) -> None:
    features = aggregates(point_in_time.settings, D)
    scores = pipeline.scores(point_in_time.settings, D)
    reference = point_in_time.users[table, "reference"]
    at_d_end = point_in_time.users[table, "at_d_end"]
    after_d = point_in_time.users[table, "after_d"]
    # dated after D: exactly as if the row were not there (or, for a payment, not yet made)
    assert without_user(features[after_d]) == without_user(features[reference])
    assert scores[after_d] is not None
    assert scores[after_d] == scores[reference]
    # dated D 23:59:59.999999: counts at D
    expected = without_user(features[reference])
    for column, change in changes.items():
        expected[column] += change
    assert without_user(features[at_d_end]) == expected


def test_point_in_time_users_registered_after_d_are_not_scored(
    point_in_time: PointInTime,
) -> None:
    snapshot = pipeline.snapshot(point_in_time.settings, D)
    features = aggregates(point_in_time.settings, D)
    registered_at_d_end = point_in_time.users["users", "at_d_end"]
    registered_after_d = point_in_time.users["users", "after_d"]
    assert registered_at_d_end in snapshot
    assert registered_at_d_end in features
    assert registered_after_d not in snapshot
    assert registered_after_d not in features


D1 = date(2026, 6, 15)
D2 = date(2026, 6, 25)


def test_point_in_time_later_rows_never_change_an_earlier_snapshot(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = new_settings(tmp_path_factory, "later_rows")
    exports = Exports()
    # 1 steady; 2 sees the score of the 5th (refresh day) and has an overdue bill, so its
    # published_score differs from its score; 3 has a bill unpaid at D1; 4 is 1's friend
    exports.active_user(1, D1)
    exports.active_user(2, D1, score_refresh_day=5)
    exports.bill(2, date(2026, 6, 1), paid=None)
    exports.active_user(3, D1)
    bill_3 = exports.bill(3, D1 - days(5), paid=None)
    exports.active_user(4, D1)
    exports.friend(4, 1, at(D1 - days(100)))
    exports.write(settings.input, "part-0.parquet")
    run_pipeline(settings, [D1])
    first_snapshot = snapshot_rows(settings, D1)
    first_features = aggregates(settings, D1)
    assert first_snapshot[2]["published_score"] != first_snapshot[2]["score"]

    # a new file with rows dated after D1 only, in every table, corrections included
    for rows in exports.rows.values():
        rows.clear()
    after = start_of(D1 + days(1))
    exports.user(5, registered_at=after)
    exports.transaction(5, after)
    exports.transaction(1, after, "salary")
    exports.bill(1, D1 + days(2), paid=after)
    exports.bill(3, D1 - days(5), paid=after, bill_id=bill_3)  # paid after D1 (6 days late)
    exports.repair(3, bill_3, after + days(1), "forgot")
    exports.negative(2, "legal", after)
    exports.profile_change(1, "phone", after)
    exports.application(4, after)
    exports.risk_event(4, after)
    exports.friend(2, 1, after)
    exports.friend(4, 1, at(D1 - days(100)), ended=after)  # the edge ends after D1
    exports.asset(1, D1 + days(1), "deposit", 50_000.0)
    exports.write(settings.input, "part-1.parquet")
    run_pipeline(settings, [D1, D2])

    assert snapshot_rows(settings, D1) == first_snapshot
    assert aggregates(settings, D1) == first_features
    # the later rows were read: they show at D2
    later = aggregates(settings, D2)
    assert 5 in later
    assert later[1]["assets_value_cny"] == 50_000.0
    assert later[2]["negative_legal_records"] == 1
    assert later[3]["overdue_days"] == 0  # paid 6 days late, repair approved
    assert later[4]["open_friends"] == 0
    assert later[4]["risk_events"] == 1


# ------------------------------------------------------------------------------------ overdue

# (case, due date, paid_at, amount_paid, overdue_days at D)
OVERDUE = [
    # paid in full 7 days after its due date: 7 days past due
    ("paid_7_days_late", D - days(20), at(D - days(13)), 100.0, 7),
    # paid on its due date at 23:59: on time
    (
        "paid_on_due_date_23_59",
        D - days(20),
        datetime.combine(D - days(20), time(23, 59)),
        100.0,
        0,
    ),
    # paid in the last microsecond of its due date: on time
    ("paid_on_due_date_last_microsecond", D - days(20), end_of(D - days(20)), 100.0, 0),
    # paid at midnight after its due date: 1 day past due
    ("paid_at_midnight_after_due_date", D - days(20), start_of(D - days(19)), 100.0, 1),
    # paid before its due date: on time
    ("paid_early", D - days(20), at(D - days(25)), 100.0, 0),
    # unpaid and D is 9 days after its due date: 9 days past due
    ("unpaid_9_days_after_due_date", D - days(9), None, 0.0, 9),
    # unpaid and due on D: not overdue yet
    ("unpaid_due_on_d", D, None, 0.0, 0),
    # 60 of 100 paid before the due date: unpaid, D - due = 12 days past due
    ("partially_paid_on_time", D - days(12), at(D - days(14)), 60.0, 12),
    # 60 of 100 paid 2 days late: still unpaid at D, D - due = 12
    ("partially_paid_late", D - days(12), at(D - days(10)), 60.0, 12),
    # paid in full after D: unpaid at D, D - due = 4
    ("paid_after_d", D - days(4), start_of(D + days(1)), 100.0, 4),
]

ORDINARY, DELIBERATE, ON_TIME = 101, 102, 103  # the deliberate default twins
NOT_YET_DUE = 104
LATE_DAYS = 10


@pytest.fixture(scope="module")
def bills(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = new_settings(tmp_path_factory, "bills")
    exports = Exports()
    for user_id, (_, due, paid, amount_paid, _) in enumerate(OVERDUE, start=1):
        exports.user(user_id)
        exports.bill(user_id, due, paid=paid, amount_paid=amount_paid)
    # deliberate default twins: the same bill paid LATE_DAYS late, ordinary or deliberate
    # (with a repair request, reason forgot), and paid on time
    due = D - days(20)
    for user_id, deliberate in ((ORDINARY, False), (DELIBERATE, True)):
        exports.active_user(user_id, D)
        bill_id = exports.bill(
            user_id, due, paid=at(due + days(LATE_DAYS)), deliberate_default=deliberate
        )
        if deliberate:
            exports.repair(user_id, bill_id, at(D - days(5)), "forgot")
    exports.active_user(ON_TIME, D)
    exports.bill(ON_TIME, due, paid=at(due - days(1)))
    # two bills due after D: one paid early, one unpaid
    exports.user(NOT_YET_DUE)
    exports.bill(NOT_YET_DUE, D + days(5), paid=at(D - days(1)))
    exports.bill(NOT_YET_DUE, D + days(3), paid=None)
    run_pipeline(settings, [D, D + days(5)], exports)
    return settings


@pytest.mark.parametrize(
    ("user_id", "expected"),
    [(user_id, case[4]) for user_id, case in enumerate(OVERDUE, start=1)],
    ids=[case[0] for case in OVERDUE],
)
def test_overdue_days_past_due(bills: Settings, user_id: int, expected: int) -> None:
    assert aggregates(bills, D)[user_id]["overdue_days"] == expected


def test_overdue_bill_is_not_known_before_its_due_date(bills: Settings) -> None:
    before = aggregates(bills, D)[NOT_YET_DUE]
    assert (before["recent_events"], before["credit_repaid_bills"], before["overdue_days"]) == (
        0,
        0,
        0,
    )
    # at D + 5 both are known: the early-paid one is repaid, the unpaid one is 2 days past due
    known = aggregates(bills, D + days(5))[NOT_YET_DUE]
    assert (known["recent_events"], known["credit_repaid_bills"], known["overdue_days"]) == (
        2,
        1,
        2,
    )


def test_deliberate_default_costs_more_and_is_never_repaired(bills: Settings) -> None:
    features = aggregates(bills, D)
    scores = pipeline.scores(bills, D)
    ordinary, deliberate = features[ORDINARY], features[DELIBERATE]
    assert (ordinary["overdue_days"], ordinary["deliberate_default_days"]) == (LATE_DAYS, 0)
    # the repair request (reason forgot, paid within 30 days) does not remove it
    assert (deliberate["overdue_days"], deliberate["deliberate_default_days"]) == (0, LATE_DAYS)
    assert (ordinary["deliberate_defaults"], deliberate["deliberate_defaults"]) == (0, 1)
    assert scores[DELIBERATE] < scores[ORDINARY] < scores[ON_TIME]
    decisions = pipeline.query(
        bills, "select decision, rule from repair_decisions where user_id = $u", {"u": DELIBERATE}
    )
    assert decisions.rows() == [("rejected", "deliberate_default")]


# --------------------------------------------------------------------------- negative records

Record = tuple[str, datetime, datetime | None, bool]  # category, occurred, resolved, appeal


def resolved_years_before(years: int, day: date) -> datetime:
    """A resolution ``years`` years before ``day`` (at noon): its anniversary is ``day``."""
    return at(day.replace(year=day.year - years))


# (case, records, expected (legal, financial, life) counting at D)
NEGATIVE: list[tuple[str, list[Record], tuple[int, int, int]]] = [
    # unresolved: keeps counting
    ("legal_unresolved", [("legal", at(D - days(400)), None, False)], (1, 0, 0)),
    ("financial_unresolved", [("financial", at(D - days(3000)), None, False)], (0, 1, 0)),
    ("life_unresolved", [("life", at(D - days(900)), None, False)], (0, 0, 1)),
    # occurred in D's last microsecond: counts from occurred_at
    ("legal_occurred_at_d_end", [("legal", end_of(D), None, False)], (1, 0, 0)),
    # occurred just after D: not yet
    ("legal_occurred_after_d", [("legal", start_of(D + days(1)), None, False)], (0, 0, 0)),
    # resolved, 5th anniversary of the resolution tomorrow: still counts
    (
        "legal_resolved_5_years_tomorrow",
        [("legal", at(D - days(3000)), resolved_years_before(5, D + days(1)), False)],
        (1, 0, 0),
    ),
    # resolved, 5th anniversary yesterday: stopped counting
    (
        "legal_resolved_5_years_yesterday",
        [("legal", at(D - days(3000)), resolved_years_before(5, D - days(1)), False)],
        (0, 0, 0),
    ),
    (
        "financial_resolved_5_years_tomorrow",
        [("financial", at(D - days(3000)), resolved_years_before(5, D + days(1)), False)],
        (0, 1, 0),
    ),
    (
        "financial_resolved_5_years_yesterday",
        [("financial", at(D - days(3000)), resolved_years_before(5, D - days(1)), False)],
        (0, 0, 0),
    ),
    # life: 2 years instead of 5
    (
        "life_resolved_2_years_tomorrow",
        [("life", at(D - days(1000)), resolved_years_before(2, D + days(1)), False)],
        (0, 0, 1),
    ),
    (
        "life_resolved_2_years_yesterday",
        [("life", at(D - days(1000)), resolved_years_before(2, D - days(1)), False)],
        (0, 0, 0),
    ),
    # resolved after D: unresolved at D, counts
    (
        "financial_resolved_after_d",
        [("financial", at(D - days(100)), start_of(D + days(1)), False)],
        (0, 1, 0),
    ),
    # removed on appeal: never counts, resolved or not
    ("legal_removed_on_appeal", [("legal", at(D - days(100)), None, True)], (0, 0, 0)),
    (
        "life_removed_on_appeal_resolved",
        [("life", at(D - days(100)), at(D - days(50)), True)],
        (0, 0, 0),
    ),
    # several records: counted per category, the expired and the appealed ones left out
    (
        "several",
        [
            ("legal", at(D - days(100)), None, False),
            ("legal", at(D - days(50)), at(D - days(10)), False),
            ("financial", at(D - days(3000)), resolved_years_before(5, D - days(1)), False),
            ("financial", at(D - days(10)), None, True),
            ("life", at(D - days(20)), None, False),
        ],
        (2, 0, 1),
    ),
]

CLEAN = 900  # an active user with no record, for the score comparisons


@pytest.fixture(scope="module")
def negative_records(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = new_settings(tmp_path_factory, "negative_records")
    exports = Exports()
    exports.active_user(CLEAN, D)
    for user_id, (_, records, _) in enumerate(NEGATIVE, start=1):
        exports.active_user(user_id, D)
        for category, occurred, resolved, appeal in records:
            exports.negative(user_id, category, occurred, resolved, appeal)
    run_pipeline(settings, [D], exports)
    return settings


def negative_user(case: str) -> int:
    return next(i for i, (name, _, _) in enumerate(NEGATIVE, start=1) if name == case)


@pytest.mark.parametrize(
    ("user_id", "expected"),
    [(user_id, case[2]) for user_id, case in enumerate(NEGATIVE, start=1)],
    ids=[case[0] for case in NEGATIVE],
)
def test_negative_records_count_by_category_and_retention(
    negative_records: Settings, user_id: int, expected: tuple[int, int, int]
) -> None:
    row = aggregates(negative_records, D)[user_id]
    counts = (
        row["negative_legal_records"],
        row["negative_financial_records"],
        row["negative_life_records"],
    )
    assert counts == expected


def test_negative_record_that_stopped_counting_scores_as_no_record(
    negative_records: Settings,
) -> None:
    scores = pipeline.scores(negative_records, D)
    assert scores[CLEAN] is not None
    for case in ("legal_resolved_5_years_yesterday", "legal_removed_on_appeal"):
        assert scores[negative_user(case)] == scores[CLEAN], case
    assert scores[negative_user("legal_resolved_5_years_tomorrow")] < scores[CLEAN]


# ------------------------------------------------------------------------------ relationships

R0, R1, R2 = date(2026, 6, 5), date(2026, 6, 15), date(2026, 6, 25)
FRIEND = 10  # active, with a bill unpaid since R0: a different score at R0, R1 and R2
REFRESHED_FRIEND = 11  # the same, but refreshed on the 5th: published at R1 = score at R0
USER, USER_OF_REFRESHED = 20, 21

# (case, since, ended_at, open friends at R2)
EDGES: list[tuple[str, datetime, datetime | None, int]] = [
    # open since before R2
    ("open", at(R0 - days(30)), None, 1),
    # since R2's last microsecond: open at R2
    ("since_at_d_end", end_of(R2), None, 1),
    # since just after R2: not yet
    ("since_after_d", start_of(R2 + days(1)), None, 0),
    # ended during R2: not open at R2
    ("ended_on_d", at(R0 - days(30)), at(R2), 0),
    # ended in R2's last microsecond: still on R2, not open
    ("ended_at_d_end", at(R0 - days(30)), end_of(R2), 0),
    # ended before R2
    ("ended_before_d", at(R0 - days(30)), at(R2 - days(3)), 0),
    # ends just after R2: open at R2
    ("ends_after_d", at(R0 - days(30)), start_of(R2 + days(1)), 1),
]


@pytest.fixture(scope="module")
def relationships(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = new_settings(tmp_path_factory, "relationships")
    exports = Exports()
    for friend, refresh_day in ((FRIEND, None), (REFRESHED_FRIEND, 5)):
        exports.active_user(friend, R2, score_refresh_day=refresh_day)
        exports.bill(friend, R0, paid=None)
    exports.user(USER)
    exports.friend(USER, FRIEND, at(R0 - days(30)))
    exports.user(USER_OF_REFRESHED)
    exports.friend(USER_OF_REFRESHED, REFRESHED_FRIEND, at(R0 - days(30)))
    for user_id, (_, since, ended, _) in enumerate(EDGES, start=100):
        exports.user(user_id)
        exports.friend(user_id, FRIEND, since, ended)
    # the edge ended, then re-opened: one friend
    exports.user(200)
    exports.friend(200, FRIEND, at(R0 - days(30)), at(R0 - days(10)))
    exports.friend(200, FRIEND, at(R0 - days(5)))
    run_pipeline(settings, [R0, R1, R2], exports)
    return settings


@pytest.mark.parametrize(
    ("user_id", "expected"),
    [(user_id, case[3]) for user_id, case in enumerate(EDGES, start=100)]
    + [(200, 1)],  # ended, then re-opened: counts once
    ids=[case[0] for case in EDGES] + ["reopened"],
)
def test_relationships_friend_counts_while_edge_is_open(
    relationships: Settings, user_id: int, expected: int
) -> None:
    assert aggregates(relationships, R2)[user_id]["open_friends"] == expected


def test_relationships_friend_credit_is_most_recent_published_score_before_d(
    relationships: Settings,
) -> None:
    friend = {day: pipeline.snapshot(relationships, day)[FRIEND] for day in (R0, R1, R2)}
    scores = [friend[day]["score"] for day in (R0, R1, R2)]
    assert None not in scores
    assert len(set(scores)) == 3, "the friend's score must change between the dates"
    # at R0 the friend has no earlier snapshot: open but not scored
    at_r0 = aggregates(relationships, R0)[USER]
    assert (at_r0["open_friends"], at_r0["scored_friends"], at_r0["friends_mean_score"]) == (
        1,
        0,
        None,
    )
    at_r1 = aggregates(relationships, R1)[USER]
    assert (at_r1["scored_friends"], at_r1["friends_mean_score"]) == (
        1,
        friend[R0]["published_score"],
    )
    at_r2 = aggregates(relationships, R2)[USER]
    assert (at_r2["scored_friends"], at_r2["friends_mean_score"]) == (
        1,
        friend[R1]["published_score"],
    )


def test_relationships_friend_credit_is_the_published_score(relationships: Settings) -> None:
    r1 = pipeline.snapshot(relationships, R1)[REFRESHED_FRIEND]
    # refreshed on the 5th: the published score at R1 is the score of R0, not R1's
    assert r1["published_score"] == pipeline.snapshot(relationships, R0)[REFRESHED_FRIEND]["score"]
    assert r1["published_score"] != r1["score"]
    at_r2 = aggregates(relationships, R2)[USER_OF_REFRESHED]
    assert at_r2["friends_mean_score"] == r1["published_score"]


def test_relationships_friend_credit_ignores_a_snapshot_of_d_itself(
    relationships: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Re-running R2 once R2's own snapshot is stored: still the score before R2 (R1's)."""
    base = tmp_path_factory.mktemp("relationships_rerun")
    settings = Settings(warehouse=base / "warehouse", input=relationships.input)
    run_pipeline(settings, [R1, R2])
    published_at_r1 = pipeline.snapshot(settings, R1)[FRIEND]["published_score"]
    assert published_at_r1 != pipeline.snapshot(settings, R2)[FRIEND]["published_score"]
    assert aggregates(settings, R2)[USER]["friends_mean_score"] == published_at_r1
    run_pipeline(settings, [R2])  # the friend's R2 snapshot is in the warehouse now
    assert aggregates(settings, R2)[USER]["friends_mean_score"] == published_at_r1


# ---------------------------------------------------------------------------- published_score

P = date(2026, 6, 15)
OVERDUE_SINCE = date(2026, 5, 10)  # every case user has a bill unpaid since: its score drops daily

# (case, score_refresh_day, registered, the date whose score is published at P)
PUBLISHED: list[tuple[str, int | None, date, date]] = [
    # no refresh day: refreshed nightly
    ("nightly", None, date(2020, 1, 1), P),
    # refresh day is P's day: P's score
    ("refresh_day_today", 15, date(2020, 1, 1), P),
    # refresh day before P's day: the score of that day in P's month
    ("refresh_day_earlier_this_month", 5, date(2020, 1, 1), date(2026, 6, 5)),
    ("refresh_day_1", 1, date(2020, 1, 1), date(2026, 6, 1)),
    # refresh day after P's day: that day of the previous month
    ("refresh_day_later_previous_month", 20, date(2020, 1, 1), date(2026, 5, 20)),
    ("refresh_day_28", 28, date(2020, 1, 1), date(2026, 5, 28)),
    # registered after the last refresh day (May 20th): sees P's score
    ("registered_after_refresh_day", 20, date(2026, 5, 25), P),
]
REFRESH_DATES = sorted({case[3] for case in PUBLISHED} - {P})


@dataclass
class Published:
    tonight: Settings  # only P scored: earlier refresh days are computed on the fly
    history: Settings  # every refresh date scored first, then P: from stored snapshots


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    exports = Exports()
    for user_id, (_, refresh_day, registered, _) in enumerate(PUBLISHED, start=1):
        exports.active_user(user_id, P, registered=registered, score_refresh_day=refresh_day)
        exports.bill(user_id, OVERDUE_SINCE, paid=None)
    tonight = new_settings(tmp_path_factory, "published_tonight")
    run_pipeline(tonight, [P], exports)
    base = tmp_path_factory.mktemp("published_history")
    history = Settings(warehouse=base / "warehouse", input=tonight.input)
    run_pipeline(history, [*REFRESH_DATES, P])
    return Published(tonight, history)


@pytest.mark.parametrize(
    ("user_id", "published_from"),
    [(user_id, case[3]) for user_id, case in enumerate(PUBLISHED, start=1)],
    ids=[case[0] for case in PUBLISHED],
)
def test_published_score_follows_score_refresh_day(
    published: Published, user_id: int, published_from: date
) -> None:
    expected = pipeline.snapshot(published.history, published_from)[user_id]["score"]
    assert expected is not None
    if published_from != P:  # the case only tells something when the scores differ
        assert expected != pipeline.snapshot(published.history, P)[user_id]["score"]
    tonight = pipeline.snapshot(published.tonight, P)[user_id]
    history = pipeline.snapshot(published.history, P)[user_id]
    assert tonight["score"] == history["score"]
    assert tonight["published_score"] == expected
    assert history["published_score"] == expected


# ---------------------------------------------------------------------- refresh day scores kept


def _refresh_cases() -> list[tuple[int, date]]:
    """(user_id, refresh date) of the cases published from a refresh day before P."""
    return [(user_id, case[3]) for user_id, case in enumerate(PUBLISHED, start=1) if case[3] != P]


def _copy_of_night_p(published: Published, tmp_path: Path, name: str) -> Settings:
    """A copy of the warehouse of night P (scored alone), to run later nights on."""
    copy = tmp_path / name
    shutil.copytree(published.tonight.warehouse, copy)
    return Settings(warehouse=copy, input=published.tonight.input)


def _refresh_score(published: Published, user_id: int, refresh_date: date) -> int:
    """The score of the refresh day, as the history warehouse holds it in a snapshot."""
    score = pipeline.snapshot(published.history, refresh_date)[user_id]["score"]
    assert score is not None
    return int(score)


def test_a_night_stores_the_refresh_day_scores_it_computes(published: Published) -> None:
    stored = pipeline.query(
        published.tonight, "select user_id, refresh_date, score from refresh_day_scores"
    )
    assert {
        (r["user_id"], r["refresh_date"]): r["score"] for r in stored.iter_rows(named=True)
    } == {
        (user_id, day): _refresh_score(published, user_id, day) for user_id, day in _refresh_cases()
    }
    # where a refresh day was scored as a snapshot (history), no score of it is stored besides
    snapshotted = pipeline.query(
        published.history,
        "from refresh_day_scores inner join snapshot_dates "
        "on refresh_day_scores.refresh_date = snapshot_dates.snapshot_date",
    )
    assert snapshotted.is_empty()
    # (its first dates did store the refresh days before them: May 5th for May 20th...)
    days = pipeline.query(published.history, "select distinct refresh_date from refresh_day_scores")
    assert date(2026, 5, 5) in set(days["refresh_date"])


def test_the_next_night_reads_the_stored_refresh_day_scores(
    published: Published, tmp_path: Path
) -> None:
    next_night = P + timedelta(days=1)
    untouched = _copy_of_night_p(published, tmp_path, "untouched")
    tampered = _copy_of_night_p(published, tmp_path, "tampered")
    con = duckdb.connect(str(tampered.warehouse / "sesame.duckdb"))
    try:  # the next night shows a changed stored score only if it reads it
        con.execute("update refresh_day_scores set score = score + 1")
    finally:
        con.close()
    run_pipeline(untouched, [next_night])
    run_pipeline(tampered, [next_night])
    for user_id, day in _refresh_cases():
        expected = _refresh_score(published, user_id, day)
        assert pipeline.snapshot(untouched, next_night)[user_id]["published_score"] == expected
        assert pipeline.snapshot(tampered, next_night)[user_id]["published_score"] == expected + 1
    # the next night scored no refresh day again: every stored row is night P's
    runs = pipeline.query(untouched, "select distinct run_id from refresh_day_scores")
    assert runs.height == 1


def test_a_snapshot_of_a_refresh_day_replaces_its_stored_scores(
    published: Published, tmp_path: Path
) -> None:
    settings = _copy_of_night_p(published, tmp_path, "backfilled")
    refresh_date = date(2026, 6, 5)
    run_pipeline(settings, [refresh_date])  # the day scored as a snapshot after night P
    stored = pipeline.query(settings, "select refresh_date from refresh_day_scores")
    assert refresh_date not in stored["refresh_date"].to_list()
    others = {day for _, day in _refresh_cases()} - {refresh_date}
    assert others <= set(stored["refresh_date"])  # the other days' scores stay
    next_night = P + timedelta(days=1)
    run_pipeline(settings, [next_night])  # reads the snapshot: one score per user and day
    for user_id, day in _refresh_cases():
        published_score = pipeline.snapshot(settings, next_night)[user_id]["published_score"]
        assert published_score == _refresh_score(published, user_id, day)
