"""Outcomes (contract section 5), rule by rule at their boundaries, through the real ingest, scoring
and ``sql/marts/fct_outcomes.sql``.

One shared export: every user is steady up to S (a year of huabei bills paid on time) and then
differs in one thing after S. S's performance window is (S, S + 12 months]; bills due in
(S, S + 9 months] make the outcome.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from sesame.dates import add_months
from sesame.outcomes import (
    latest_closed_month_end,
    materialize_outcomes,
    performance_end,
    window_closed,
)
from sesame.settings import Settings
from sesame.warehouse import connect_read_only
from tests import pipeline
from tests.builders import Exports, at

S = date(2025, 6, 30)
END = performance_end(S)  # 2026-06-30
LAST_DUE = add_months(S, 9)  # 2026-03-30
SOON = S + timedelta(days=30)  # a due date well inside the window


def late(due: date, days: int) -> Any:
    return at(due + timedelta(days=days), 12)


# label -> (builder, expected outcome, expected worst days past due); None outcome = no row
SCENARIOS: dict[str, tuple[Any, str | None, int | None]] = {}


def scenario(label: str, outcome: str | None, worst: int | None = None) -> Any:
    def register(builder: Any) -> Any:
        SCENARIOS[label] = (builder, outcome, worst)
        return builder

    return register


@scenario("no_bill_after_s", "good", 0)
def _no_bill(e: Exports, user: int) -> None:
    pass


@scenario("paid_on_its_due_date", "good", 0)
def _on_time(e: Exports, user: int) -> None:
    e.bill(user, SOON, paid=at(SOON, 18))


@scenario("paid_29_days_late", "good", 29)
def _late_29(e: Exports, user: int) -> None:
    e.bill(user, SOON, paid=late(SOON, 29))


@scenario("paid_30_days_late", "indeterminate", 30)
def _late_30(e: Exports, user: int) -> None:
    e.bill(user, SOON, paid=late(SOON, 30))


@scenario("paid_89_days_late", "indeterminate", 89)
def _late_89(e: Exports, user: int) -> None:
    e.bill(user, SOON, paid=late(SOON, 89))


@scenario("paid_90_days_late", "bad", 90)
def _late_90(e: Exports, user: int) -> None:
    e.bill(user, SOON, paid=late(SOON, 90))


@scenario("unpaid_due_on_the_last_day_of_the_due_window", "bad", (END - LAST_DUE).days)
def _unpaid_last_due(e: Exports, user: int) -> None:
    e.bill(user, LAST_DUE, paid=None)


@scenario("unpaid_due_the_day_after_the_due_window", "good", 0)
def _unpaid_after(e: Exports, user: int) -> None:
    e.bill(user, LAST_DUE + timedelta(days=1), paid=None)


@scenario("unpaid_due_on_s_itself", "good", 0)
def _unpaid_on_s(e: Exports, user: int) -> None:
    e.bill(user, S, paid=None)  # due on S: not in (S, S + 9 months], and only 0 days late at S


@scenario("paid_after_the_window_counts_as_unpaid", "bad", (END - SOON).days)
def _paid_after_end(e: Exports, user: int) -> None:
    e.bill(user, SOON, paid=at(END + timedelta(days=1)))


@scenario("a_partial_payment_is_unpaid", "bad", (END - SOON).days)
def _partial(e: Exports, user: int) -> None:
    e.bill(user, SOON, paid=late(SOON, 1), amount_paid=50.0)


@scenario("only_credit_bills_count", "good", 0)
def _utility(e: Exports, user: int) -> None:
    for product in ("utility", "phone", "rent"):
        e.bill(user, SOON, paid=None, product=product)


@scenario("every_credit_product_counts", "bad", (END - SOON).days)
def _products(e: Exports, user: int) -> None:
    e.bill(user, SOON, paid=at(SOON), product="huabei")
    e.bill(user, SOON, paid=None, product="installment_loan")


@scenario("an_approved_repair_counts_as_paid_on_time", "good", 0)
def _repaired(e: Exports, user: int) -> None:
    bill = e.bill(user, SOON, paid=late(SOON, 30))
    e.repair(user, bill, late(SOON, 31), reason="forgot")


@scenario("a_rejected_repair_leaves_the_overdue", "indeterminate", 30)
def _rejected(e: Exports, user: int) -> None:
    bill = e.bill(user, SOON, paid=late(SOON, 30))
    e.repair(user, bill, late(SOON, 31), reason="other")


@scenario("a_repair_asked_after_the_window_does_not_count", "indeterminate", 30)
def _repair_later(e: Exports, user: int) -> None:
    bill = e.bill(user, SOON, paid=late(SOON, 30))
    e.repair(user, bill, at(END + timedelta(days=1)), reason="forgot")


@scenario("a_deliberate_default_is_never_repaired", "bad", 95)
def _deliberate(e: Exports, user: int) -> None:
    bill = e.bill(user, SOON, paid=late(SOON, 95), deliberate_default=True)
    e.repair(user, bill, late(SOON, 96), reason="forgot")


@scenario("excluded_90_days_past_due_at_s", None)
def _excluded(e: Exports, user: int) -> None:
    e.bill(user, S - timedelta(days=90), paid=None)


@scenario("not_excluded_89_days_past_due_at_s", "good", 0)
def _not_excluded(e: Exports, user: int) -> None:
    e.bill(user, S - timedelta(days=89), paid=None)


@scenario("not_excluded_when_paid_by_s", "good", 0)
def _paid_by_s(e: Exports, user: int) -> None:
    due = S - timedelta(days=120)
    e.bill(user, due, paid=at(S))  # 120 days late, but paid in full by the end of S


@scenario("a_living_bill_long_overdue_at_s_does_not_exclude", "good", 0)
def _living_overdue(e: Exports, user: int) -> None:
    e.bill(user, S - timedelta(days=200), paid=None, product="utility")


@scenario("unscorable_at_s_has_no_outcome", None)
def _unscorable(e: Exports, user: int) -> None:
    pass  # built without activity below


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    root: Path = tmp_path_factory.mktemp("outcomes")
    settings = Settings(warehouse=root / "warehouse", input=root / "exports")
    exports = Exports()
    ids = itertools.count(1)
    users = {}
    for label, (builder, _, _) in SCENARIOS.items():
        user = next(ids)
        users[label] = user
        if label == "unscorable_at_s_has_no_outcome":
            exports.user(user)
        else:
            exports.active_user(user, S)
        builder(exports, user)
    pipeline.run(settings, [S], exports)
    con = connect_read_only(settings)
    try:
        table = materialize_outcomes(con, S)
        rows = con.sql(f"select * from {table}").pl().rows_by_key("user_id", named=True)
    finally:
        con.close()
    return {label: (rows[user][0] if user in rows else None) for label, user in users.items()}


@pytest.mark.parametrize("label", list(SCENARIOS))
def test_outcome_rule(outcomes: dict[str, dict[str, Any] | None], label: str) -> None:
    _, expected, worst = SCENARIOS[label]
    row = outcomes[label]
    if expected is None:
        assert row is None, row
        return
    assert row is not None
    assert row["outcome"] == expected, row
    assert row["worst_days_past_due"] == worst, row
    assert row["snapshot_date"] == S


@pytest.mark.parametrize(
    ("as_of", "snapshot"),
    [
        (date(2026, 10, 31), date(2025, 10, 31)),  # D a month-end: S twelve months before
        (date(2026, 10, 30), date(2025, 9, 30)),  # 2025-10-31 + 12 months is after D
        (date(2026, 11, 15), date(2025, 10, 31)),  # mid-month
        (date(2026, 2, 28), date(2025, 2, 28)),  # February
        (date(2028, 2, 29), date(2027, 2, 28)),  # a leap day
    ],
)
def test_the_latest_month_end_whose_window_is_closed(as_of: date, snapshot: date) -> None:
    assert latest_closed_month_end(as_of) == snapshot
    assert window_closed(snapshot, as_of)
    following = add_months(snapshot.replace(day=1), 2) - timedelta(days=1)  # next month-end
    assert not window_closed(following, as_of)
