"""Repair decisions (contract section 2, "Repair"), one test per rule of int_repair_decisions.

A request is approved when the reason is forgot / temporary_hardship / system_error, the bill
was paid in full within 30 days of its due date, it is not a deliberate default, and the user
had no other approved repair in the 365 days before the request; an approved repair counts as
paid on time. Every scenario is one user of one shared export, scored once at D_BEFORE and D,
so the warehouse's `repair_decisions` holds the decisions as of D.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from sesame.settings import Settings
from tests import pipeline
from tests.builders import Exports, at

D = date(2026, 6, 30)
D_BEFORE = D - timedelta(days=15)  # a date before some requests, to see them take effect
DUE = D - timedelta(days=60)  # the due date of most repaired bills
UNKNOWN_BILL = 999_999_999


def days(n: int) -> timedelta:
    return timedelta(days=n)


def end_of(day: date) -> datetime:
    """The last microsecond of ``day``: still ``day`` for the point-in-time rule."""
    return datetime.combine(day, time.max)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min)


def without_user(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("user_id", "run_id")}


@dataclass
class Repairs:
    """The shared warehouse and the ids of each scenario."""

    settings: Settings
    users: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    bills: dict[str, int] = field(default_factory=dict)

    def decision(self, name: str) -> dict[str, Any]:
        frame = pipeline.query(
            self.settings,
            "select * from repair_decisions where request_id = $r",
            {"r": self.requests[name]},
        )
        assert frame.height == 1, f"{name}: expected one decision, got {frame.height}"
        return frame.row(0, named=True)

    def features(self, name: str, day: date = D) -> dict[str, Any]:
        frame = pipeline.query(
            self.settings,
            "select * from dimension_aggregates where user_id = $u and snapshot_date = $d",
            {"u": self.users[name], "d": day},
        )
        assert frame.height == 1
        return frame.row(0, named=True)

    def score(self, name: str, day: date = D) -> int:
        score = pipeline.snapshot(self.settings, day)[self.users[name]]["score"]
        assert score is not None, f"{name} is unscorable"
        return score


# Approved: (reason, days the bill was paid after its due date).
APPROVED = [
    # each eligible reason, bill paid 10 days late
    ("forgot", 10),
    ("temporary_hardship", 10),
    ("system_error", 10),
    # paid exactly 30 days late: still "within 30 days"
    ("forgot", 30),
]

# Approved repairs of a utility bill paid 10 days late: (due date, due date of another utility
# bill paid on time, or None)
LIVING_BILLS = {
    # paid late on May 5th, in the month of the other bill's payment: on time it would have
    # been paid in April, a month of its own
    "living_bill_month_collision": (date(2026, 4, 25), date(2026, 5, 25)),
    # due before the 12-month behaviour window (from 2025-07-01), paid late inside it: on time
    # it would have been paid before the window
    "living_bill_window_edge": (date(2025, 6, 25), None),
}

# Rejected for not_paid_within_30_days: (name, due date, paid_at, amount_paid, overdue days at D).
NOT_PAID_WITHIN_30_DAYS = [
    # paid in full 31 days after the due date: one day too late
    ("paid_31_days_late", DUE, at(DUE + days(31)), 100.0, 31),
    # never paid: overdue D - DUE days
    ("unpaid", DUE, None, 0.0, (D - DUE).days),
    # paid 5 days late but only half of the amount due: counts as unpaid
    ("partially_paid", DUE, at(DUE + days(5)), 50.0, (D - DUE).days),
    # paid 11 days late, but after D: unpaid at D, so not (yet) paid within 30 days
    ("paid_after_d", D - days(10), start_of(D + days(1)), 100.0, 10),
]

# Rejected for not_overdue: (name, due date, paid_at).
NOT_OVERDUE = [
    # paid the day before the due date
    ("paid_before_due_date", DUE, at(DUE - days(1))),
    # paid in the last microsecond of the due date: on time
    ("paid_on_due_date_last_microsecond", DUE, end_of(DUE)),
    # unpaid, due on D: not overdue on its due date
    ("unpaid_due_on_d", D, None),
    # due after D: not yet known, certainly not overdue
    ("due_after_d", D + days(5), None),
]


@pytest.fixture(scope="module")
def repairs(tmp_path_factory: pytest.TempPathFactory) -> Repairs:
    base = tmp_path_factory.mktemp("repairs")
    result = Repairs(Settings(warehouse=base / "warehouse", input=base / "exports"))
    exports = Exports()
    user_ids = iter(range(1, 1000))

    def user(name: str) -> int:
        user_id = next(user_ids)
        result.users[name] = user_id
        exports.active_user(user_id, D)
        return user_id

    def late_bill(name: str, late: int = 10, **fields: Any) -> tuple[int, int]:
        user_id = user(name)
        bill_id = exports.bill(user_id, DUE, paid=at(DUE + days(late)), **fields)
        result.bills[name] = bill_id
        return user_id, bill_id

    # twins of the approved users: the same bill paid on time, and paid late with no request
    on_time = user("on_time")
    exports.bill(on_time, DUE, paid=at(DUE - days(1)))
    late_bill("late_no_request")

    for reason, late in APPROVED:
        name = f"approved_{reason}_{late}"
        user_id, bill_id = late_bill(name, late)
        result.requests[name] = exports.repair(user_id, bill_id, at(D - days(20)), reason)

    user_id, bill_id = late_bill("reason_other")
    result.requests["reason_other"] = exports.repair(user_id, bill_id, at(D - days(20)), "other")

    for name, due, paid, amount_paid, _ in NOT_PAID_WITHIN_30_DAYS:
        user_id = user(name)
        bill_id = exports.bill(user_id, due, paid=paid, amount_paid=amount_paid)
        result.requests[name] = exports.repair(user_id, bill_id, end_of(D), "forgot")

    user_id, bill_id = late_bill("deliberate", deliberate_default=True)
    result.requests["deliberate"] = exports.repair(user_id, bill_id, at(D - days(20)), "forgot")

    for name, due, paid in NOT_OVERDUE:
        user_id = user(name)
        bill_id = exports.bill(user_id, due, paid=paid)
        result.requests[name] = exports.repair(user_id, bill_id, end_of(D), "forgot")

    # bill_not_found: a bill id nobody has, and the repairable bill of another user
    user_id = user("unknown_bill")
    result.requests["unknown_bill"] = exports.repair(user_id, UNKNOWN_BILL, at(D - days(20)))
    _, others_bill = late_bill("bill_owner")
    user_id = user("asks_for_others_bill")
    result.requests["others_bill"] = exports.repair(user_id, others_bill, at(D - days(20)))

    # the 365-day chain: A approved; B 200 days after A rejected; C 366 days after A approved
    # (B, rejected, does not count). Each bill paid 5 days late, all due in the 24-month lookback.
    user_id = user("chain")
    t0 = at(date(2025, 3, 1))
    for name, requested in (
        ("chain_a", t0),
        ("chain_b", t0 + days(200)),
        ("chain_c", t0 + days(366)),
    ):
        due = requested.date() - days(10)
        bill_id = exports.bill(user_id, due, paid=at(due + days(5)))
        result.requests[name] = exports.repair(user_id, bill_id, requested)

    # requested after D: not decided at D; requested in D's last microsecond: decided at D
    for name, requested in (
        ("requested_after_d", start_of(D + days(1))),
        ("requested_at_d_end", end_of(D)),
    ):
        user_id, bill_id = late_bill(name)
        result.requests[name] = exports.repair(user_id, bill_id, requested)

    # living (utility) bills: the repaired bill's late payment lands in another month than an
    # on-time one would; (due date, the twins' other living bill due date or None)
    for name, (due, other_due) in LIVING_BILLS.items():
        for variant, paid in (("repaired", at(due + days(10))), ("on_time", at(due - days(1)))):
            user_id = user(f"{name}_{variant}")
            bill_id = exports.bill(user_id, due, paid=paid, product="utility")
            if other_due is not None:
                exports.bill(user_id, other_due, paid=at(other_due - days(1)), product="utility")
            if variant == "repaired":
                result.requests[name] = exports.repair(user_id, bill_id, at(due + days(20)))

    # takes effect from requested_at: a request after D_BEFORE for a bill overdue before it
    user_id, bill_id = late_bill("takes_effect")
    result.requests["takes_effect"] = exports.repair(user_id, bill_id, at(D_BEFORE + days(5)))

    pipeline.run(result.settings, [D_BEFORE, D], exports)
    return result


def test_repair_decisions_are_as_of_the_latest_scored_date(repairs: Repairs) -> None:
    frame = pipeline.query(repairs.settings, "select distinct decided_as_of from repair_decisions")
    assert frame["decided_as_of"].to_list() == [D]


@pytest.mark.parametrize(
    ("reason", "late"), APPROVED, ids=[f"{reason}_{late}_days_late" for reason, late in APPROVED]
)
def test_all_rules_met(repairs: Repairs, reason: str, late: int) -> None:
    name = f"approved_{reason}_{late}"
    decision = repairs.decision(name)
    assert (decision["decision"], decision["rule"]) == ("approved", "all_rules_met")
    assert decision["user_id"] == repairs.users[name]
    assert decision["bill_id"] == repairs.bills[name]
    assert decision["reason"] == reason
    # the overdue no longer counts: as if paid on time
    assert repairs.features(name)["overdue_days"] == 0
    assert without_user(repairs.features(name)) == without_user(repairs.features("on_time"))
    assert repairs.score(name) == repairs.score("on_time")


@pytest.mark.parametrize("name", list(LIVING_BILLS))
def test_all_rules_met_living_bill_scores_as_paid_on_time(repairs: Repairs, name: str) -> None:
    decision = repairs.decision(name)
    assert (decision["decision"], decision["rule"]) == ("approved", "all_rules_met")
    repaired = repairs.features(f"{name}_repaired")
    assert repaired["overdue_days"] == 0
    on_time = repairs.features(f"{name}_on_time")
    assert repaired["living_payment_months"] == on_time["living_payment_months"]
    assert repairs.score(f"{name}_repaired") == repairs.score(f"{name}_on_time")


def test_overdue_without_repair_costs_points(repairs: Repairs) -> None:
    """The twin the approved users are compared with: the same late bill does cost points."""
    assert repairs.features("late_no_request")["overdue_days"] == 10
    assert repairs.score("late_no_request") < repairs.score("on_time")


def test_reason_not_eligible(repairs: Repairs) -> None:
    decision = repairs.decision("reason_other")
    assert (decision["decision"], decision["rule"]) == ("rejected", "reason_not_eligible")
    assert repairs.features("reason_other")["overdue_days"] == 10
    assert repairs.score("reason_other") == repairs.score("late_no_request")


@pytest.mark.parametrize(
    ("name", "overdue_days"),
    [(name, overdue) for name, _, _, _, overdue in NOT_PAID_WITHIN_30_DAYS],
    ids=[case[0] for case in NOT_PAID_WITHIN_30_DAYS],
)
def test_not_paid_within_30_days(repairs: Repairs, name: str, overdue_days: int) -> None:
    decision = repairs.decision(name)
    assert (decision["decision"], decision["rule"]) == ("rejected", "not_paid_within_30_days")
    assert repairs.features(name)["overdue_days"] == overdue_days


def test_deliberate_default(repairs: Repairs) -> None:
    decision = repairs.decision("deliberate")
    assert (decision["decision"], decision["rule"]) == ("rejected", "deliberate_default")
    features = repairs.features("deliberate")
    assert (features["deliberate_default_days"], features["overdue_days"]) == (10, 0)


@pytest.mark.parametrize("name", [case[0] for case in NOT_OVERDUE])
def test_not_overdue(repairs: Repairs, name: str) -> None:
    decision = repairs.decision(name)
    assert (decision["decision"], decision["rule"]) == ("rejected", "not_overdue")
    assert repairs.features(name)["overdue_days"] == 0


@pytest.mark.parametrize(
    "name",
    [
        # the bill id is in no export
        "unknown_bill",
        # the bill exists, but belongs to another user
        "others_bill",
    ],
)
def test_bill_not_found(repairs: Repairs, name: str) -> None:
    decision = repairs.decision(name)
    assert (decision["decision"], decision["rule"]) == ("rejected", "bill_not_found")


def test_bill_not_found_leaves_the_owners_overdue(repairs: Repairs) -> None:
    assert repairs.features("bill_owner")["overdue_days"] == 10


def test_repair_in_previous_365_days(repairs: Repairs) -> None:
    decisions = {
        name: (repairs.decision(name)["decision"], repairs.decision(name)["rule"])
        for name in ("chain_a", "chain_b", "chain_c")
    }
    assert decisions == {
        "chain_a": ("approved", "all_rules_met"),
        "chain_b": ("rejected", "repair_in_previous_365_days"),
        "chain_c": ("approved", "all_rules_met"),
    }
    # only B's bill (5 days late) still counts
    assert repairs.features("chain")["overdue_days"] == 5


def test_repair_requested_after_d_is_not_decided(repairs: Repairs) -> None:
    frame = pipeline.query(
        repairs.settings,
        "select request_id from repair_decisions where user_id = $u",
        {"u": repairs.users["requested_after_d"]},
    )
    assert frame.height == 0
    assert repairs.features("requested_after_d")["overdue_days"] == 10
    decision = repairs.decision("requested_at_d_end")
    assert (decision["decision"], decision["rule"]) == ("approved", "all_rules_met")
    assert repairs.features("requested_at_d_end")["overdue_days"] == 0


def test_repair_takes_effect_from_requested_at(repairs: Repairs) -> None:
    assert repairs.decision("takes_effect")["decision"] == "approved"
    assert repairs.features("takes_effect", D_BEFORE)["overdue_days"] == 10
    assert repairs.features("takes_effect", D)["overdue_days"] == 0
    assert repairs.score("takes_effect", D_BEFORE) == repairs.score("late_no_request", D_BEFORE)
    assert repairs.score("takes_effect", D) == repairs.score("on_time", D)


def test_repair_decisions_one_row_per_request_with_user_partitions(
    repairs: Repairs, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = tmp_path_factory.mktemp("repairs_partitioned")
    settings = Settings(
        warehouse=base / "warehouse", input=repairs.settings.input, user_partitions=2
    )
    pipeline.run(settings, [D])
    sql = "select request_id, decision, rule from repair_decisions order by all"
    expected = pipeline.query(repairs.settings, sql).rows()
    assert pipeline.query(settings, sql).rows() == expected
