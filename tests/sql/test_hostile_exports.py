"""Contract v2, section 1: exports that try to break ingest.

Each test is named after the rule it checks: bounds on dates and money (a bad value is a bad
row, quarantined naming its column; 9999-12-31 in an open-ended column means still open),
delivered files that change or vanish (they stop the run until an operator accepts them), and
freshness (a run for D refuses stale exports). Exports are written with ``tests.builders`` and
ingested into a real warehouse; modification times are set with os.utime.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sesame.errors import DeliveredFileChangedError, StaleDataError, UsageError
from sesame.freshness import check_freshness
from sesame.ingest import TableIngest, ingest_exports
from sesame.runs import new_run_id
from sesame.schema import MONEY_MAXIMUM, TABLES_BY_NAME
from sesame.settings import Settings
from sesame.warehouse import building, connect_read_only, warehouse_lock
from tests.builders import Exports, at
from tests.sql.test_rollups import rollup_matches_the_staged_transactions

D = date(2026, 6, 30)
T0_NS = 1_780_000_000 * 10**9  # a fixed modification time: 2026-05-28 20:26:40 UTC
HOUR_NS = 3600 * 10**9


# --- helpers -------------------------------------------------------------------------------------


def _ingest(settings: Settings, accept_changed: Sequence[str | Path] = ()) -> list[TableIngest]:
    """Ingests the export directory and publishes (tests.pipeline.run, with accept_changed)."""
    run_id = new_run_id("test", None)
    with warehouse_lock(settings), building(settings, run_id) as con:
        return ingest_exports(
            con, settings.input, run_id, settings.max_bad_row_share, accept_changed=accept_changed
        )


def _deliver(settings: Settings, relative: str, table: pa.Table, mtime_ns: int) -> Path:
    path = settings.input / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def _base(settings: Settings, *user_ids: int) -> None:
    """Every table's folder with one file: users ``user_ids``, the other tables empty."""
    ex = Exports()
    for user_id in user_ids:
        ex.user(user_id)
    ex.write(settings.input)
    for path in settings.input.rglob("*.parquet"):
        os.utime(path, ns=(T0_NS - HOUR_NS, T0_NS - HOUR_NS))


def _query(settings: Settings, sql: str, parameters: dict[str, Any] | None = None) -> list[Any]:
    con = connect_read_only(settings)
    try:
        return con.execute(sql, parameters or {}).fetchall()
    finally:
        con.close()


def _module_settings(factory: pytest.TempPathFactory, name: str) -> Settings:
    """A tiny table holds a bad row beside a good one: the circuit breaker is off here."""
    root = factory.mktemp(name)
    return Settings(warehouse=root / "warehouse", input=root / "exports", max_bad_row_share=1.0)


def _add_row(ex: Exports, table: str, key: int) -> dict[str, Any]:
    """Adds one valid row of ``table`` identified by ``key``; returns it (a dict to spoil)."""
    match table:
        case "users":
            ex.user(key)
        case "transactions":
            ex.transaction(1, at(D), txn_id=key)
        case "bills":
            ex.bill(1, D, paid=at(D), bill_id=key)
        case "credit_accounts":
            ex.credit_account(1, at(date(2025, 1, 1)), account_id=key)
        case "negative_records":
            ex.negative(1, "life", at(date(2026, 1, 1)))
            ex.rows[table][-1].update(record_id=key, amount=10.0)
        case "relationships":
            ex.friend(1, 2, at(date(2026, 1, 1)) + timedelta(days=key))
        case "assets":
            ex.asset(1, date(2026, 1, 1) + timedelta(days=key), "deposit", 100.0)
        case "loan_applications":
            ex.application(1, at(D))
            ex.rows[table][-1]["application_id"] = key
        case _:
            raise ValueError(table)
    return ex.rows[table][-1]


def _values(case: Any) -> tuple[Any, ...]:
    """A pytest.param's values, untyped."""
    return tuple(case.values)


def _key_filter(table: str, row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    key = TABLES_BY_NAME[table].primary_key
    return " and ".join(f'"{k}" = ${k}' for k in key), {k: row[k] for k in key}


def _case_table(ex: Exports, table: str, column: str, arrow: pa.DataType | None) -> pa.Table:
    """``ex``'s table, with ``column`` written as ``arrow`` (another type) if given."""
    rows = ex.rows[table]
    if arrow is None:
        return ex.table(table)
    values = [row[column] for row in rows]
    if pa.types.is_date(arrow):
        values = [v.date() if isinstance(v, datetime) else v for v in values]
    for row in rows:  # a placeholder of the contract's type while the table is built
        row[column] = None
    built = ex.table(table)
    for row, value in zip(rows, values, strict=True):
        row[column] = value
    index = built.schema.get_field_index(column)
    return built.set_column(index, column, pa.array(values, arrow))


# --- every timestamp and date lies in 1900-01-01 .. 2199-12-31 -----------------------------------

END_OF_9999 = datetime(9999, 12, 31, 23, 59, 59, 999999)

# (table, column, bad value, arrow type to write it as, None = the contract's)
OUT_OF_RANGE_CASES = [
    # year 1 and 9999 as timestamp[us]: valid Parquet that a cast through nanoseconds overflows
    pytest.param("transactions", "txn_ts", datetime(1, 1, 1), None, id="txn_ts-year-1"),
    pytest.param("transactions", "txn_ts", END_OF_9999, None, id="txn_ts-9999-12-31"),
    # 9999-12-31 means "still open" only in an open-ended column: an event time is just wrong
    pytest.param("transactions", "txn_ts", datetime(9999, 12, 31), None, id="txn_ts-9999-midnight"),
    # as timestamp[ms], which DuckDB reads as microseconds
    pytest.param(
        "users", "registered_at", datetime(1, 1, 1), pa.timestamp("ms"), id="registered-ms-year-1"
    ),
    # just outside the bounds
    pytest.param(
        "users",
        "registered_at",
        datetime(1899, 12, 31, 23, 59, 59, 999999),
        None,
        id="registered-1899",
    ),
    pytest.param("loan_applications", "applied_at", datetime(2200, 1, 1), None, id="applied-2200"),
    # a date column
    pytest.param("bills", "due_date", date(1, 1, 1), None, id="due_date-year-1"),
    pytest.param("bills", "due_date", date(9999, 12, 31), None, id="due_date-9999"),
    pytest.param("assets", "as_of", date(1899, 12, 31), None, id="as_of-1899"),
    # an open-ended column out of range, but not 9999-12-31
    pytest.param(
        "negative_records", "resolved_at", datetime(9999, 12, 30), None, id="resolved-9999-12-30"
    ),
    pytest.param("bills", "paid_at", datetime(1, 1, 1), None, id="paid_at-year-1"),
    # a timestamp column given as date32 (accepted type), out of range
    pytest.param("relationships", "since", date(1, 1, 1), pa.date32(), id="since-date32-year-1"),
]

# (table, column, value, arrow type, the staged value)
IN_RANGE_CASES = [
    # the bounds themselves
    pytest.param(
        "transactions", "txn_ts", datetime(1900, 1, 1), None, datetime(1900, 1, 1), id="first"
    ),
    pytest.param(
        "transactions",
        "txn_ts",
        datetime(2199, 12, 31, 23, 59, 59, 999999),
        None,
        datetime(2199, 12, 31, 23, 59, 59, 999999),
        id="last",
    ),
    pytest.param("bills", "due_date", date(2199, 12, 31), None, date(2199, 12, 31), id="due-last"),
    # 9999-12-31 at any time of day in an open-ended column: null, still open
    pytest.param(
        "negative_records", "resolved_at", datetime(9999, 12, 31, 8, 30), None, None, id="resolved"
    ),
    pytest.param("bills", "paid_at", END_OF_9999, None, None, id="paid_at"),
    pytest.param(
        "credit_accounts",
        "closed_at",
        datetime(9999, 12, 31),
        pa.timestamp("ms"),
        None,
        id="closed",
    ),
    pytest.param("relationships", "ended_at", datetime(9999, 12, 31), None, None, id="ended_at"),
    # an open end given as date32
    pytest.param(
        "relationships", "ended_at", date(9999, 12, 31), pa.date32(), None, id="ended_at-date32"
    ),
]


@pytest.fixture(scope="module")
def dated(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, dict[str, Any]]]]:
    """One run over every date case, each in its own file ``<table>/<case id>.parquet`` with one
    good row and the row holding the case's value (keys of their own)."""
    settings = _module_settings(tmp_path_factory, "dates")
    _base(settings, 1, 2)
    rows = {}
    for index, case in enumerate([*OUT_OF_RANGE_CASES, *IN_RANGE_CASES]):
        table, column, value, arrow = _values(case)[:4]
        ex = Exports()
        _add_row(ex, table, 100 + 2 * index)
        row = _add_row(ex, table, 101 + 2 * index)
        row[column] = value
        _deliver(
            settings,
            f"{table}/{case.id}.parquet",
            _case_table(ex, table, column, arrow),
            T0_NS,
        )
        rows[str(case.id)] = row
    _ingest(settings)
    con = connect_read_only(settings)
    try:
        yield con, rows
    finally:
        con.close()


@pytest.mark.parametrize(("table", "column", "value", "arrow"), OUT_OF_RANGE_CASES)
def test_timestamp_or_date_out_of_range_is_quarantined_naming_the_column(
    dated: tuple[duckdb.DuckDBPyConnection, dict[str, dict[str, Any]]],
    request: pytest.FixtureRequest,
    table: str,
    column: str,
    value: Any,
    arrow: pa.DataType | None,
) -> None:
    con, rows = dated
    case = request.node.callspec.id
    source = {"file": f"{table}/{case}.parquet"}
    found = con.execute(
        "select reason, row_json from quarantine where source_file = $file", source
    ).fetchall()
    assert len(found) == 1
    reason, row_json = found[0]
    assert reason.startswith(f"{column} must lie in 1900-01-01 .. 2199-12-31")
    assert str(value)[:10].lstrip("0") in json.loads(row_json)[column]  # the value as read
    where, parameters = _key_filter(table, rows[case])
    assert con.execute(
        f"select count(*) from stg_{table} where {where}", parameters
    ).fetchall() == [(0,)]
    # the good row of the file is staged
    assert con.execute(
        f"select count(*) from stg_{table} where source_file = $file", source
    ).fetchall() == [(1,)]


@pytest.mark.parametrize(("table", "column", "value", "arrow", "staged"), IN_RANGE_CASES)
def test_bounds_are_accepted_and_9999_12_31_in_an_open_ended_column_is_staged_as_null(
    dated: tuple[duckdb.DuckDBPyConnection, dict[str, dict[str, Any]]],
    request: pytest.FixtureRequest,
    table: str,
    column: str,
    value: Any,
    arrow: pa.DataType | None,
    staged: Any,
) -> None:
    con, rows = dated
    case = request.node.callspec.id
    source = {"file": f"{table}/{case}.parquet"}
    assert con.execute(
        "select count(*) from quarantine where source_file = $file", source
    ).fetchall() == [(0,)]
    where, parameters = _key_filter(table, rows[case])
    assert con.execute(
        f'select "{column}" from stg_{table} where {where}', parameters
    ).fetchall() == [(staged,)]


def test_out_of_range_dates_count_against_the_bad_row_share(settings: Settings) -> None:
    _base(settings, 1)
    ex = Exports()
    for key in range(10):
        _add_row(ex, "transactions", 10 + key)
    for row in ex.rows["transactions"][:3]:
        row["txn_ts"] = datetime(1, 1, 1)
    _deliver(settings, "transactions/part-1.parquet", ex.table("transactions"), T0_NS)

    with pytest.raises(Exception) as raised:  # ExportError: the circuit breaker
        _ingest(settings.model_copy(update={"max_bad_row_share": 0.2}))

    assert "3 of 10 new rows" in str(raised.value)
    assert "column txn_ts" in str(raised.value)
    assert not settings.database_path().exists()


# --- every money column is finite and at most 1e15 -----------------------------------------------

MONEY_CASES = [
    pytest.param("transactions", "amount", math.inf, id="amount-inf"),
    pytest.param("transactions", "amount", 1e308, id="amount-1e308"),
    pytest.param("transactions", "amount", MONEY_MAXIMUM + 1, id="amount-1e15+1"),
    pytest.param("transactions", "amount", -math.inf, id="amount-minus-inf"),
    pytest.param("bills", "amount_due", math.inf, id="amount_due-inf"),
    pytest.param("bills", "amount_paid", 1e308, id="amount_paid-1e308"),
    pytest.param("credit_accounts", "credit_limit", math.inf, id="credit_limit-inf"),
    pytest.param("loan_applications", "amount", 1e16, id="application-1e16"),
    pytest.param("negative_records", "amount", math.inf, id="negative-amount-inf"),
    # 1e308 in assets.value broke later nights with a decimal conversion error
    pytest.param("assets", "value", 1e308, id="value-1e308"),
]


@pytest.fixture(scope="module")
def moneyed(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, dict[str, Any]]]]:
    """One run over every money case, plus a file per money column holding exactly 1e15."""
    settings = _module_settings(tmp_path_factory, "money")
    _base(settings, 1, 2)
    rows = {}
    cases = [(str(c.id), *_values(c)) for c in MONEY_CASES]
    cases += [
        (f"{t}-{c}-max", t, c, MONEY_MAXIMUM)
        for t, c in [
            ("transactions", "amount"),
            ("bills", "amount_due"),
            ("bills", "amount_paid"),
            ("credit_accounts", "credit_limit"),
            ("negative_records", "amount"),
            ("assets", "value"),
        ]
    ]
    for index, (case, table, column, value) in enumerate(cases):
        ex = Exports()
        _add_row(ex, table, 100 + 2 * index)
        row = _add_row(ex, table, 101 + 2 * index)
        row[column] = value
        _deliver(settings, f"{table}/{case}.parquet", ex.table(table), T0_NS)
        rows[case] = row
    _ingest(settings)
    con = connect_read_only(settings)
    try:
        yield con, rows
    finally:
        con.close()


@pytest.mark.parametrize(("table", "column", "value"), MONEY_CASES)
def test_money_not_finite_or_above_1e15_is_quarantined_naming_the_column(
    moneyed: tuple[duckdb.DuckDBPyConnection, dict[str, dict[str, Any]]],
    request: pytest.FixtureRequest,
    table: str,
    column: str,
    value: float,
) -> None:
    con, rows = moneyed
    case = request.node.callspec.id
    source = {"file": f"{table}/{case}.parquet"}
    reasons = con.execute(
        "select reason from quarantine where source_file = $file", source
    ).fetchall()
    assert len(reasons) == 1
    assert reasons[0][0].startswith(f"{column} must be")
    where, parameters = _key_filter(table, rows[case])
    assert con.execute(
        f"select count(*) from stg_{table} where {where}", parameters
    ).fetchall() == [(0,)]


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("transactions", "amount"),
        ("bills", "amount_due"),
        ("bills", "amount_paid"),
        ("credit_accounts", "credit_limit"),
        ("negative_records", "amount"),
        ("assets", "value"),
    ],
)
def test_money_of_exactly_1e15_is_accepted(
    moneyed: tuple[duckdb.DuckDBPyConnection, dict[str, dict[str, Any]]], table: str, column: str
) -> None:
    con, rows = moneyed
    case = f"{table}-{column}-max"
    assert con.execute(
        "select count(*) from quarantine where source_file = $file",
        {"file": f"{table}/{case}.parquet"},
    ).fetchall() == [(0,)]
    where, parameters = _key_filter(table, rows[case])
    assert con.execute(
        f'select "{column}" from stg_{table} where {where}', parameters
    ).fetchall() == [(1e15,)]


# --- delivered files do not change -----------------------------------------------------------


def _bills(*rows: dict[str, Any]) -> pa.Table:
    ex = Exports()
    for row in rows:
        fields = dict(row)
        ex.bill(1, fields.pop("due", D), paid=fields.pop("paid", None), **fields)
    return ex.table("bills")


def _transactions(*rows: dict[str, Any]) -> pa.Table:
    ex = Exports()
    for row in rows:
        fields = dict(row)
        ex.transaction(1, fields.pop("when", at(D)), **fields)
    return ex.table("transactions")


def _published_bytes(settings: Settings) -> bytes:
    return settings.database_path().read_bytes()


def test_a_changed_delivered_file_stops_ingest_naming_the_table_and_file(
    settings: Settings,
) -> None:
    _base(settings, 1)
    path = _deliver(settings, "bills/a.parquet", _bills({"bill_id": 10}), T0_NS)
    _ingest(settings)
    before = _published_bytes(settings)

    # upstream rewrites the delivered file (another size) and delivers a new file beside it
    _deliver(settings, "bills/a.parquet", _bills({"bill_id": 10}, {"bill_id": 11}), T0_NS)
    _deliver(settings, "bills/b.parquet", _bills({"bill_id": 12}), T0_NS + HOUR_NS)
    with pytest.raises(DeliveredFileChangedError) as raised:
        _ingest(settings)

    error = raised.value
    assert error.exit_code == 3
    assert error.table == "bills" and error.file == "bills/a.parquet"
    message = str(error)
    assert "\n" not in message
    assert "table bills" in message and "bills/a.parquet" in message
    assert "sesame ingest --accept-changed bills/a.parquet" in message
    assert _published_bytes(settings) == before  # nothing was published, not even b
    assert path.exists()


def test_a_delivered_file_with_the_same_size_and_other_bytes_stops_ingest(
    settings: Settings,
) -> None:
    _base(settings, 1)
    _deliver(settings, "bills/a.parquet", _bills({"bill_id": 10, "amount_due": 100.0}), T0_NS)
    _ingest(settings)
    changed = _bills({"bill_id": 10, "amount_due": 200.0})  # same layout, same size
    path = _deliver(settings, "bills/a.parquet", changed, T0_NS + HOUR_NS)
    entry = _query(
        settings, "select size_bytes from ingested_files where source_file = 'bills/a.parquet'"
    )
    assert entry == [(path.stat().st_size,)]

    with pytest.raises(DeliveredFileChangedError) as raised:
        _ingest(settings)

    assert raised.value.file == "bills/a.parquet"
    assert "same size" in str(raised.value)


def test_a_deleted_delivered_file_stops_ingest_naming_the_table_and_file(
    settings: Settings,
) -> None:
    _base(settings, 1)
    path = _deliver(settings, "transactions/a.parquet", _transactions({"txn_id": 10}), T0_NS)
    _ingest(settings)
    before = _published_bytes(settings)
    path.unlink()

    with pytest.raises(DeliveredFileChangedError) as raised:
        _ingest(settings)

    assert raised.value.table == "transactions"
    assert raised.value.file == "transactions/a.parquet"
    assert "gone" in str(raised.value)
    assert "--accept-changed transactions/a.parquet" in str(raised.value)
    assert _published_bytes(settings) == before


def test_a_touched_delivered_file_with_the_same_bytes_is_no_change(settings: Settings) -> None:
    _base(settings, 1)
    path = _deliver(settings, "transactions/a.parquet", _transactions({"txn_id": 10}), T0_NS)
    _ingest(settings)
    staged = _query(settings, "select * from stg_transactions")
    sha = _query(
        settings,
        "select content_sha256 from ingested_files where source_file = 'transactions/a.parquet'",
    )
    assert sha[0][0] is not None and len(sha[0][0]) == 64

    os.utime(path, ns=(T0_NS + HOUR_NS, T0_NS + HOUR_NS))  # touched: new mtime, same bytes
    touched = _ingest(settings)

    assert sum(result.files for result in touched) == 0  # nothing read again
    assert _query(settings, "select * from stg_transactions") == staged
    assert _query(
        settings,
        "select modified_ns, delivery_ns, content_sha256 from ingested_files "
        "where source_file = 'transactions/a.parquet'",
    ) == [(T0_NS + HOUR_NS, T0_NS, sha[0][0])]  # the new mtime is recorded
    assert sum(result.files for result in _ingest(settings)) == 0


def test_an_accepted_changed_file_keeps_its_original_place_behind_a_later_correction(
    settings: Settings,
) -> None:
    _base(settings, 1)
    # night 1: a.parquet has bill 10 unpaid and bill 11; night 2: a correction pays bill 10
    _deliver(settings, "bills/a.parquet", _bills({"bill_id": 10}, {"bill_id": 11}), T0_NS)
    _ingest(settings)
    _deliver(settings, "bills/b.parquet", _bills({"bill_id": 10, "paid": at(D)}), T0_NS + HOUR_NS)
    _ingest(settings)
    # upstream rewrites a.parquet later still: bill 10 unpaid again, bill 11 changed, bill 13
    rewritten = _bills({"bill_id": 10}, {"bill_id": 11, "amount_due": 250.0}, {"bill_id": 13})
    path = _deliver(settings, "bills/a.parquet", rewritten, T0_NS + 2 * HOUR_NS)
    with pytest.raises(DeliveredFileChangedError):
        _ingest(settings)

    _ingest(settings, accept_changed=["bills/a.parquet"])

    assert _query(
        settings,
        "select bill_id, paid_at, amount_due, source_file, source_modified_ns from stg_bills "
        "order by bill_id",
    ) == [
        (10, at(D), 100.0, "bills/b.parquet", T0_NS + HOUR_NS),  # the correction still wins
        (11, None, 250.0, "bills/a.parquet", T0_NS),  # the new content, at the original time
        (13, None, 100.0, "bills/a.parquet", T0_NS),
    ]
    assert _query(
        settings,
        "select size_bytes, modified_ns, delivery_ns, rows_read from ingested_files "
        "where source_file = 'bills/a.parquet'",
    ) == [(path.stat().st_size, T0_NS + 2 * HOUR_NS, T0_NS, 3)]
    # the next night: the accepted file is delivered as it is now, nothing to do
    assert sum(result.files for result in _ingest(settings)) == 0


def test_an_accepted_changed_file_takes_its_removed_rows_back_from_the_rollup(
    settings: Settings,
) -> None:
    _base(settings, 1)
    _deliver(
        settings,
        "transactions/a.parquet",
        _transactions(
            {"txn_id": 10, "category": "salary", "when": at(date(2026, 4, 5))},
            {"txn_id": 11, "category": "shopping", "when": at(date(2026, 5, 5))},
        ),
        T0_NS,
    )
    _ingest(settings)
    # txn 11 leaves the file, txn 10 moves to another month, txn 12 comes
    _deliver(
        settings,
        "transactions/a.parquet",
        _transactions(
            {"txn_id": 10, "category": "salary", "when": at(date(2026, 6, 5))},
            {"txn_id": 12, "when": at(date(2026, 6, 6))},
        ),
        T0_NS + HOUR_NS,
    )
    _ingest(settings, accept_changed=[settings.input / "transactions/a.parquet"])

    assert _query(settings, "select txn_id from stg_transactions order by all") == [(10,), (12,)]
    con = connect_read_only(settings)
    try:
        rollup_matches_the_staged_transactions(con)
    finally:
        con.close()


def test_an_accepted_gone_file_takes_out_its_rows_and_its_manifest_entry(
    settings: Settings,
) -> None:
    _base(settings, 1)
    path = _deliver(settings, "transactions/a.parquet", _transactions({"txn_id": 10}), T0_NS)
    _deliver(settings, "transactions/b.parquet", _transactions({"txn_id": 11}), T0_NS)
    _ingest(settings)
    path.unlink()

    _ingest(settings, accept_changed=["transactions/a.parquet"])

    assert _query(settings, "select txn_id from stg_transactions") == [(11,)]
    assert _query(
        settings, "select count(*) from ingested_files where source_file = 'transactions/a.parquet'"
    ) == [(0,)]
    con = connect_read_only(settings)
    try:
        rollup_matches_the_staged_transactions(con)
    finally:
        con.close()
    assert sum(result.files for result in _ingest(settings)) == 0  # no longer missed


@pytest.mark.parametrize(
    "given",
    [
        # a delivered file that did not change
        pytest.param("transactions/b.parquet", id="unchanged"),
        # a path that was never delivered
        pytest.param("transactions/nope.parquet", id="unknown"),
    ],
)
def test_accepting_a_file_that_did_not_change_is_a_usage_error_naming_it(
    settings: Settings, given: str
) -> None:
    _base(settings, 1)
    _deliver(settings, "transactions/b.parquet", _transactions({"txn_id": 11}), T0_NS)
    _ingest(settings)
    before = _published_bytes(settings)

    with pytest.raises(UsageError) as raised:
        _ingest(settings, accept_changed=[given])

    assert given in str(raised.value)
    assert raised.value.exit_code == 2
    assert _published_bytes(settings) == before


def test_a_warehouse_from_before_hashes_gets_the_column_and_its_files_hashed(
    settings: Settings,
) -> None:
    _base(settings, 1)
    _deliver(settings, "transactions/a.parquet", _transactions({"txn_id": 10}), T0_NS)
    _ingest(settings)
    con = duckdb.connect(str(settings.database_path()))
    try:  # the manifest as a warehouse from before this change has it
        con.execute("alter table ingested_files drop column content_sha256")
        con.execute("alter table ingested_files drop column delivery_ns")
    finally:
        con.close()

    assert sum(result.files for result in _ingest(settings)) == 0

    hashes = _query(
        settings, "select content_sha256, delivery_ns from ingested_files order by source_file"
    )
    assert hashes and all(sha is not None and len(sha) == 64 for sha, _ in hashes)


# --- freshness -------------------------------------------------------------------------------


def _fresh_exports(settings: Settings, last_txn: date, last_due: date) -> None:
    ex = Exports()
    ex.user(1)
    ex.transaction(1, at(last_txn - timedelta(days=30)))
    ex.transaction(1, at(last_txn))
    ex.transaction(1, at(D + timedelta(days=10)))  # after D: not counted for D
    ex.bill(1, last_due, paid=at(last_due))
    ex.write(settings.input)
    _ingest(settings)


def _check(settings: Settings, snapshot_date: date, **options: Any) -> Any:
    con = connect_read_only(settings)
    try:
        return check_freshness(con, snapshot_date, **options)
    finally:
        con.close()


def test_freshness_refuses_stale_transactions_naming_the_table_and_its_latest_event(
    settings: Settings,
) -> None:
    _fresh_exports(settings, last_txn=D - timedelta(days=2), last_due=D - timedelta(days=3))

    with pytest.raises(StaleDataError) as raised:
        _check(settings, D)

    message = str(raised.value)
    assert raised.value.exit_code == 3
    assert raised.value.table == "transactions"
    assert "table transactions" in message
    assert str(D - timedelta(days=2)) in message  # its latest event
    assert "--allow-stale" in message


def test_freshness_refuses_stale_bills(settings: Settings) -> None:
    _fresh_exports(settings, last_txn=D, last_due=D - timedelta(days=35))
    with pytest.raises(StaleDataError) as raised:
        _check(settings, D)
    assert raised.value.table == "bills"
    assert str(D - timedelta(days=35)) in str(raised.value)


def test_freshness_passes_with_fresh_data_and_returns_each_tables_latest_event(
    settings: Settings,
) -> None:
    _fresh_exports(settings, last_txn=D - timedelta(days=1), last_due=D - timedelta(days=34))

    found = _check(settings, D)

    assert found["transactions"].latest_event == at(D - timedelta(days=1))  # not the later one
    assert found["bills"].latest_event == datetime.combine(
        D - timedelta(days=34), datetime.min.time()
    )
    assert found["negative_records"].latest_event is None
    assert not any(entry.is_stale for entry in found.values())
    assert set(found) == set(TABLES_BY_NAME)


def test_freshness_with_no_limit_passes_stale_data(settings: Settings) -> None:
    _fresh_exports(settings, last_txn=D - timedelta(days=20), last_due=D - timedelta(days=90))

    found = _check(settings, D, limits_days={"transactions": None, "bills": None})

    assert found["transactions"].latest_event == at(D - timedelta(days=20))
    assert not found["transactions"].is_stale


def test_freshness_allowed_stale_marks_the_stale_tables(settings: Settings) -> None:
    _fresh_exports(settings, last_txn=D - timedelta(days=20), last_due=D)

    found = _check(settings, D, allow_stale=True)

    assert found["transactions"].is_stale and not found["bills"].is_stale


def test_freshness_refuses_a_date_before_any_data(settings: Settings) -> None:
    _fresh_exports(settings, last_txn=D, last_due=D)  # the user registered on 2020-01-01

    with pytest.raises(StaleDataError) as raised:
        _check(settings, date(2019, 12, 31), allow_stale=True)

    assert "no user registered by 2019-12-31" in str(raised.value)
    assert "2020-01-01" in str(raised.value)
