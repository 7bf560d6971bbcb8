"""Contract v1, section 1: the ingest rules for the export files.

Each test is named after the rule it checks. Exports are written in the test (pyarrow directly
when a test needs odd types, extra or missing columns or several files per table) and ingested
into a real DuckDB warehouse with ``tests.pipeline``; modification times are set with os.utime.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sesame.errors import ExportError
from sesame.ingest import LINEAGE_COLUMNS
from sesame.schema import TABLES_BY_NAME
from sesame.settings import Settings
from sesame.warehouse import ASIDE_PREFIX, connect_read_only
from tests import pipeline
from tests.builders import Exports, at

D = date(2026, 6, 30)
T0_NS = 1_780_000_000 * 10**9  # a fixed modification time: 2026-05-28 20:26:40 UTC
SECOND_NS = 10**9


# --- helpers -------------------------------------------------------------------------------------


def _deliver(
    settings: Settings, relative: str, table: pa.Table, mtime_ns: int | None = None
) -> Path:
    """Writes one Parquet file under the export directory, with the given modification time."""
    path = settings.input / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def _users(*rows: dict[str, Any]) -> pa.Table:
    ex = Exports()
    for row in rows:
        ex.user(**row)
    return ex.table("users")


def _transactions(*rows: dict[str, Any]) -> pa.Table:
    ex = Exports()
    for row in rows:
        fields = dict(row)
        ex.transaction(fields.pop("user_id", 1), at(D), **fields)
    return ex.table("transactions")


def _base(settings: Settings, *user_ids: int) -> None:
    """Every table's folder with one file (users ``user_ids``, the other tables empty)."""
    ex = Exports()
    for user_id in user_ids:
        ex.user(user_id)
    ex.write(settings.input)


def _one_row(table: str) -> Exports:
    """Users 1 and 2 and one row of ``table`` (only user 1 when ``table`` is users)."""
    ex = Exports()
    ex.user(1)
    if table == "users":
        return ex
    ex.user(2)
    match table:
        case "transactions":
            ex.transaction(1, at(D), txn_id=10)
        case "bills":
            ex.bill(1, D, paid=at(D), bill_id=10)
        case "relationships":
            ex.friend(1, 2, at(date(2026, 1, 1)))
        case _:
            raise ValueError(table)
    return ex


def _with_column(ex: Exports, table: str, column: str, array: pa.Array | None) -> pa.Table:
    """``ex``'s table with one column replaced by ``array`` (or removed when it is None)."""
    arrow = ex.table(table)
    index = arrow.schema.get_field_index(column)
    if array is None:
        return arrow.remove_column(index)
    return arrow.set_column(index, column, array)


@contextmanager
def _db(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published warehouse."""
    con = connect_read_only(settings)
    try:
        yield con
    finally:
        con.close()


def _rows(
    db: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, Any] | None = None
) -> list[Any]:
    return db.execute(sql, parameters or {}).fetchall()


def _query(settings: Settings, sql: str, parameters: dict[str, Any] | None = None) -> list[Any]:
    with _db(settings) as db:
        return _rows(db, sql, parameters)


def _column_types(db: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(_rows(db, f"select column_name, column_type from (describe stg_{table})"))


def _published(settings: Settings) -> dict[str, Any]:
    """The published warehouse: the database file's bytes and the tables a run writes."""
    state: dict[str, Any] = {
        "sha256": hashlib.sha256(settings.database_path().read_bytes()).hexdigest()
    }
    with _db(settings) as db:
        for table in (
            "score_snapshots",
            "snapshot_dates",
            "ingested_files",
            "quarantine",
            "stg_users",
            "stg_transactions",
        ):
            state[table] = _rows(db, f"select * from {table} order by all")
    return state


def _module_settings(factory: pytest.TempPathFactory, name: str) -> Settings:
    """Settings for one module fixture. Its tiny tables hold a bad row beside one or two good
    ones, far above the circuit breaker's share, so the breaker is off here (it is tested in
    tests/e2e/test_run_safety.py)."""
    root = factory.mktemp(name)
    return Settings(warehouse=root / "warehouse", input=root / "exports", max_bad_row_share=1.0)


def _leftovers(settings: Settings) -> list[Path]:
    return [
        *settings.warehouse.glob(f"{ASIDE_PREFIX}*"),
        *settings.warehouse.glob("*.wal"),
    ]


def _assert_names(error: ExportError, table: str, relative: str, column: str | None) -> None:
    """The error names the table, the file (absolute or relative path) and the column."""
    assert error.table == table
    assert error.file is not None and relative in error.file
    assert error.column == column
    message = str(error)
    assert f"table {table}" in message
    assert relative in message
    if column is not None:
        assert f"column {column}" in message


def _same_value(json_value: Any, value: Any) -> bool:
    """Whether a value of ``row_json`` is the row's value."""
    if value is None or json_value is None:
        return json_value is None and value is None
    if isinstance(value, datetime):
        return datetime.fromisoformat(json_value) == value
    if isinstance(value, date):
        return date.fromisoformat(json_value) == value
    if isinstance(value, float) and math.isnan(value):
        return json_value == "NaN" or (isinstance(json_value, float) and math.isnan(json_value))
    return bool(json_value == value)


@contextmanager
def _local_time_zone(name: str) -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def _add_row(ex: Exports, table: str, key: int) -> dict[str, Any]:
    """Adds one valid row of ``table`` identified by ``key``; returns it (a dict to spoil)."""
    match table:
        case "users":
            ex.user(key)
        case "transactions":
            ex.transaction(1, at(D), txn_id=key)
        case "bills":
            ex.bill(1, D, paid=at(D), bill_id=key)
        case "relationships":
            ex.friend(1, 2, at(date(2026, 1, 1)) + timedelta(days=key))
        case _:
            raise ValueError(table)
    return ex.rows[table][-1]


def _key_filter(table: str, row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    key = TABLES_BY_NAME[table].primary_key
    return " and ".join(f'"{k}" = ${k}' for k in key), {k: row[k] for k in key}


# --- the later file wins on a repeated primary key -------------------------------------------


@pytest.mark.parametrize(
    ("newer", "older", "newer_by_ns"),
    [
        # the newer file also sorts later in byte order
        pytest.param("users/b.parquet", "users/a.parquet", 60 * SECOND_NS, id="newer-sorts-later"),
        # the newer file sorts earlier: the modification time decides, not the path
        pytest.param(
            "users/a.parquet", "users/b.parquet", 60 * SECOND_NS, id="newer-sorts-earlier"
        ),
        # a newer file in a hive partition against an older plain file that sorts later
        pytest.param(
            "users/month=2026-06/part-0.parquet",
            "users/part-1.parquet",
            SECOND_NS,
            id="newer-in-hive-dir",
        ),
        # one microsecond apart
        pytest.param("users/a.parquet", "users/b.parquet", 1_000, id="one-microsecond"),
        # 400 nanoseconds apart: the file system reports it, the contract says newer wins
        pytest.param(
            "users/a.parquet",
            "users/b.parquet",
            400,
            id="sub-microsecond",
        ),
    ],
)
def test_later_file_wins_on_a_repeated_key_by_newer_modification_time(
    settings: Settings, newer: str, older: str, newer_by_ns: int
) -> None:
    _base(settings)
    _deliver(settings, older, _users({"user_id": 1, "education": "master"}), T0_NS)
    _deliver(settings, newer, _users({"user_id": 1, "education": "doctorate"}), T0_NS + newer_by_ns)

    pipeline.run(settings, [])

    assert _query(settings, "select education, source_file from stg_users") == [
        ("doctorate", newer)
    ]
    # a key repeated across files is not bad input
    assert _query(settings, "select * from quarantine") == []


def test_later_file_wins_by_actual_modification_time_across_a_daylight_saving_change(
    settings: Settings,
) -> None:
    # 05:50 UTC is 01:50 EDT; 20 minutes later, 06:10 UTC, is 01:10 EST (clocks went back)
    older = int(datetime(2025, 11, 2, 5, 50, tzinfo=UTC).timestamp()) * SECOND_NS
    newer = int(datetime(2025, 11, 2, 6, 10, tzinfo=UTC).timestamp()) * SECOND_NS
    with _local_time_zone("America/New_York"):
        if time.localtime(older // SECOND_NS).tm_isdst != 1:
            pytest.skip("no time zone database for America/New_York")
        _base(settings)
        _deliver(settings, "users/b.parquet", _users({"user_id": 1, "education": "master"}), older)
        _deliver(
            settings, "users/a.parquet", _users({"user_id": 1, "education": "doctorate"}), newer
        )
        pipeline.run(settings, [])

    assert _query(settings, "select education, source_file from stg_users") == [
        ("doctorate", "users/a.parquet")
    ]


@pytest.mark.parametrize(
    ("winner", "loser"),
    [
        # plain names
        pytest.param("users/b.parquet", "users/a.parquet", id="plain"),
        # byte order, not case-insensitive order: 'a' (0x61) sorts after 'B' (0x42)
        pytest.param("users/a.parquet", "users/B.parquet", id="case"),
        # byte order, not natural order: 'part-9' sorts after 'part-10'
        pytest.param("users/part-9.parquet", "users/part-10.parquet", id="digits"),
        # UTF-8 bytes: 'é' (0xC3 0xA9) sorts after 'z'
        pytest.param("users/\u00e9.parquet", "users/z.parquet", id="utf8"),
        # a plain file sorts after a hive directory: 'p' after 'm'
        pytest.param("users/part-1.parquet", "users/month=2026-06/part-0.parquet", id="hive"),
    ],
)
def test_later_file_wins_on_equal_modification_time_by_later_path_in_byte_order(
    settings: Settings, winner: str, loser: str
) -> None:
    _base(settings)
    _deliver(settings, loser, _users({"user_id": 1, "education": "master"}), T0_NS)
    _deliver(settings, winner, _users({"user_id": 1, "education": "doctorate"}), T0_NS)

    pipeline.run(settings, [])

    assert _query(settings, "select education, source_file from stg_users") == [
        ("doctorate", winner)
    ]
    assert _query(settings, "select * from quarantine") == []


NIGHT_CASES = [
    # a correction with a newer modification time replaces the row loaded earlier
    pytest.param("n2", 3600 * SECOND_NS, True, id="newer"),
    # a newer correction wins even when its path sorts earlier
    pytest.param("n0", 3600 * SECOND_NS, True, id="newer-earlier-path"),
    # an older correction delivered later does not win: the mtime decides, not the night
    pytest.param("n2", -3600 * SECOND_NS, False, id="older"),
    # same modification time, later path: the correction wins
    pytest.param("n2", 0, True, id="tie-later-path"),
    # same modification time, earlier path: the row loaded earlier stays
    pytest.param("n0", 0, False, id="tie-earlier-path"),
]


@pytest.fixture(scope="module")
def two_nights(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[int, Any]]]:
    """Night 1 loads ``transactions/<case id>-n1.parquet`` (txn 10 + case index, amount 50);
    night 2 delivers ``transactions/<case id>-<correction>.parquet`` (same txn, amount 75)."""
    settings = _module_settings(tmp_path_factory, "nights")
    _base(settings, 1)
    for index, case in enumerate(NIGHT_CASES):
        rows = _transactions({"txn_id": 10 + index, "amount": 50.0})
        _deliver(settings, f"transactions/{case.id}-n1.parquet", rows, T0_NS)
    pipeline.run(settings, [])
    night_1 = dict(_query(settings, "select txn_id, amount from stg_transactions"))
    for index, case in enumerate(NIGHT_CASES):
        correction, shift_ns, _ = case.values
        rows = _transactions({"txn_id": 10 + index, "amount": 75.0})
        _deliver(settings, f"transactions/{case.id}-{correction}.parquet", rows, T0_NS + shift_ns)
    pipeline.run(settings, [])
    with _db(settings) as db:
        yield db, night_1


@pytest.mark.parametrize(("correction", "shift_ns", "correction_wins"), NIGHT_CASES)
def test_later_file_wins_against_rows_loaded_on_an_earlier_night(
    two_nights: tuple[duckdb.DuckDBPyConnection, dict[int, Any]],
    request: pytest.FixtureRequest,
    correction: str,
    shift_ns: int,
    correction_wins: bool,
) -> None:
    db, night_1 = two_nights
    case = request.node.callspec.id
    txn_id = 10 + [str(c.id) for c in NIGHT_CASES].index(case)
    assert night_1[txn_id] == 50.0

    expected = (
        (75.0, f"transactions/{case}-{correction}.parquet")
        if correction_wins
        else (50.0, f"transactions/{case}-n1.parquet")
    )
    assert _rows(
        db, "select amount, source_file from stg_transactions where txn_id = $t", {"t": txn_id}
    ) == [expected]
    assert _rows(db, "select * from quarantine") == []


@pytest.mark.parametrize(
    ("same_night", "keep_mtime"),
    [
        # the file and its re-sent copy arrive in the same delivery, same mtime
        pytest.param(True, True, id="same-night"),
        # the copy arrives on a later night with a newer mtime
        pytest.param(False, False, id="later-night-newer-mtime"),
        # the copy arrives on a later night with the original's mtime (copied with cp -p)
        pytest.param(False, True, id="later-night-same-mtime"),
    ],
)
def test_the_same_row_arriving_twice_gives_one_row(
    settings: Settings, same_night: bool, keep_mtime: bool
) -> None:
    _base(settings, 1)
    rows = _transactions({"txn_id": 10, "amount": 50.0}, {"txn_id": 11, "amount": 60.0})
    _deliver(settings, "transactions/part-1.parquet", rows, T0_NS)
    if not same_night:
        pipeline.run(settings, [])
    resent_mtime = T0_NS if keep_mtime else T0_NS + 3600 * SECOND_NS
    _deliver(settings, "transactions/part-1-resent.parquet", rows, resent_mtime)

    pipeline.run(settings, [])

    assert _query(settings, "select txn_id, amount from stg_transactions order by txn_id") == [
        (10, 50.0),
        (11, 60.0),
    ]
    assert _query(settings, "select * from quarantine") == []


# --- lossless widening is accepted; lossy or wrong types stop the run -------------------------

WIDENING_CASES = [
    # int32 primary key
    pytest.param("users", "user_id", pa.array([7], pa.int32()), "BIGINT", 7, id="user_id-int32"),
    # uint32 fits int64 without loss
    pytest.param(
        "users",
        "user_id",
        pa.array([4_000_000_000], pa.uint32()),
        "BIGINT",
        4_000_000_000,
        id="user_id-uint32",
    ),
    # score_refresh_day at the contract's own width
    pytest.param(
        "users", "score_refresh_day", pa.array([5], pa.int8()), "BIGINT", 5, id="refresh-int8"
    ),
    # score_refresh_day wider than the contract's int8
    pytest.param(
        "users", "score_refresh_day", pa.array([12], pa.int16()), "BIGINT", 12, id="refresh-int16"
    ),
    pytest.param(
        "users", "score_refresh_day", pa.array([28], pa.int64()), "BIGINT", 28, id="refresh-int64"
    ),
    # timestamp[ns] -> timestamp[us] (289 ns below a microsecond are dropped)
    pytest.param(
        "users",
        "registered_at",
        pa.array([1_600_000_000_123_456_289], pa.timestamp("ns")),
        "TIMESTAMP",
        datetime(2020, 9, 13, 12, 26, 40, 123456),
        id="registered_at-ns",
    ),
    # timestamp[ms]
    pytest.param(
        "users",
        "registered_at",
        pa.array([1_600_000_000_123], pa.timestamp("ms")),
        "TIMESTAMP",
        datetime(2020, 9, 13, 12, 26, 40, 123000),
        id="registered_at-ms",
    ),
    # timestamp[s]
    pytest.param(
        "users",
        "registered_at",
        pa.array([1_600_000_000], pa.timestamp("s")),
        "TIMESTAMP",
        datetime(2020, 9, 13, 12, 26, 40),
        id="registered_at-s",
    ),
    # int32 primary and foreign keys of a fact table
    pytest.param(
        "transactions", "txn_id", pa.array([10], pa.int32()), "BIGINT", 10, id="txn_id-int32"
    ),
    pytest.param(
        "transactions", "user_id", pa.array([2], pa.int32()), "BIGINT", 2, id="fk-user_id-int32"
    ),
    # timestamp[ns] event time
    pytest.param(
        "transactions",
        "txn_ts",
        pa.array([1_780_000_000_000_000_123], pa.timestamp("ns")),
        "TIMESTAMP",
        datetime(2026, 5, 28, 20, 26, 40),
        id="txn_ts-ns",
    ),
    # float32 amount (12.5 is exact in float32)
    pytest.param(
        "transactions", "amount", pa.array([12.5], pa.float32()), "DOUBLE", 12.5, id="amount-f32"
    ),
    # nullable int32 foreign key
    pytest.param(
        "bills", "account_id", pa.array([77], pa.int32()), "BIGINT", 77, id="account_id-int32"
    ),
    # int32 friend_id, part of a composite key
    pytest.param(
        "relationships", "friend_id", pa.array([2], pa.int32()), "BIGINT", 2, id="friend_id-int32"
    ),
    # timestamp[ms] in a composite key
    pytest.param(
        "relationships",
        "since",
        pa.array([1_600_000_000_500], pa.timestamp("ms")),
        "TIMESTAMP",
        datetime(2020, 9, 13, 12, 26, 40, 500000),
        id="since-ms",
    ),
]


@pytest.fixture(scope="module")
def widened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """One run over every widening case, each case in its own file ``<table>/<case id>.parquet``
    with its own key (a night's delivery may well mix writers and widths)."""
    settings = _module_settings(tmp_path_factory, "widening")
    _base(settings, 1, 2)
    for index, case in enumerate(WIDENING_CASES):
        table, column, array, _, _ = case.values
        ex = Exports()
        _add_row(ex, table, 200 + index)
        _deliver(settings, f"{table}/{case.id}.parquet", _with_column(ex, table, column, array))
    pipeline.run(settings, [])
    with _db(settings) as db:
        yield db


@pytest.mark.parametrize(("table", "column", "array", "duck_type", "expected"), WIDENING_CASES)
def test_lossless_widening_is_accepted(
    widened: duckdb.DuckDBPyConnection,
    request: pytest.FixtureRequest,
    table: str,
    column: str,
    array: pa.Array,
    duck_type: str,
    expected: Any,
) -> None:
    source = {"file": f"{table}/{request.node.callspec.id}.parquet"}

    assert _column_types(widened, table)[column] == duck_type
    assert _rows(
        widened, f'select "{column}" from stg_{table} where source_file = $file', source
    ) == [(expected,)]
    assert _rows(widened, "select count(*) from quarantine where source_file = $file", source) == [
        (0,)
    ]


def _epoch_ns(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1)) // timedelta(microseconds=1) * 1_000


def test_lossless_widening_of_timestamp_ns_keeps_the_event_on_its_day(settings: Settings) -> None:
    _base(settings, 1)
    last_nanosecond_of_d = _epoch_ns(datetime.combine(D, datetime.max.time())) + 999
    rows = _transactions({"txn_id": 10})
    index = rows.schema.get_field_index("txn_ts")
    array = pa.array([last_nanosecond_of_d], pa.timestamp("ns"))
    _deliver(settings, "transactions/part-1.parquet", rows.set_column(index, "txn_ts", array))

    pipeline.run(settings, [])

    # 23:59:59.999999999 on D is still on D: narrowed to 23:59:59.999999, not D+1 00:00
    assert _query(settings, "select txn_ts from stg_transactions") == [
        (datetime.combine(D, datetime.max.time()),)
    ]


WRONG_TYPE_CASES = [
    # an amount as text
    pytest.param("transactions", "amount", pa.array(["50.0"]), id="amount-string"),
    # a date column given as a timestamp (the time of day would be lost)
    pytest.param(
        "bills", "due_date", pa.array([datetime(2026, 6, 1)], pa.timestamp("us")), id="due-ts"
    ),
    # timestamps with a time zone (the contract's timestamps are naive)
    pytest.param(
        "transactions",
        "txn_ts",
        pa.array([datetime(2026, 6, 1)], pa.timestamp("us", tz="UTC")),
        id="txn_ts-utc",
    ),
    pytest.param(
        "users",
        "registered_at",
        pa.array([datetime(2020, 1, 1)], pa.timestamp("ns", tz="Asia/Shanghai")),
        id="registered_at-shanghai",
    ),
    # a floating-point id does not convert to int64 without loss
    pytest.param("users", "user_id", pa.array([1.0]), id="user_id-double"),
    # uint64 may exceed int64
    pytest.param("users", "user_id", pa.array([1], pa.uint64()), id="user_id-uint64"),
    # a flag given as an integer
    pytest.param("users", "phone_verified", pa.array([1], pa.int8()), id="bool-int8"),
    # an enum given as an integer code
    pytest.param("users", "education", pa.array([3], pa.int32()), id="education-int"),
    # a composite-key timestamp as text
    pytest.param("relationships", "since", pa.array(["2026-01-01 12:00:00"]), id="since-string"),
]


@pytest.mark.parametrize(("table", "column", "array"), WRONG_TYPE_CASES)
def test_lossy_or_wrong_type_stops_the_run_naming_table_file_and_column(
    settings: Settings, table: str, column: str, array: pa.Array
) -> None:
    ex = _one_row(table)
    ex.write(settings.input)
    _deliver(settings, f"{table}/part-0.parquet", _with_column(ex, table, column, array))

    with pytest.raises(ExportError) as raised:
        pipeline.run(settings, [])

    _assert_names(raised.value, table, f"{table}/part-0.parquet", column)
    assert not settings.database_path().exists()  # nothing was published


# --- unlisted columns are ignored ----------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "array"),
    [
        # an ordinary extra column
        pytest.param("note", pa.array(["hello"]), id="note"),
        # a nested extra column
        pytest.param("tags", pa.array([["a", "b"]]), id="list"),
        # extra columns named like the lineage columns ingest adds
        pytest.param("source_file", pa.array(["bogus.parquet"]), id="source_file"),
        pytest.param("ingest_run_id", pa.array(["bogus-run"]), id="ingest_run_id"),
        # named like the hive partition key of other files
        pytest.param("month", pa.array(["2026-06"]), id="month"),
        # named like DuckDB's read_parquet(filename = true) column
        pytest.param(
            "filename",
            pa.array(["upstream.csv"]),
            id="filename",
        ),
        # named like DuckDB's read_parquet(file_row_number = true) column
        pytest.param(
            "file_row_number",
            pa.array([99], pa.int64()),
            id="file_row_number",
        ),
    ],
)
def test_unlisted_columns_are_ignored(settings: Settings, extra: str, array: pa.Array) -> None:
    _base(settings, 1)
    rows = _transactions({"txn_id": 10, "amount": 12.5, "category": "shopping"})
    _deliver(settings, "transactions/part-1.parquet", rows.append_column(extra, array))

    pipeline.run(settings, [])

    contract = TABLES_BY_NAME["transactions"].column_names
    with _db(settings) as db:
        assert list(_column_types(db, "transactions")) == [*contract, *LINEAGE_COLUMNS]
        assert _rows(
            db, "select txn_id, user_id, category, amount, source_file from stg_transactions"
        ) == [(10, 1, "shopping", 12.5, "transactions/part-1.parquet")]
        assert _rows(db, "select * from quarantine") == []


# --- a missing column or an unreadable file stops the run, nothing is published -------------


@pytest.mark.parametrize(
    ("table", "column"),
    [
        # a required measure
        pytest.param("transactions", "amount", id="amount"),
        # a nullable column must still be present
        pytest.param("users", "score_refresh_day", id="nullable"),
        pytest.param("relationships", "ended_at", id="nullable-fk-table"),
        # a date
        pytest.param("bills", "due_date", id="date"),
        # part of the primary key
        pytest.param("relationships", "since", id="key-part"),
    ],
)
def test_missing_listed_column_stops_the_run_naming_table_file_and_column(
    settings: Settings, table: str, column: str
) -> None:
    ex = _one_row(table)
    ex.write(settings.input)
    _deliver(settings, f"{table}/part-0.parquet", _with_column(ex, table, column, None))

    with pytest.raises(ExportError) as raised:
        pipeline.run(settings, [])

    _assert_names(raised.value, table, f"{table}/part-0.parquet", column)
    assert not settings.database_path().exists()


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a parquet file\n" * 10)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _bad_magic(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:-4] + b"XXXX")


@pytest.mark.parametrize(
    "spoil",
    [
        # garbage bytes named .parquet
        pytest.param(_garbage, id="garbage"),
        # an empty file
        pytest.param(_empty, id="empty"),
        # a file cut off half-way (no footer)
        pytest.param(_truncated, id="truncated"),
        # a footer without the PAR1 magic
        pytest.param(_bad_magic, id="bad-magic"),
    ],
)
def test_unreadable_file_stops_the_run_naming_table_and_file(
    settings: Settings, spoil: Any
) -> None:
    _base(settings, 1)
    path = _deliver(settings, "transactions/part-1.parquet", _transactions({"txn_id": 10}))
    spoil(path)

    with pytest.raises(ExportError) as raised:
        pipeline.run(settings, [])

    _assert_names(raised.value, "transactions", "transactions/part-1.parquet", None)
    assert not settings.database_path().exists()


def _spoil_data_pages(path: Path) -> None:
    """Overwrites the column chunks of a zstd file, keeping its footer (the schema) readable."""
    metadata = pq.ParquetFile(path).metadata
    group = metadata.row_group(0)
    start = group.column(0).data_page_offset
    last = group.column(group.num_columns - 1)
    end = last.data_page_offset + last.total_compressed_size
    data = bytearray(path.read_bytes())
    data[start:end] = b"\xab" * (end - start)
    path.write_bytes(bytes(data))


def test_unreadable_file_stops_the_run_naming_the_file_when_only_its_data_pages_are_bad(
    settings: Settings,
) -> None:
    _base(settings, 1)
    for number in range(1, 7):
        path = settings.input / f"transactions/part-{number}.parquet"
        pq.write_table(_transactions({"txn_id": number}), path, compression="zstd")
    _spoil_data_pages(path)  # the last one, part-6, the 7th file with part-0
    assert pq.read_schema(path).names  # its schema still reads

    with pytest.raises(ExportError) as raised:
        pipeline.run(settings, [])

    _assert_names(raised.value, "transactions", "transactions/part-6.parquet", None)


def _missing_column(settings: Settings) -> None:
    rows = _transactions({"txn_id": 20}).drop_columns(["amount"])
    _deliver(settings, "transactions/part-9.parquet", rows)


def _garbage_file(settings: Settings) -> None:
    _garbage(settings.input / "transactions/part-9.parquet")


def _lossy_type(settings: Settings) -> None:
    rows = _transactions({"txn_id": 20})
    index = rows.schema.get_field_index("amount")
    _deliver(
        settings, "transactions/part-9.parquet", rows.set_column(index, "amount", pa.array(["1"]))
    )


def _bad_data_pages(settings: Settings) -> None:
    path = settings.input / "transactions/part-9.parquet"
    pq.write_table(_transactions({"txn_id": 20}), path, compression="zstd")
    _spoil_data_pages(path)


@pytest.mark.parametrize(
    "deliver_bad_file",
    [
        # a file that misses a listed column
        pytest.param(_missing_column, id="missing-column"),
        # garbage bytes named part-9.parquet
        pytest.param(_garbage_file, id="garbage"),
        # a column of a lossy type
        pytest.param(_lossy_type, id="lossy-type"),
        # a readable schema with unreadable data (fails later, in the load itself)
        pytest.param(_bad_data_pages, id="bad-data-pages"),
    ],
)
def test_run_stopped_by_a_bad_file_leaves_the_published_warehouse_as_it_was(
    settings: Settings, exports: Exports, deliver_bad_file: Any
) -> None:
    exports.active_user(1, D)
    exports.transaction(999, at(D))  # an unknown user: gives the first run a quarantined row
    pipeline.run(settings, [D], exports)
    before = _published(settings)
    assert before["score_snapshots"] and before["quarantine"] and before["ingested_files"]

    # the second night: a good new users file (loaded first if the run went on) and a bad file
    _deliver(settings, "users/part-1.parquet", _users({"user_id": 2}))
    deliver_bad_file(settings)
    with pytest.raises(ExportError) as raised:
        pipeline.run(settings, [D])

    assert raised.value.table == "transactions"
    assert _published(settings) == before
    assert _leftovers(settings) == []


# --- bad rows go to quarantine and the run goes on -----------------------------------------


QUARANTINE_CASES = [
    # null in a non-nullable column
    pytest.param("transactions", {"txn_ts": None}, "txn_ts", id="null-txn_ts"),
    pytest.param("users", {"phone_verified": None}, "phone_verified", id="null-users-flag"),
    pytest.param("bills", {"due_date": None}, "due_date", id="null-due_date"),
    # unknown enum values
    pytest.param("transactions", {"direction": "sideways"}, "direction", id="direction-sideways"),
    pytest.param("users", {"education": "phd"}, "education", id="education-phd"),
    pytest.param("bills", {"product": "mortgage"}, "product", id="bill-product"),
    # amount must be > 0
    pytest.param("transactions", {"amount": -5.0}, "amount", id="amount-negative"),
    pytest.param("transactions", {"amount": 0.0}, "amount", id="amount-zero"),
    pytest.param("transactions", {"amount": math.nan}, "amount", id="amount-nan"),
    pytest.param("bills", {"amount_due": 0.0}, "amount_due", id="amount_due-zero"),
    # amount must be >= 0
    pytest.param("bills", {"amount_paid": -1.0}, "amount_paid", id="amount_paid-negative"),
    pytest.param("bills", {"amount_paid": math.nan}, "amount_paid", id="amount_paid-nan"),
    # score_refresh_day must be 1-28
    pytest.param("users", {"score_refresh_day": 0}, "score_refresh_day", id="refresh-0"),
    pytest.param("users", {"score_refresh_day": 29}, "score_refresh_day", id="refresh-29"),
    # a foreign key to an unknown user
    pytest.param("transactions", {"user_id": 999}, "user_id", id="txn-unknown-user"),
    pytest.param("bills", {"user_id": 999}, "user_id", id="bill-unknown-user"),
    pytest.param("relationships", {"friend_id": 999}, "friend_id", id="unknown-friend"),
    pytest.param("relationships", {"user_id": 999}, "user_id", id="relationship-unknown-user"),
]


@pytest.fixture(scope="module")
def quarantined(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, tuple[dict[str, Any], dict[str, Any]]]]]:
    """One run (ingest and score D) over every case, each case in its own file
    ``<table>/<case id>.parquet`` holding one good row and one bad row with their own keys."""
    settings = _module_settings(tmp_path_factory, "quarantine")
    _base(settings, 1, 2)
    rows = {}
    for index, case in enumerate(QUARANTINE_CASES):
        table, spoil, _ = case.values
        ex = Exports()
        good = _add_row(ex, table, 100 + 2 * index)
        bad = _add_row(ex, table, 101 + 2 * index)
        bad.update(spoil)
        _deliver(settings, f"{table}/{case.id}.parquet", ex.table(table))
        rows[str(case.id)] = (good, bad)
    pipeline.run(settings, [D])
    with _db(settings) as db:
        yield db, rows


@pytest.mark.parametrize(("table", "spoil", "column"), QUARANTINE_CASES)
def test_bad_row_is_quarantined_with_table_file_and_reason_while_the_run_goes_on(
    quarantined: tuple[duckdb.DuckDBPyConnection, dict[str, Any]],
    request: pytest.FixtureRequest,
    table: str,
    spoil: dict[str, Any],
    column: str,
) -> None:
    db, rows = quarantined
    case = request.node.callspec.id
    good, bad = rows[case]
    source = f"{table}/{case}.parquet"

    found = _rows(
        db,
        "select table_name, reason, row_json, run_id from quarantine where source_file = $file",
        {"file": source},
    )
    assert len(found) == 1
    table_name, reason, row_json, run_id = found[0]
    assert table_name == table
    assert column in reason
    values = json.loads(row_json)
    for name in TABLES_BY_NAME[table].column_names:
        assert _same_value(values[name], bad[name]), name
    # the run that read the file quarantined the row
    assert _rows(
        db,
        "select run_id, rows_read, rows_quarantined from ingested_files where source_file = $file",
        {"file": source},
    ) == [(run_id, 2, 1)]

    # the bad row is not staged; the good row of the same file is
    where, parameters = _key_filter(table, bad)
    assert _rows(db, f"select count(*) from stg_{table} where {where}", parameters) == [(0,)]
    where, parameters = _key_filter(table, good)
    assert _rows(db, f"select source_file from stg_{table} where {where}", parameters) == [
        (source,)
    ]
    # the run went on to score D and publish: the good row's user is scored
    assert _rows(
        db,
        "select count(*) from score_snapshots where snapshot_date = $d and user_id = $user_id",
        {"d": D, "user_id": good["user_id"]},
    ) == [(1,)]


@pytest.mark.parametrize(
    ("table", "key", "change"),
    [
        # a single-column key, the second row with another amount
        pytest.param("transactions", "txn_id", {"amount": 99.0}, id="transactions"),
        # users: the duplicate user is quarantined, another user of the file is loaded
        pytest.param("users", "user_id", {"education": "master"}, id="users"),
        # a composite key: same (user_id, friend_id, since), another ended_at
        pytest.param(
            "relationships",
            "user_id, friend_id, since",
            {"ended_at": at(date(2026, 5, 1))},
            id="relationships",
        ),
    ],
)
def test_duplicate_key_within_one_file_quarantines_both_rows(
    settings: Settings, table: str, key: str, change: dict[str, Any]
) -> None:
    ex = Exports()
    ex.user(1)
    ex.user(2)
    if table == "users":
        good, first = ex.rows["users"]
    else:
        good, first = _add_row(ex, table, 10), _add_row(ex, table, 11)
    second = ex.add(table, **{**first, **change})

    settings = settings.model_copy(update={"max_bad_row_share": 1.0})  # tiny table
    pipeline.run(settings, [], ex)

    with _db(settings) as db:
        quarantined = _rows(db, "select table_name, source_file, reason, row_json from quarantine")
        where_first, first_key = _key_filter(table, first)
        where_good, good_key = _key_filter(table, good)
        first_staged = _rows(db, f"select count(*) from stg_{table} where {where_first}", first_key)
        good_staged = _rows(db, f"select count(*) from stg_{table} where {where_good}", good_key)

    assert len(quarantined) == 2
    for table_name, source_file, reason, _ in quarantined:
        assert table_name == table
        assert source_file == f"{table}/part-0.parquet"
        assert "duplicate key" in reason and key in reason
    columns = TABLES_BY_NAME[table].column_names
    for duplicate in (first, second):  # each of the two rows is kept, with its own values
        matches = [
            row_json
            for *_, row_json in quarantined
            if all(_same_value(json.loads(row_json)[c], duplicate[c]) for c in columns)
        ]
        assert len(matches) == 1
    assert first_staged == [(0,)]
    assert good_staged == [(1,)]


# --- which files are read: hive partitions, hidden files, the manifest ----------------------


def test_hive_partitioned_files_are_read(settings: Settings) -> None:
    _base(settings, 1)
    _deliver(
        settings,
        "transactions/month=2026-05/part-0.parquet",
        _transactions({"txn_id": 10, "amount": 5.0}),
    )
    _deliver(
        settings,
        "transactions/month=2026-06/part-0.parquet",
        _transactions({"txn_id": 11, "amount": 6.0}),
    )

    pipeline.run(settings, [])

    with _db(settings) as db:
        assert _rows(
            db, "select txn_id, amount, source_file from stg_transactions order by txn_id"
        ) == [
            (10, 5.0, "transactions/month=2026-05/part-0.parquet"),
            (11, 6.0, "transactions/month=2026-06/part-0.parquet"),
        ]
        assert _rows(
            db,
            "select source_file from ingested_files where table_name = 'transactions' order by all",
        ) == [
            ("transactions/month=2026-05/part-0.parquet",),
            ("transactions/month=2026-06/part-0.parquet",),
            ("transactions/part-0.parquet",),
        ]


HIDDEN_CASES = [
    # Spark's success marker (not Parquet at all)
    pytest.param("transactions/_SUCCESS", False, id="_SUCCESS"),
    # a hidden temporary file being written, not readable yet
    pytest.param("transactions/.part-tmp.parquet", False, id="dot-file-garbage"),
    # a hidden file that is valid Parquet
    pytest.param("transactions/.part-done.parquet", True, id="dot-file-valid"),
    # an underscore file
    pytest.param("transactions/_part-2.parquet", True, id="underscore-file"),
    # files inside a temporary or hidden directory
    pytest.param("transactions/_temporary/0/part-0.parquet", True, id="underscore-dir"),
    pytest.param("transactions/.staging/part-0.parquet", True, id="dot-dir"),
    # a hidden file inside a hive partition
    pytest.param("transactions/month=2026-06/.part-1.parquet", True, id="dot-file-in-hive"),
]


@pytest.fixture(scope="module")
def with_hidden_files(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """One run over an export with every hidden file of HIDDEN_CASES beside a data file: a
    readable one would add its own transaction (txn_id 500 + case index) if it were read, an
    unreadable one would stop the run."""
    settings = _module_settings(tmp_path_factory, "hidden")
    _base(settings, 1)
    _deliver(settings, "transactions/month=2026-06/part-0.parquet", _transactions({"txn_id": 10}))
    for index, case in enumerate(HIDDEN_CASES):
        hidden, readable = case.values
        if readable:
            _deliver(settings, hidden, _transactions({"txn_id": 500 + index}))
        else:
            (settings.input / hidden).parent.mkdir(parents=True, exist_ok=True)
            _garbage(settings.input / hidden)
    pipeline.run(settings, [])
    with _db(settings) as db:
        yield db


@pytest.mark.parametrize(("hidden", "readable"), HIDDEN_CASES)
def test_hidden_and_underscore_files_are_ignored(
    with_hidden_files: duckdb.DuckDBPyConnection, hidden: str, readable: bool
) -> None:
    db = with_hidden_files
    assert _rows(
        db, "select count(*) from ingested_files where source_file = $f", {"f": hidden}
    ) == [(0,)]
    assert _rows(
        db, "select count(*) from stg_transactions where source_file = $f", {"f": hidden}
    ) == [(0,)]
    # the data file beside it is read, and only it
    assert _rows(db, "select txn_id, source_file from stg_transactions") == [
        (10, "transactions/month=2026-06/part-0.parquet")
    ]


def test_a_second_run_ingests_nothing_and_a_later_file_is_ingested_on_the_next_run(
    settings: Settings,
) -> None:
    _base(settings, 1)
    _deliver(settings, "transactions/part-1.parquet", _transactions({"txn_id": 10}))
    first = pipeline.run(settings, [])
    assert sum(t.files for t in first) == 12  # part-0 of every table, and part-1
    with _db(settings) as db:
        manifest = _rows(
            db,
            "select table_name, source_file, rows_read, run_id from ingested_files order by all",
        )
        staged = _rows(db, "select * from stg_transactions order by all")

    # no new files: nothing is read, the manifest and the staging rows are unchanged
    second = pipeline.run(settings, [])
    assert [(t.files, t.rows_read) for t in second] == [(0, 0)] * len(second)
    with _db(settings) as db:
        assert (
            _rows(
                db,
                "select table_name, source_file, rows_read, run_id from ingested_files "
                "order by all",
            )
            == manifest
        )
        assert _rows(db, "select * from stg_transactions order by all") == staged

    # a file delivered later: only that file is read on the next run
    _deliver(settings, "transactions/part-2.parquet", _transactions({"txn_id": 11}))
    third = pipeline.run(settings, [])
    assert {t.table: (t.files, t.rows_read) for t in third if t.files} == {"transactions": (1, 1)}
    with _db(settings) as db:
        manifest_after = _rows(
            db,
            "select table_name, source_file, rows_read, run_id from ingested_files order by all",
        )
        run_ids = dict(_rows(db, "select txn_id, ingest_run_id from stg_transactions"))
    new_rows = [row for row in manifest_after if row not in manifest]
    assert [(r[0], r[1], r[2]) for r in new_rows] == [
        ("transactions", "transactions/part-2.parquet", 1)
    ]
    assert run_ids[10] == staged[0][-1]  # txn 10 was not loaded again
    assert run_ids[11] == new_rows[0][-1]
