"""Scoring one snapshot date: SQL models for the aggregates, the Polars scorecard for the score.

Per date D, users are split into ``partitions`` by a hash of user_id; each partition runs the
intermediate models (point in time at each request's date), collects its aggregates once into
Polars, scores them and stages its snapshot rows. Then the checks of ``sql/checks`` run on the
staged rows, and only then are D's rows replaced in the warehouse tables (inside the run's
private copy of the warehouse; see ``sesame.warehouse``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb

from sesame.errors import CheckFailedError
from sesame.settings import Settings
from sesame.sqlmodels import SQL_DIR, bind, materialize, read_sql
from sesame.transforms.scorecard import Scorecard, score_features
from sesame.warehouse import pause_point

log = logging.getLogger(__name__)

# The models of one scoring pass, in dependency order; each becomes a temporary table.
FEATURE_MODELS = (
    "intermediate/int_repair_decisions",
    "intermediate/int_bills_status",
    "intermediate/int_negative_records_status",
    "intermediate/int_transaction_months",
    "intermediate/int_features_credit_history",
    "intermediate/int_features_identity",
    "intermediate/int_features_capacity",
    "intermediate/int_features_behavior",
    "intermediate/int_features_relationships",
    "marts/fct_user_features",
)


@dataclass(frozen=True)
class DateResult:
    """What scoring one date wrote."""

    snapshot_date: date
    users: int
    unscorable: int
    tiers: dict[str, int]


def month_ends_before(as_of: date, months: int) -> list[date]:
    """The last days of the ``months`` calendar months before ``as_of``'s month, oldest first."""
    ends = []
    first_of_month = as_of.replace(day=1)
    for _ in range(months):
        end = first_of_month - timedelta(days=1)
        ends.append(end)
        first_of_month = end.replace(day=1)
    return sorted(ends)


def month_ends_between(start: date, end: date) -> list[date]:
    """Every month-end from ``start`` to ``end`` inclusive."""
    dates = []
    current = start
    while current <= end:
        next_month = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
        month_end = next_month - timedelta(days=1)
        if month_end <= end:
            dates.append(month_end)
        current = next_month
    return dates


def missing_dates(
    con: duckdb.DuckDBPyConnection, dates: list[date], model_version: str
) -> list[date]:
    """The dates among ``dates`` that have no snapshot of this model yet."""
    done = {
        row[0]
        for row in con.execute(
            "select snapshot_date from snapshot_dates where model_version = $model_version",
            {"model_version": model_version},
        ).fetchall()
    }
    return [d for d in dates if d not in done]


def _stage_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create or replace temp table new_snapshots as from score_snapshots limit 0")
    con.execute("drop table if exists new_features")
    con.execute("create or replace temp table new_repairs as from repair_decisions limit 0")


def score_date(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    card: Scorecard,
    snapshot_date: date,
    run_id: str,
) -> DateResult:
    """Scores every user registered by ``snapshot_date`` and replaces that date's rows."""
    parameters: dict[str, Any] = settings.sql_parameters() | {
        "snapshot_date": snapshot_date,
        "model_version": card.model_version,
        "run_id": run_id,
        "partitions": settings.user_partitions,
    }
    started = time.perf_counter()
    _stage_tables(con)
    for partition in range(settings.user_partitions):
        _score_partition(con, card, parameters | {"partition": partition})
    run_checks(con, parameters)
    _replace_date(con, snapshot_date, card.model_version, run_id)
    pause_point("score")
    rows = con.execute(
        "select tier, count(*) from new_snapshots group by tier order by tier"
    ).fetchall()
    tiers = {row[0]: int(row[1]) for row in rows}
    result = DateResult(
        snapshot_date=snapshot_date,
        users=sum(tiers.values()),
        unscorable=tiers.get("unscorable", 0),
        tiers=tiers,
    )
    log.info(
        "scored %s: %s users (%s unscorable) in %.1f s",
        snapshot_date,
        f"{result.users:,}",
        f"{result.unscorable:,}",
        time.perf_counter() - started,
    )
    return result


def _score_partition(
    con: duckdb.DuckDBPyConnection, card: Scorecard, parameters: dict[str, Any]
) -> None:
    materialize(con, "intermediate/int_score_requests", parameters, table="score_requests")
    for model in FEATURE_MODELS:
        materialize(con, model, parameters)
    features = con.sql("select * from fct_user_features").pl(lazy=True)
    scored_requests = score_features(features, card=card).collect()
    con.register("scored_requests", scored_requests)
    try:
        materialize(con, "marts/fct_score_snapshots", parameters, table="partition_snapshots")
    finally:
        con.unregister("scored_requests")
    con.execute("insert into new_snapshots by name from partition_snapshots")
    con.execute(
        "create temp table if not exists new_features as "
        "select * exclude (is_snapshot), '' as model_version, '' as run_id "
        "from fct_user_features limit 0"
    )
    con.execute(
        "insert into new_features by name select * exclude (is_snapshot), "
        "$model_version as model_version, $run_id as run_id "
        "from fct_user_features where is_snapshot",
        {"model_version": parameters["model_version"], "run_id": parameters["run_id"]},
    )
    con.execute(
        "insert into new_repairs by name select * exclude (snapshot_date), "
        "snapshot_date as decided_as_of, $run_id as run_id "
        "from int_repair_decisions where snapshot_date = $snapshot_date",
        {"run_id": parameters["run_id"], "snapshot_date": parameters["snapshot_date"]},
    )


def run_checks(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> None:
    """Runs each ``sql/checks/assert_*.sql`` on the staged rows; an offending row stops the run."""
    for path in sorted((SQL_DIR / "checks").glob("assert_*.sql")):
        name = f"checks/{path.stem}"
        sql = read_sql(name)
        relation = con.sql(sql, params=bind(sql, parameters))
        offending = relation.limit(3).fetchall()
        if offending:
            count_sql = f"select count(*) from ({sql})"
            total = con.execute(count_sql, bind(sql, parameters)).fetchall()[0][0]
            columns = relation.columns
            first = "; ".join(
                ", ".join(f"{c}={v}" for c, v in zip(columns, row, strict=True))
                for row in offending
            )
            raise CheckFailedError(
                path.stem,
                int(total),
                f"{_check_meaning(sql)} (date {parameters['snapshot_date']}; first rows: {first})",
            )


def _check_meaning(sql: str) -> str:
    """The sentence of a check's header that says what a failure means."""
    for line in sql.splitlines():
        if line.startswith("-- A failure means"):
            return line.removeprefix("-- ").rstrip(".")
    return "offending rows found"


def _replace_date(
    con: duckdb.DuckDBPyConnection, snapshot_date: date, model_version: str, run_id: str
) -> None:
    """Replaces one date's rows: re-running a date never duplicates anything."""
    con.execute("create table if not exists dimension_aggregates as from new_features limit 0")
    on_date = {"snapshot_date": snapshot_date}
    con.execute("delete from score_snapshots where snapshot_date = $snapshot_date", on_date)
    con.execute("insert into score_snapshots by name from new_snapshots order by user_id")
    con.execute("delete from dimension_aggregates where snapshot_date = $snapshot_date", on_date)
    con.execute("insert into dimension_aggregates by name from new_features order by user_id")
    latest = con.execute("select max(decided_as_of) from repair_decisions").fetchall()[0][0]
    if latest is None or snapshot_date >= latest:  # the table shows the latest date's decisions
        con.execute("delete from repair_decisions")
        con.execute("insert into repair_decisions by name from new_repairs order by request_id")
    counts = con.execute(
        "select count(*), count(*) filter (where score is null) from new_snapshots"
    ).fetchall()[0]
    con.execute("delete from snapshot_dates where snapshot_date = $snapshot_date", on_date)
    con.execute(
        "insert into snapshot_dates values "
        "($snapshot_date, $model_version, $users, $unscorable, $run_id, current_localtimestamp())",
        {
            "snapshot_date": snapshot_date,
            "model_version": model_version,
            "users": counts[0],
            "unscorable": counts[1],
            "run_id": run_id,
        },
    )
