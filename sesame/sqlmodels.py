"""Runs the SQL models of ``sesame/sql``: reads a file, binds the parameters it uses, runs it."""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Any

import duckdb

from sesame.settings import PACKAGE_DIR
from sesame.timing import timed

log = logging.getLogger(__name__)

SQL_DIR = PACKAGE_DIR / "sql"
_COMMENT = re.compile(r"--[^\n]*")
_PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")


@cache
def read_sql(name: str) -> str:
    """The text of a model, by its path under sql/ without the suffix (``staging/stg_users``)."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def parameters_of(sql: str) -> set[str]:
    """The ``$name`` parameters a statement uses (comments excluded)."""
    return set(_PARAMETER.findall(_COMMENT.sub("", sql)))


def bind(sql: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``parameters`` that ``sql`` uses; every parameter it uses must be given."""
    used = parameters_of(sql)
    missing = used - parameters.keys()
    if missing:
        raise KeyError(f"SQL parameters not given: {', '.join(sorted(missing))}")
    return {name: parameters[name] for name in used}


def execute(
    con: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """Runs one statement with its parameters bound (never formatted into the text)."""
    return con.execute(sql, bind(sql, parameters or {}))


def materialize(
    con: duckdb.DuckDBPyConnection,
    name: str,
    parameters: dict[str, Any] | None = None,
    *,
    table: str | None = None,
) -> str:
    """Runs model ``name`` into a temporary table named after it (or ``table``); returns it."""
    target = table or name.rsplit("/", 1)[-1]
    sql = read_sql(name)
    with timed(log, f"model {name}"):
        execute(con, f'create or replace temp table "{target}" as\n{sql}', parameters)
    return target


def relation(
    con: duckdb.DuckDBPyConnection, name: str, parameters: dict[str, Any] | None = None
) -> duckdb.DuckDBPyRelation:
    """Model ``name`` as a relation with its parameters bound, for rows read into Python once
    (``.pl()``, ``.fetchall()``), not kept as a table."""
    sql = read_sql(name)
    return con.sql(sql, params=bind(sql, parameters or {}))


def define_view(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """Defines model ``name`` as a temporary view named after it and returns the name: for a
    model its readers join to the few users they need (DuckDB pushes the join into the view's
    scans, so nothing is computed for the others). A view binds no parameters."""
    target = name.rsplit("/", 1)[-1]
    sql = read_sql(name)
    if parameters_of(sql):
        raise ValueError(f"{name} takes parameters: a view cannot bind them; materialize it")
    con.execute(f'create or replace temp view "{target}" as\n{sql}')
    return target


def run_statements(con: duckdb.DuckDBPyConnection, name: str, parameters: dict[str, Any]) -> None:
    """Runs a file of several statements (each ending ``;`` at the end of a line) in order,
    each with the parameters it uses bound."""
    with timed(log, f"statements {name}"):
        for statement in re.split(r";[ \t]*\n", read_sql(name) + "\n"):
            if _COMMENT.sub("", statement).strip():
                execute(con, statement, parameters)


def run_script(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Runs a file of one or more parameterless statements (DDL, macros, a write of a
    registered frame)."""
    con.execute(read_sql(name))
