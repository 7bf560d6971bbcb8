"""The nightly reports: what changed, why, and who to watch (contract section 3, Reports).

``build_reports`` runs the report models of ``sql/reports`` and the Polars steps for one report
date and replaces that date's rows in every report table (inside the run's private copy of the
warehouse). ``write_report_files`` exports each table as CSV and Parquet plus one HTML page into
``reports/<date>/``, built aside and moved in place after the warehouse is published.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow.parquet as pq

from sesame import __version__, rules
from sesame.catalog import order_clause
from sesame.files import PRIVATE_FILE, ensure_private_dir, move_into_place
from sesame.partitions import ALL_USERS, in_range, user_ranges
from sesame.settings import Settings
from sesame.sqlmodels import bind, define_view, materialize, read_sql, relation, run_statements
from sesame.timing import timed
from sesame.transforms.drops import point_changes
from sesame.transforms.scorecard import Scorecard, code_points_lost
from sesame.transforms.stuck import factor_counts, factors_from_counts, point_sums, stuck_users
from sesame.validation import frames, validate

log = logging.getLogger(__name__)

# The report tables, in the order the HTML page and the exports list them.
REPORT_TABLES = (
    "report_score_drops",
    "report_stuck_users",
    "report_stuck_factors",
    "report_tier_changes",
    "report_tier_migration",
    "report_borrowing_risk",
    "report_negative_records",
    "repair_decisions",
    "report_population",
    "report_score_distribution",
    "report_model_performance",
    "report_score_bands",
    "report_characteristic_stability",
)
STUCK_USERS_PER_RANGE = 100_000  # users whose month-ends the stuck report holds at once
DROPS_USERS_PER_RANGE = 100_000  # users whose two dates' points the drops report holds at once
EXPORT_BATCH_ROWS = 100_000  # rows of a report the CSV and Parquet files are written from at once
# Reports that are a SQL model each, materialised as they are.
SQL_REPORTS = (
    "report_tier_changes",
    "report_tier_migration",
    "report_borrowing_risk",
    "report_negative_records",
    "report_population",
    "report_score_distribution",
)


@dataclass(frozen=True)
class ReportSummary:
    """Rows per report table for one date, where the files went, and the validation's
    warnings (rank order, Gini, stability)."""

    report_date: date
    rows: dict[str, int]
    folder: Path | None = None
    warnings: tuple[str, ...] = ()


def report_parameters(settings: Settings, card: Scorecard, report_date: date) -> dict[str, Any]:
    """The bound parameters of one date's report models."""
    return (
        settings.sql_parameters()
        | rules.sql_parameters()
        | card.parameters
        | {"report_date": report_date}
    )


def build_reports(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    card: Scorecard,
    report_date: date,
    challengers: tuple[Scorecard, ...] = (),
) -> ReportSummary:
    """Computes every report for ``report_date`` and replaces that date's report rows.
    ``challengers``: the challenger cards of the run (validated beside the champion)."""
    started = time.perf_counter()
    parameters = report_parameters(settings, card, report_date)
    # the previous month-end is the baseline of the distribution and population reports, bound
    # as a value so that their reads of score_snapshots touch two dates, not the history
    dates = relation(con, "marts/fct_report_dates", parameters)
    parameters |= dict(zip(dates.columns, dates.fetchall()[0], strict=True))
    # the month-ends report_borrowing_risk reads (its only reader among the SQL reports): the
    # latest and the $declining_months before it, not the stuck reports' year of them
    recent = {"report_months": settings.declining_months + 1}
    materialize(con, "marts/fct_month_end_scores", parameters | in_range(ALL_USERS) | recent)
    materialize(con, "marts/fct_previous_snapshots", parameters)
    define_view(con, "marts/fct_negative_records")
    define_view(con, "marts/fct_user_events")
    basis = _month_end_basis(con, parameters)
    staged: dict[str, str] = {}
    for name in SQL_REPORTS:
        staged[name] = materialize(con, f"reports/{name}", parameters, table=f"new_{name}")
    # dropped before the Polars steps, which need the memory; the stuck reports read a year of
    # month-ends range by range
    con.execute("drop table fct_month_end_scores")
    with timed(log, "report step report_score_drops"):
        staged["report_score_drops"] = _score_drops(con, card, parameters)
    con.execute("drop table fct_previous_snapshots")
    con.execute("drop view fct_user_events")
    con.execute("drop view fct_negative_records")
    with timed(log, "report step report_stuck_users and report_stuck_factors"):
        staged.update(_stuck(con, settings, card, parameters, basis))
    with timed(log, "report step validation"):
        checked = validate(con, settings, [card, *challengers], report_date, keep=True)
    for name, frame in frames(checked).items():
        con.register("validation_frame", frame)
        try:
            con.execute(f"create or replace temp table new_{name} as from validation_frame")
        finally:
            con.unregister("validation_frame")
        staged[name] = f"new_{name}"
    for warning in checked.warnings:
        log.warning("validation warning: %s", warning)
    rows = {}
    for name, table in staged.items():
        con.execute(f"create table if not exists {name} as from {table} limit 0")
        _add_new_columns(con, name, table)
        con.execute(
            f"delete from {name} where report_date = $report_date", {"report_date": report_date}
        )
        con.execute(f"insert into {name} by name from {table}")
        rows[name] = int(con.execute(f"select count(*) from {table}").fetchall()[0][0])
        con.execute(f"drop table {table}")
    rows["repair_decisions"] = int(
        relation(con, "report_summary/repair_decisions_held").fetchall()[0][0]
    )
    log.info(
        "reports for %s: %s in %.1f s",
        report_date,
        ", ".join(f"{n.removeprefix('report_')} {c:,}" for n, c in rows.items()),
        time.perf_counter() - started,
    )
    return ReportSummary(report_date, rows, warnings=tuple(checked.warnings))


def _add_new_columns(con: duckdb.DuckDBPyConnection, name: str, staged: str) -> None:
    """Adds to report table ``name`` the columns its new rows (``staged``) have and it lacks: a
    warehouse made by an earlier version gets them, empty for its earlier dates."""
    have = {column for column, *_ in con.sql(f"describe {name}").fetchall()}
    for column, kind, *_ in con.sql(f"describe {staged}").fetchall():
        if column not in have:
            con.execute(f'alter table {name} add column "{column}" {kind}')


def _score_drops(
    con: duckdb.DuckDBPyConnection, card: Scorecard, parameters: dict[str, Any]
) -> str:
    """report_score_drops: fct_score_drops' users plus their exact per-characteristic point
    changes, computed from fct_score_drop_features range by range of users."""
    materialize(con, "marts/fct_score_drops", parameters)
    report_date = parameters["report_date"]
    # a user brings a row per characteristic and date here: taken in ranges of users, so that
    # memory holds one range's (measured at 1M users on a month-end night, 885k users scored
    # again: all of them at once took the run's peak from 2.2 to 3.9 GB)
    ranges = relation(
        con, "marts/fct_score_drop_ranges", {"users_per_range": DROPS_USERS_PER_RANGE}
    ).fetchall()
    # each range's point changes go into DuckDB as they are made (which can spill), so that
    # Python holds one range's, not every dropped user's (millions on a first night at 3M)
    for number, user_from, user_to in ranges or [(0, 0, -1)]:  # one, empty, if none fell
        features = relation(
            con, "marts/fct_score_drop_features", in_range((user_from, user_to))
        ).pl()
        current = features.lazy().filter(pl.col("snapshot_date") == report_date)
        previous = features.lazy().filter(pl.col("snapshot_date") != report_date)
        changes = point_changes(previous, current, card=card).collect()
        del features
        append_rows(con, "score_drop_changes", changes, first=number == 0)
        del changes
    materialize(con, "reports/report_score_drops", table="new_report_score_drops")
    con.execute("drop table score_drop_changes")
    con.execute("drop table fct_score_drops")
    return "new_report_score_drops"


def _stuck(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    card: Scorecard,
    parameters: dict[str, Any],
    basis: str,
) -> dict[str, str]:
    """report_stuck_users and report_stuck_factors: copied from an earlier report date computed
    from the same month-end snapshots (``basis``; most nights add none), else computed
    (``_compute_stuck``)."""
    on_basis = {"report_date": parameters["report_date"], "basis": basis}
    earlier = relation(con, "report_bases/stuck_reused_from", on_basis).fetchall()[0][0]
    if earlier is None:
        _compute_stuck(con, settings, card, parameters)
    else:
        run_statements(con, "report_bases/reuse_stuck", on_basis | {"earlier": earlier})
        log.info("stuck reports: the month-ends are those of %s, its rows reused", earlier)
    run_statements(con, "report_bases/record_stuck_basis", on_basis)
    return {
        "report_stuck_users": "new_report_stuck_users",
        "report_stuck_factors": "new_report_stuck_factors",
    }


def _month_end_basis(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> str:
    """What the stuck reports of a date are computed from: the month-end snapshots of its window
    (each date with the run that wrote it), the window's length and sesame's version."""
    sql = read_sql("marts/fct_month_end_basis")
    rows = con.execute(sql, bind(sql, parameters)).fetchall()
    return f"sesame {__version__}; months {parameters['report_months']}; {rows[0][0] or ''}"


def _compute_stuck(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    card: Scorecard,
    parameters: dict[str, Any],
) -> None:
    """report_stuck_users and report_stuck_factors from the month-end scores (Polars).

    A user's months without a rise depend on their own month-ends only: they are computed in
    user ranges, so memory holds one range's month-ends at a time (a year of them for every user
    would not fit at a million users); the factors need only each user's latest month-end."""
    report_date = parameters["report_date"]
    # a user brings a year of month-ends here, not one row: ranges smaller than scoring's
    # (measured at 1M users: 1.6 GB above DuckDB's share with 250k users a range, 0.85 with 100k)
    ranges = settings.model_copy(
        update={"users_per_partition": min(settings.users_per_partition, STUCK_USERS_PER_RANGE)}
    )
    count_parts, sum_parts = [], []
    for index, user_range in enumerate(user_ranges(con, ranges, report_date)):
        table = materialize(con, "marts/fct_month_end_scores", parameters | in_range(user_range))
        month_ends = con.table(table).pl()
        con.execute(f"drop table {table}")
        stuck = stuck_users(month_ends.lazy()).collect()
        # the stuck users go into DuckDB range by range (which can spill); the factors need
        # only counts and sums, which add up over the ranges: a few rows a range
        append_rows(con, "stuck_users_frame", stuck, first=index == 0)
        count_parts.append(factor_counts(month_ends.lazy(), stuck=stuck.lazy()).collect())
        latest = month_ends.filter(pl.col("months_back") == 0)
        if latest.height:  # the points each factor costs, summed per group
            columns = ", ".join(
                ["user_id", "is_scorable", *(f'"{c.name}"' for c in card.characteristics)]
            )
            aggregates = con.sql(
                f"select {columns} from dimension_aggregates where snapshot_date = $snapshot_date "
                "and user_id between $user_from and $user_to",
                params={"snapshot_date": latest["month_end"][0]} | in_range(user_range),
            ).pl()
            lost = code_points_lost(aggregates.lazy(), card=card)
            sum_parts.append(point_sums(lost, stuck=stuck.lazy()).collect())
            del aggregates
        del month_ends, stuck, latest
    factors = factors_from_counts(
        pl.concat(count_parts).lazy(),
        point_sums=pl.concat(sum_parts).lazy() if sum_parts else None,
    ).collect()
    con.register("stuck_factors_frame", factors)
    try:
        on_date = {"report_date": report_date}
        materialize(con, "reports/report_stuck_users", on_date, table="new_report_stuck_users")
        materialize(con, "reports/report_stuck_factors", on_date, table="new_report_stuck_factors")
    finally:
        con.unregister("stuck_factors_frame")
        con.execute("drop table if exists stuck_users_frame")


def append_rows(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, *, first: bool
) -> None:
    """Puts ``frame``'s rows into temporary table ``table``: made from them when ``first``,
    else added to it by name. A step computed in user ranges keeps its rows in DuckDB, which
    can spill, rather than in Python."""
    con.register("appended_frame", frame)
    try:
        if first:
            con.execute(f"create or replace temp table {table} as from appended_frame")
        else:
            con.execute(f"insert into {table} by name from appended_frame")
    finally:
        con.unregister("appended_frame")


def report_rows(
    con: duckdb.DuckDBPyConnection, name: str, report_date: date
) -> duckdb.DuckDBPyRelation:
    """One report's rows for a date (repair_decisions: as decided at the latest scored date), in
    the order catalog.toml gives it, so that its files are the same on every run."""
    order = order_clause(name)
    if name == "repair_decisions":
        return con.sql(f"select * from repair_decisions order by {order}")
    return con.sql(
        f"select * from {name} where report_date = $report_date order by {order}",
        params={"report_date": report_date},
    )


# A cell a spreadsheet would run as a formula (OWASP, "CSV injection"): it starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe (OWASP's
    advice), so they open as text; numbers and every other cell are unchanged."""
    starts = "^[" + "".join("\\" + c if c in "-" else c for c in FORMULA_STARTS) + "]"
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(starts))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, kind in frame.schema.items()
        if kind == pl.String
    )


def _csv_relation(relation: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """Rows for CSV: nested values (lists, structs) become JSON text."""
    nested = [
        column
        for column, kind in zip(relation.columns, relation.types, strict=True)
        if str(kind).endswith("[]") or str(kind).startswith(("STRUCT", "MAP"))
    ]
    if not nested:
        return relation
    return relation.select(
        ", ".join(
            f'to_json("{c}")::varchar as "{c}"' if c in nested else f'"{c}"'
            for c in relation.columns
        )
    )


def write_report_table(relation: duckdb.DuckDBPyRelation, folder: Path, name: str) -> None:
    """Writes one report's rows as ``<name>.csv`` (nested values as JSON text, no cell a
    spreadsheet would run as a formula: ``neutralise_formulas``) and ``<name>.parquet``, a batch
    of ``EXPORT_BATCH_ROWS`` at a time: memory holds one batch, not the report (a first night's
    score drops at 3M users are millions of rows with their point changes)."""
    with (folder / f"{name}.csv").open("wb") as out:
        reader = _csv_relation(relation).to_arrow_reader(EXPORT_BATCH_ROWS)
        header = True
        for batch in reader:
            frame = pl.DataFrame(batch)
            neutralise_formulas(frame).write_csv(out, include_header=header)
            header = False
        if header:  # no rows: the header alone
            pl.DataFrame(reader.schema.empty_table()).write_csv(out)
    reader = relation.to_arrow_reader(EXPORT_BATCH_ROWS)
    with pq.ParquetWriter(folder / f"{name}.parquet", reader.schema, compression="zstd") as out:
        for batch in reader:
            out.write_batch(batch)


def report_folder(settings: Settings, report_date: date) -> Path:
    return settings.warehouse / "reports" / report_date.isoformat()


def write_report_files(
    con: duckdb.DuckDBPyConnection, settings: Settings, report_date: date, run_id: str
) -> Path:
    """Writes every report as CSV and Parquet, and the HTML page, into a folder aside."""
    from sesame.briefing import render_briefing

    root = ensure_private_dir(settings.warehouse / "reports")
    aside = ensure_private_dir(root / f".building-{report_date.isoformat()}-{run_id}")
    for name in REPORT_TABLES:
        with timed(log, f"report file {name}"):
            write_report_table(report_rows(con, name, report_date), aside, name)
    (aside / "index.html").write_text(render_briefing(con, settings, report_date), encoding="utf-8")
    for path in aside.iterdir():
        os.chmod(path, PRIVATE_FILE)
    return aside


def publish_report_folder(aside: Path, settings: Settings, report_date: date) -> Path:
    """Moves a finished report folder to ``reports/<date>/``, replacing an earlier one (runs
    publish it through ``sesame.warehouse.building``; this is for code outside a run)."""
    final = report_folder(settings, report_date)
    move_into_place([(aside, final)])
    return final
