"""Given rows, run one SQL model on an in-memory DuckDB, compare with expected rows.

A model test declares only the tables and columns the model reads (``Given``), runs the real
model file with the parameters production binds (``parameters``: the card's windows, the
contract's rules, the report thresholds, then the test's own), and reads the rows back as
dicts. Nothing is mocked: the macros are the warehouse's (``sql/ddl/macros.sql``), and the
model's SQL is read from its file as the job reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from sesame import rules
from sesame.settings import Settings
from sesame.sqlmodels import define_view, materialize, run_script
from sesame.transforms.scorecard import load_scorecard


@dataclass
class Given:
    """One input table: its columns as DuckDB types (only those the model reads), and rows
    as dicts (a missing key is null)."""

    columns: dict[str, str]
    rows: list[dict[str, Any]] = field(default_factory=list)


def score_requests(pairs: Iterable[tuple[int, date]], *, friends_only: Iterable[int] = ()) -> Given:
    """score_requests (int_score_requests' rows) for (user_id, snapshot_date) pairs, each a
    snapshot's: the models compute every request but those of ``friends_only`` users (only a
    friend's score changed: their other dimensions are carried)."""
    carried = set(friends_only)
    columns = {
        "user_id": "bigint",
        "snapshot_date": "date",
        "is_snapshot": "boolean",
        "friends_only": "boolean",
    }
    rows = [
        {
            "user_id": user,
            "snapshot_date": day,
            "is_snapshot": True,
            "friends_only": user in carried,
        }
        for user, day in pairs
    ]
    return Given(columns, rows)


def parameters(**overrides: Any) -> dict[str, Any]:
    """The parameters production binds for a date's models, overridden by the test's."""
    card = load_scorecard()
    bound = Settings().sql_parameters() | rules.sql_parameters() | card.parameters
    return bound | {"model_version": card.model_version, "run_id": "run"} | overrides


def connection(tables: dict[str, Given]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the warehouse's macros and the given tables."""
    con = duckdb.connect()
    run_script(con, "ddl/macros")
    for name, table in tables.items():
        columns = ", ".join(f'"{column}" {kind}' for column, kind in table.columns.items())
        con.execute(f'create table "{name}" ({columns})')
        if table.rows:
            names = list(table.columns)
            marks = ", ".join("?" for _ in names)
            con.executemany(
                f'insert into "{name}" values ({marks})',
                [[row.get(column) for column in names] for row in table.rows],
            )
        unknown = {key for row in table.rows for key in row} - table.columns.keys()
        assert not unknown, f"{name}: rows name columns it does not declare: {sorted(unknown)}"
    return con


def run_model(
    model: str,
    tables: dict[str, Given],
    order_by: str,
    *,
    view: bool = False,
    before: tuple[str, ...] = (),
    **overrides: Any,
) -> list[dict[str, Any]]:
    """Runs ``model`` (``layer/name``) on the given tables and returns its rows, ordered by
    ``order_by``. ``before``: models it reads that are made first (``layer/name``, run the
    same way, e.g. an intermediate a mart reads). ``view``: a parameterless model made as a
    view, as production does (``sqlmodels.define_view``)."""
    con = connection(tables)
    bound = parameters(**overrides)
    for name in before:
        materialize(con, name, bound)
    target = define_view(con, model) if view else materialize(con, model, bound)
    relation = con.sql(f'select * from "{target}" order by {order_by}')
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


D = date(2026, 10, 31)  # the date most model tests score or report
# the requests whose features are computed (score_requests but friends_only ones): every feature
# model but the relationships one reads it, so their tests make it first (``before``)
FEATURE_REQUESTS = "intermediate/int_feature_requests"
