"""Ad hoc SQL on the warehouse, read-only: ``sesame sql``.

Three locks: the file is opened read-only; only SELECT-like statements (select, with, describe,
show, explain, pivot) are accepted; and the connection refuses external access (no ATTACH, COPY,
INSTALL, LOAD, reading or writing other files) with its configuration locked so a query cannot
lift that.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from sesame.errors import SesameError
from sesame.settings import Settings
from sesame.warehouse import connect_read_only

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class ReadOnlyViolation(SesameError):
    """A statement that could change something or reach outside the warehouse."""

    exit_code = 2


def check_read_only(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """The query's single statement, if it only reads; raises ReadOnlyViolation otherwise."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as error:
        raise SesameError(f"the query does not parse: {error}") from error
    if len(statements) != 1:
        raise ReadOnlyViolation(f"give exactly one statement (got {len(statements)})")
    statement = statements[0]
    if statement.type not in ALLOWED:
        words = statement.query.split()
        keyword = words[0].upper() if words else statement.type.name
        raise ReadOnlyViolation(
            f"sesame sql is read-only: {keyword} is refused (it could change the warehouse or "
            "reach outside it); use SELECT, WITH, DESCRIBE, SHOW or EXPLAIN"
        )
    return statement.query


def run_query(settings: Settings, query: str) -> pa.Table:
    """Runs one read-only query on the published warehouse and returns its rows."""
    con = connect_read_only(settings)
    try:
        statement = check_read_only(con, query)
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
        try:
            return con.sql(statement).to_arrow_table()
        except duckdb.Error as error:
            raise SesameError(f"the query failed: {error}") from error
    finally:
        con.close()
