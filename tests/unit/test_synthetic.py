"""Tests of sesame.synthetic: the generated exports follow data contract v1 and behave plausibly."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sesame.schema import TABLES, TABLES_BY_NAME
from sesame.synthetic import generate_exports

USERS = 400
MONTHS = 13
CHUNK_USERS = 150  # three chunks: 150 + 150 + 100 users
SEED = 7
END = datetime.date(2026, 11, 17)
WINDOW_START = datetime.date(2025, 10, 18)  # 13 months up to and including END
END_TS = "timestamp '2026-11-17 23:59:59'"
START_TS = "timestamp '2025-10-18 00:00:00'"

ARROW_TYPES = {
    "int64": pa.int64(),
    "int8": pa.int8(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "string": pa.string(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}

# event-time columns that must lie within the window (contract section 2)
WINDOW_EVENTS = [
    ("profile_changes", "changed_at"),
    ("transactions", "txn_ts"),
    ("credit_accounts", "opened_at"),
    ("credit_accounts", "closed_at"),
    ("bills", "due_date"),
    ("bills", "paid_at"),
    ("loan_applications", "applied_at"),
    ("repair_requests", "requested_at"),
    ("relationships", "since"),
    ("relationships", "ended_at"),
    ("assets", "as_of"),
    ("risk_events", "event_ts"),
]


def _generate(out: Path, *, seed: int = SEED, progress: list[int] | None = None) -> dict[str, int]:
    return generate_exports(
        out,
        users=USERS,
        months=MONTHS,
        seed=seed,
        end=END,
        chunk_users=CHUNK_USERS,
        on_progress=progress.append if progress is not None else None,
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], list[int]]:
    out = tmp_path_factory.mktemp("exports")
    progress: list[int] = []
    rows = _generate(out, progress=progress)
    return out, rows, progress


@pytest.fixture(scope="module")
def exports(generated: tuple[Path, dict[str, int], list[int]]) -> Path:
    return generated[0]


@pytest.fixture(scope="module")
def con(exports: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    for table in TABLES:
        connection.execute(
            f"create view {table.name} as "
            f"select * from read_parquet('{exports / table.name}/*.parquet')"
        )
    return connection


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return _rows(con, sql)[0][0]


def test_every_table_has_exactly_the_contract_columns_and_arrow_types(exports: Path) -> None:
    for table in TABLES:
        files = sorted((exports / table.name).glob("*.parquet"))
        assert files, table.name
        expected = [(c.name, ARROW_TYPES[c.type]) for c in table.columns]
        for path in files:
            schema = pq.read_schema(path)
            assert [(f.name, f.type) for f in schema] == expected, path


def test_one_file_per_chunk_and_progress_per_chunk(
    generated: tuple[Path, dict[str, int], list[int]],
) -> None:
    out, _, progress = generated
    assert progress == [150, 150, 100]
    for table in TABLES:
        names = sorted(p.name for p in (out / table.name).iterdir())
        assert names == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]


def test_returned_counts_match_the_files_and_no_table_is_empty(
    generated: tuple[Path, dict[str, int], list[int]],
) -> None:
    out, rows, _ = generated
    assert set(rows) == {table.name for table in TABLES}
    for table in TABLES:
        on_disk = sum(pq.read_metadata(p).num_rows for p in (out / table.name).glob("*.parquet"))
        assert rows[table.name] == on_disk > 0, table.name
    assert rows["users"] == USERS


def test_same_parameters_give_byte_identical_files(exports: Path, tmp_path: Path) -> None:
    _generate(tmp_path)
    first = sorted(p.relative_to(exports) for p in exports.rglob("*.parquet"))
    second = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet"))
    assert first == second
    for relative in first:
        assert (exports / relative).read_bytes() == (tmp_path / relative).read_bytes(), relative


def test_another_seed_gives_other_data(exports: Path, tmp_path: Path) -> None:
    _generate(tmp_path, seed=SEED + 1)
    for name in ("users", "transactions", "bills"):
        path = Path(name) / "part-00000.parquet"
        assert (exports / path).read_bytes() != (tmp_path / path).read_bytes(), name


def test_rerun_into_the_same_directory_drops_stale_parts(tmp_path: Path) -> None:
    generate_exports(tmp_path, users=40, months=3, end=END, chunk_users=10)
    generate_exports(tmp_path, users=40, months=3, end=END, chunk_users=20)
    assert sorted(p.name for p in (tmp_path / "users").iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
    ]


def test_primary_keys_are_unique_across_files(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        key = ", ".join(table.primary_key)
        duplicates = _one(
            con,
            f"select count(*) from (select {key} from {table.name} "
            f"group by all having count(*) > 1)",
        )
        assert duplicates == 0, table.name


def test_user_ids_are_one_to_users(con: duckdb.DuckDBPyConnection) -> None:
    assert _rows(con, "select min(user_id), max(user_id), count(distinct user_id) from users") == [
        (1, USERS, USERS)
    ]


def test_every_user_key_names_a_generated_user(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        for column in table.user_keys:
            unknown = _one(
                con,
                f"select count(*) from {table.name} "
                f"where {column} not in (select user_id from users) or {column} is null",
            )
            assert unknown == 0, (table.name, column)


def test_no_nulls_where_the_contract_forbids_them(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        for column in table.columns:
            if not column.nullable:
                nulls = _one(con, f"select count(*) from {table.name} where {column.name} is null")
                assert nulls == 0, (table.name, column.name)


def test_string_columns_keep_to_their_allowed_values(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        for column in table.columns:
            if column.values is None:
                continue
            seen = {v for (v,) in _rows(con, f"select distinct {column.name} from {table.name}")}
            assert seen - {None} <= set(column.values), (table.name, column.name)


@pytest.mark.parametrize(
    ("table", "column", "values"),
    [
        # every enum value of the central tables occurs, so downstream code sees all of them
        ("transactions", "category", None),
        ("bills", "product", None),
        ("negative_records", "category", None),
        ("repair_requests", "reason", None),
        ("loan_applications", "decision", None),
        ("credit_accounts", "closed_by", None),
        ("profile_changes", "field", None),
        ("assets", "asset_type", None),
        ("users", "education", None),
    ],
)
def test_every_enum_value_occurs(
    con: duckdb.DuckDBPyConnection, table: str, column: str, values: None
) -> None:
    allowed = TABLES_BY_NAME[table].column(column).values
    assert allowed is not None
    seen = {v for (v,) in _rows(con, f"select distinct {column} from {table}")}
    assert seen - {None} == set(allowed)


def test_numeric_bounds_hold(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        for column in table.columns:
            checks = []
            if column.minimum is not None:
                checks.append(f"{column.name} < {column.minimum}")
            if column.exclusive_minimum is not None:
                checks.append(f"{column.name} <= {column.exclusive_minimum}")
            if column.maximum is not None:
                checks.append(f"{column.name} > {column.maximum}")
            for check in checks:
                bad = _one(con, f"select count(*) from {table.name} where {check}")
                assert bad == 0, (table.name, check)


def test_event_times_lie_within_the_window(con: duckdb.DuckDBPyConnection) -> None:
    for table, column in WINDOW_EVENTS:
        outside = _one(
            con,
            f"select count(*) from {table} where {column} < {START_TS} or {column} > {END_TS}",
        )
        assert outside == 0, (table, column)


def test_no_event_before_the_users_registration(con: duckdb.DuckDBPyConnection) -> None:
    for table, column in WINDOW_EVENTS:
        if table == "relationships":
            key = "friend_id"
            early = _one(
                con,
                f"select count(*) from {table} join users on users.user_id = {table}.{key} "
                f"where {column} < registered_at",
            )
            assert early == 0, (table, key)
        cast = f"{column} + interval 1 day" if column in ("due_date", "as_of") else column
        early = _one(
            con,
            f"select count(*) from {table} join users using (user_id) where {cast} < registered_at",
        )
        assert early == 0, (table, column)


def test_registrations_spread_before_and_into_the_window(con: duckdb.DuckDBPyConnection) -> None:
    first, last, before, recent = _rows(
        con,
        f"select min(registered_at), max(registered_at), "
        f"avg((registered_at < {START_TS})::int), "
        f"count(*) filter (where registered_at > {END_TS} - interval 42 day) from users",
    )[0]
    assert first >= datetime.datetime(2022, 10, 17)
    assert last <= datetime.datetime(2026, 11, 17, 23, 59, 59)
    assert 0.55 < before < 0.85
    assert recent > 0


def test_rows_are_sorted_by_user_then_time(con: duckdb.DuckDBPyConnection, exports: Path) -> None:
    order = {
        "users": "user_id",
        "transactions": "txn_ts",
        "bills": "due_date",
        "profile_changes": "changed_at",
        "relationships": "since",
        "assets": "as_of",
    }
    for table, time_column in order.items():
        for path in sorted((exports / table).glob("*.parquet")):
            data = pq.read_table(path, columns=["user_id", time_column]).to_pylist()
            keys = [(row["user_id"], row[time_column]) for row in data]
            assert keys == sorted(keys), path


def test_receipt_confirmation_only_on_shopping(con: duckdb.DuckDBPyConnection) -> None:
    rows = dict(
        _rows(
            con,
            "select category = 'shopping', count(*) filter (where receipt_confirmed is null) "
            "from transactions group by 1",
        )
    )
    assert rows[True] == 0
    assert rows[False] == _one(
        con, "select count(*) from transactions where category <> 'shopping'"
    )
    confirmed = _one(con, "select avg(receipt_confirmed::int) from transactions")
    assert 0.6 < confirmed < 0.95


def test_directions_follow_categories(con: duckdb.DuckDBPyConnection) -> None:
    rows = dict(
        _rows(
            con,
            "select category, list(distinct direction order by direction) "
            "from transactions group by 1",
        )
    )
    assert rows["salary"] == ["in"]
    assert rows["refund"] == ["in"]
    assert rows["shopping"] == ["out"]
    assert rows["transfer"] == ["in", "out"]


def test_transaction_volume_is_realistic(con: duckdb.DuckDBPyConnection) -> None:
    per_user_month = _one(con, f"select count(*) / {USERS} / {MONTHS} from transactions")
    assert 1.2 < per_user_month < 3.0
    # heavy-tailed across users: the busiest tenth makes far more than its share
    top_share = _one(
        con,
        "select sum(n) filter (where rank <= 40) / sum(n) from ("
        "select count(*) as n, row_number() over (order by count(*) desc) as rank "
        "from transactions where category <> 'salary' group by user_id)",
    )
    assert top_share > 0.3


def test_closed_by_is_set_exactly_when_closed_at_is(con: duckdb.DuckDBPyConnection) -> None:
    bad = _one(
        con,
        "select count(*) from credit_accounts "
        "where (closed_at is null) <> (closed_by is null) or closed_at <= opened_at",
    )
    assert bad == 0
    assert _one(con, "select count(*) from credit_accounts where closed_at is not null") > 0


def test_huabei_is_the_most_held_product_and_loans_the_least(
    con: duckdb.DuckDBPyConnection,
) -> None:
    shares = dict(_rows(con, f"select product, count(*) / {USERS} from credit_accounts group by 1"))
    assert shares["huabei"] > shares["jiebei"] > shares["credit_card"] > shares["installment_loan"]


def test_bill_payments_are_consistent(con: duckdb.DuckDBPyConnection) -> None:
    bad = _one(
        con,
        f"select count(*) from bills where paid_at > {END_TS} "
        "or (paid_at is null and amount_paid <> 0) "
        "or (paid_at is not null and amount_paid <> amount_due)",
    )
    assert bad == 0
    unpaid, late, total = _rows(
        con,
        "select count(*) filter (where paid_at is null), "
        "count(*) filter (where paid_at >= due_date + interval 1 day), count(*) from bills",
    )[0]
    assert 0 < unpaid < late < 0.3 * total


def test_credit_bills_name_an_account_of_the_same_user_and_product(
    con: duckdb.DuckDBPyConnection,
) -> None:
    bad = _one(
        con,
        "select count(*) from bills left join credit_accounts as a using (account_id) "
        "where (bills.product in ('utility', 'phone', 'rent')) <> (bills.account_id is null) "
        "or (bills.account_id is not null and (a.user_id is distinct from bills.user_id "
        "or a.product is distinct from bills.product or bills.due_date < a.opened_at::date "
        "or bills.due_date > coalesce(a.closed_at::date, date '2026-11-17')))",
    )
    assert bad == 0
    living_payers = _one(con, "select count(distinct user_id) from bills where account_id is null")
    assert 0.3 * USERS < living_payers < 0.7 * USERS


def test_deliberate_defaults_are_unpaid_or_paid_very_late(con: duckdb.DuckDBPyConnection) -> None:
    bad = _one(
        con,
        "select count(*) from bills where deliberate_default "
        "and paid_at < due_date + interval 45 day",
    )
    assert bad == 0


def test_repair_requests_follow_their_bills(con: duckdb.DuckDBPyConnection) -> None:
    bad = _one(
        con,
        f"select count(*) from repair_requests as r left join bills as b using (bill_id) "
        f"where b.bill_id is null or b.user_id <> r.user_id "
        f"or r.requested_at < b.due_date or r.requested_at > {END_TS} "
        f"or r.requested_at < coalesce(b.paid_at, b.due_date)",
    )
    assert bad == 0


def test_repair_requests_include_approvable_and_rejectable_cases(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # forgot + paid within 30 days of due: the approvable case
    approvable, very_late, deliberate, repeated = _rows(
        con,
        "select count(*) filter (where r.reason = 'forgot' and not b.deliberate_default "
        "  and b.paid_at <= b.due_date + interval 31 day), "
        "count(*) filter (where b.paid_at > b.due_date + interval 31 day), "
        "count(*) filter (where b.deliberate_default or b.paid_at is null), "
        "(select count(*) from (select user_id from repair_requests "
        "  group by user_id having count(*) > 1)) "
        "from repair_requests as r join bills as b using (bill_id)",
    )[0]
    assert approvable > 0
    assert very_late > 0
    assert deliberate > 0
    assert repeated > 0
    reasons = {v for (v,) in _rows(con, "select distinct reason from repair_requests")}
    assert reasons == {"forgot", "temporary_hardship", "system_error", "other"}


def test_negative_records_cover_every_case(con: duckdb.DuckDBPyConnection) -> None:
    categories = {v for (v,) in _rows(con, "select distinct category from negative_records")}
    assert categories == {"legal", "financial", "life"}
    resolved, removed, old, null_amount, users_with = _rows(
        con,
        f"select count(resolved_at), count(*) filter (where removed_on_appeal), "
        f"count(*) filter (where occurred_at < {START_TS}), count(*) - count(amount), "
        f"count(distinct user_id) from negative_records",
    )[0]
    assert resolved > 0
    assert removed > 0
    assert old > 0
    assert null_amount > 0
    assert 0.03 * USERS < users_with < 0.2 * USERS
    bad = _one(
        con,
        f"select count(*) from negative_records where resolved_at <= occurred_at "
        f"or resolved_at > {END_TS} or occurred_at > {END_TS} "
        f"or occurred_at < {END_TS} - interval 8 year or source = ''",
    )
    assert bad == 0


def test_relationships_have_no_self_edges_and_end_after_they_start(
    con: duckdb.DuckDBPyConnection,
) -> None:
    bad = _one(
        con,
        "select count(*) from relationships where user_id = friend_id or ended_at <= since",
    )
    assert bad == 0
    most_friends = _one(
        con, "select max(n) from (select count(*) as n from relationships group by user_id)"
    )
    assert most_friends <= 15
    assert _one(con, "select count(ended_at) from relationships") > 0
    # friends reach across chunks
    assert (
        _one(
            con,
            "select count(*) from relationships where (user_id - 1) // 150 <> "
            "(friend_id - 1) // 150",
        )
        > 0
    )


def test_users_profile_shares_are_plausible(con: duckdb.DuckDBPyConnection) -> None:
    shares = _rows(
        con,
        "select avg(real_name_verified::int), avg(phone_verified::int), "
        "avg(email_verified::int), avg(address_on_file::int), avg(employer_verified::int), "
        "avg(vehicle_verified::int), avg((education is null)::int), "
        "avg((score_refresh_day is null)::int) from users",
    )[0]
    expected = (0.95, 0.90, 0.60, 0.70, 0.40, 0.20, 0.20, 0.50)
    for share, target in zip(shares, expected, strict=True):
        assert abs(share - target) < 0.1, (shares, expected)


def test_churners_and_borrowing_sprees_exist(con: duckdb.DuckDBPyConnection) -> None:
    churners = _one(
        con,
        "select count(*) from (select user_id from profile_changes "
        "where field in ('phone', 'address') group by user_id having count(*) >= 6)",
    )
    assert churners > 0
    spree = _one(
        con,
        "select count(*) from (select user_id, count(*) over (partition by user_id "
        "order by applied_at range between interval 30 day preceding and current row) as n "
        "from loan_applications) where n >= 5",
    )
    assert spree > 0


def test_assets_snapshots_fall_on_month_ends(con: duckdb.DuckDBPyConnection) -> None:
    bad = _one(con, "select count(*) from assets where as_of <> last_day(as_of)")
    assert bad == 0
