"""The data checks of one date's staged rows (``sql/checks/assert_*.sql``), run before the rows
replace the date's in the warehouse: an offending row stops the run, naming the check, the rows
it found, what a failure means and the first rows."""

from __future__ import annotations

from typing import Any

import duckdb

from sesame.errors import CheckFailedError
from sesame.sqlmodels import SQL_DIR, bind, read_sql
from sesame.transforms.tiers import tier_tables


def run_checks(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> None:
    """Runs each ``sql/checks/assert_*.sql`` on the staged rows; an offending row stops the run.
    The checks see the tiers and benefits as the tables ``tier_bands`` and
    ``benefit_thresholds`` (from ``transforms/tiers.py``, their one home)."""
    tables = tier_tables()
    for name, frame in tables.items():
        con.register(name, frame)
    try:
        _run_check_files(con, parameters)
    finally:
        for name in tables:
            con.unregister(name)


def _run_check_files(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> None:
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
