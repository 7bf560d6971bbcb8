"""Outcomes (contract section 5): what became of the users scored at a snapshot date S.

``materialize_outcomes`` runs ``sql/marts/fct_outcomes.sql`` for one S into a temporary table,
from the staged bills, point in time at S + 12 months. It works on the run's connection and on
a read-only one (temporary tables only), so ``sesame validate`` and ``sesame fit`` use it too.
"""

from __future__ import annotations

from datetime import date

import duckdb

from sesame import rules
from sesame.dates import add_months, month_end, previous_month_end
from sesame.sqlmodels import execute, materialize

OUTCOMES_TABLE = "fct_outcomes"


def performance_end(snapshot_date: date) -> date:
    """The last day of S's performance window: S + 12 months."""
    return add_months(snapshot_date, rules.PERFORMANCE_MONTHS)


def window_closed(snapshot_date: date, as_of: date) -> bool:
    """S's performance window is closed on D when S + 12 months <= D."""
    return performance_end(snapshot_date) <= as_of


def latest_closed_month_end(as_of: date) -> date:
    """The latest month-end S whose performance window is closed on ``as_of``."""
    candidate = add_months(as_of, -rules.PERFORMANCE_MONTHS)
    if window_closed(month_end(candidate), as_of):
        return month_end(candidate)
    return previous_month_end(candidate)  # the month of D - 12 months has not ended yet


def materialize_outcomes(con: duckdb.DuckDBPyConnection, snapshot_date: date) -> str:
    """Computes S's outcomes into the temporary table ``fct_outcomes`` and returns its name.

    The repair decisions that count are those known at the end of the window, for the users
    scored at S: they are computed here with the same model the scoring uses.
    """
    end = performance_end(snapshot_date)
    execute(
        con,
        "create or replace temp table score_requests as "
        "select distinct user_id, cast($end as date) as snapshot_date, true as is_snapshot, "
        "false as friends_only "
        "from score_snapshots where snapshot_date = $snapshot_date and score is not null",
        {"end": end, "snapshot_date": snapshot_date},
    )
    parameters = rules.sql_parameters() | {
        "snapshot_date": snapshot_date,
        "credit_products": list(rules.CREDIT_PRODUCTS),
    }
    try:
        for model in ("intermediate/int_feature_requests", "intermediate/int_repair_decisions"):
            materialize(con, model, parameters)
        materialize(con, "marts/fct_outcomes", parameters, table=OUTCOMES_TABLE)
    finally:
        for table in ("score_requests", "int_feature_requests", "int_repair_decisions"):
            con.execute(f"drop table if exists temp.main.{table}")
    return OUTCOMES_TABLE
