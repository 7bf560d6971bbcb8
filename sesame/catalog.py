"""The warehouse's catalog (``catalog.toml``): what every table and column holds, in one place.

Each run writes it into its copy of the warehouse as DuckDB COMMENTs, so any DuckDB client
sees it (``select table_name, column_name, comment from duckdb_columns()``); ``sesame describe``
prints it and ``make docs`` writes the README's table list from it. The columns of
``dimension_aggregates`` that are the card's characteristics take the card's descriptions.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

import duckdb

from sesame.settings import PACKAGE_DIR
from sesame.sqlmodels import relation
from sesame.transforms.scorecard import Scorecard

CATALOG_PATH = PACKAGE_DIR / "catalog.toml"
FEATURES_TABLE = "dimension_aggregates"


# one item of a table's order_by: a column, ascending or `desc`
_ORDER_ITEM = re.compile(r"(?P<column>[a-z_][a-z0-9_]*)(?P<desc> desc)?")


@dataclass(frozen=True)
class TableEntry:
    name: str
    description: str
    columns: dict[str, str]  # the table's own column meanings (the shared ones not included)
    # a report's row order in its exported files: (column, descending), the last a key
    order_by: tuple[tuple[str, bool], ...] = ()


def _order_by(table: str, items: list[str]) -> tuple[tuple[str, bool], ...]:
    order = []
    for item in items:
        match = _ORDER_ITEM.fullmatch(item)
        if match is None:
            raise ValueError(
                f"catalog.toml: table {table}: order_by item {item!r} is not a column name, "
                "optionally followed by ' desc'"
            )
        order.append((match["column"], match["desc"] is not None))
    return tuple(order)


@cache
def _catalog() -> tuple[dict[str, str], dict[str, TableEntry]]:
    data: dict[str, Any] = tomllib.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    tables = {
        name: TableEntry(
            name,
            entry["description"],
            dict(entry.get("columns", {})),
            _order_by(name, entry.get("order_by", [])),
        )
        for name, entry in data["tables"].items()
    }
    return dict(data["columns"]), tables


def tables() -> dict[str, TableEntry]:
    return _catalog()[1]


def table_comment(table: str) -> str | None:
    entry = tables().get(table)
    return None if entry is None else entry.description


def column_comment(table: str, column: str, card: Scorecard | None = None) -> str | None:
    """The meaning of ``table.column``: the table's own, a characteristic's (the card's
    description, in dimension_aggregates), else the shared one."""
    shared, entries = _catalog()
    entry = entries.get(table)
    if entry is not None and column in entry.columns:
        return entry.columns[column]
    if table == FEATURES_TABLE and card is not None:
        for characteristic in card.characteristics:
            if characteristic.name == column:
                return f"{characteristic.description} (a characteristic of the card)"
    return shared.get(column)


def _literal(text: str) -> str:
    # DuckDB's COMMENT ON takes no bound parameter; the text is this package's own catalog
    # (constants, never data), quoted as a SQL string literal
    return "'" + text.replace("'", "''") + "'"


def published_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The warehouse's own tables (not temporary ones) and their columns, in order."""
    rows = relation(con, "database/published_columns").fetchall()
    return {name: list(columns) for name, columns in rows}


def write_comments(con: duckdb.DuckDBPyConnection, card: Scorecard) -> list[str]:
    """Writes every table's and column's COMMENT; returns the ``table`` or ``table.column``
    names the catalog has no entry for (a test keeps that list empty)."""
    missing: list[str] = []
    for table, columns in published_columns(con).items():
        described = table_comment(table)
        if described is None:
            missing.append(table)
        else:
            con.execute(f'comment on table "{table}" is {_literal(described)}')
        for column in columns:
            meaning = column_comment(table, column, card)
            if meaning is None:
                missing.append(f"{table}.{column}")
                continue
            con.execute(f'comment on column "{table}"."{column}" is {_literal(meaning)}')
    return missing


def stale_entries(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The catalog's table-specific entries (column meanings, order_by) that name a column the
    warehouse's table lacks."""
    present = published_columns(con)
    return [
        f"{name}.{column}"
        for name, entry in tables().items()
        if name in present
        for column in (*entry.columns, *(column for column, _ in entry.order_by))
        if column not in present[name]
    ]


def order_clause(table: str) -> str:
    """The ``order by`` text of a report's exported rows (``order_by`` in catalog.toml): the
    columns quoted, the catalog's own names, checked when it is read, never data."""
    order = tables()[table].order_by
    if not order:
        raise ValueError(f"catalog.toml: table {table} has no order_by")
    return ", ".join(f'"{column}"' + (" desc" if desc else "") for column, desc in order)


def tables_markdown(card: Scorecard) -> str:
    """The README's table list: each table's description (the columns: `sesame describe`)."""
    lines = ["| table | what it holds |", "|---|---|"]
    for name, entry in tables().items():
        order = ", ".join(
            f"{column}{' (descending)' if desc else ''}" for column, desc in entry.order_by
        )
        exported = f" Exported ordered by {order}." if order else ""
        lines.append(f"| `{name}` | {entry.description}{exported} |")
    return "\n".join(lines)
