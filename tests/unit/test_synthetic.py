"""Tests of sesame.synthetic: the exports follow data contract v2, behave plausibly, and carry the
risk the ground truth (`_truth/user_months`) says they do."""

from __future__ import annotations

import calendar
import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sesame.dates import add_months
from sesame.schema import TABLES, TABLES_BY_NAME
from sesame.synthetic import SHOCK_DROP, generate_exports

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

# event-time columns that must lie within the window (contract section 2); credit accounts may
# open before it (soon after an early registration), their bills start in it
WINDOW_EVENTS = [
    ("profile_changes", "changed_at"),
    ("transactions", "txn_ts"),
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
    for directory in [*(t.name for t in TABLES), "_truth/user_months"]:
        names = sorted(p.name for p in (out / directory).iterdir())
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
    assert Path("_truth/user_months/part-00000.parquet") in first  # the truth too
    for relative in first:
        assert (exports / relative).read_bytes() == (tmp_path / relative).read_bytes(), relative


def test_another_seed_gives_other_data(exports: Path, tmp_path: Path) -> None:
    _generate(tmp_path, seed=SEED + 1)
    for name in ("users", "transactions", "bills", "_truth/user_months"):
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
    assert first >= datetime.datetime(2015, 11, 17)  # at most 11 years before end
    assert first < datetime.datetime(2017, 11, 17)
    assert last <= datetime.datetime(2026, 11, 17, 23, 59, 59)
    assert 0.6 < before < 0.9
    assert recent > 0


def test_credit_accounts_open_after_registration_and_by_end(
    con: duckdb.DuckDBPyConnection,
) -> None:
    bad = _one(
        con,
        f"select count(*) from credit_accounts join users using (user_id) "
        f"where opened_at < registered_at or opened_at > {END_TS}",
    )
    assert bad == 0
    # revolving accounts of early registrants were opened before the window
    assert _one(con, f"select count(*) from credit_accounts where opened_at < {START_TS}") > 0


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
    assert 0.03 * USERS < users_with < 0.25 * USERS
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


# --------------------------------------------------------------------------------------------
# ground truth and the risk it describes: a larger population over 24 months, the outcome for
# RISK_S (its 12-month performance window closes exactly at RISK_END)

RISK_USERS = 3000
RISK_MONTHS = 24
RISK_SEED = 11
RISK_END = datetime.date(2026, 10, 31)
RISK_S = datetime.date(2025, 10, 31)
RISK_SHOCK = "2025-11"  # the month after RISK_S: its outcome window is hit
CREDIT_PRODUCTS = ["huabei", "jiebei", "credit_card", "installment_loan"]
MONTH_ENDS = [
    datetime.date(y, m, calendar.monthrange(y, m)[1])
    for y, m in [(2024 + (10 + i) // 12, (10 + i) % 12 + 1) for i in range(RISK_MONTHS)]
]


def _generate_risk(out: Path, *, shock: str | None = None) -> Path:
    generate_exports(
        out,
        users=RISK_USERS,
        months=RISK_MONTHS,
        seed=RISK_SEED,
        end=RISK_END,
        chunk_users=1000,
        shock=shock,
    )
    return out


@pytest.fixture(scope="module")
def risk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate_risk(tmp_path_factory.mktemp("risk"))


@pytest.fixture(scope="module")
def shocked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate_risk(tmp_path_factory.mktemp("shocked"), shock=RISK_SHOCK)


def _read(out: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(out / table / "*.parquet")


def _truth(out: Path) -> pl.DataFrame:
    return _read(out, "_truth/user_months")


def _days_past_due(at: datetime.date) -> pl.Expr:
    """Days past due on `at` (contract section 2): to the payment, or to `at` if unpaid then."""
    paid = pl.col("paid_at").dt.date()
    until = pl.when(paid.is_not_null() & (paid <= at)).then(paid).otherwise(pl.lit(at))
    return (until - pl.col("due_date")).dt.total_days()


def _outcomes(out: Path, snapshot: datetime.date) -> pl.DataFrame:
    """The contract's outcome for `snapshot`, measured from the bills: user_id, is_bad, pd_12m.

    Users registered after the snapshot or with a credit bill 90+ days past due at it are left
    out (as the contract excludes them); no generated repair is approvable for a 90+ bill.
    """
    window_end = add_months(snapshot, 9)
    performance_end = add_months(snapshot, 12)
    credit = _read(out, "bills").filter(pl.col("product").is_in(CREDIT_PRODUCTS))
    already = (
        credit.filter(pl.col("due_date") < snapshot)
        .filter(_days_past_due(snapshot) >= 90)
        .select("user_id")
        .unique()
    )
    worst = (
        credit.filter((pl.col("due_date") > snapshot) & (pl.col("due_date") <= window_end))
        .group_by("user_id")
        .agg(_days_past_due(performance_end).max().alias("worst_days"))
    )
    registered = _read(out, "users").filter(pl.col("registered_at").dt.date() <= snapshot)
    return (
        _truth(out)
        .filter(pl.col("month_end") == snapshot)
        .join(registered.select("user_id"), on="user_id")
        .join(already, on="user_id", how="anti")
        .join(worst, on="user_id", how="left")
        .select("user_id", "pd_12m", is_bad=pl.col("worst_days").fill_null(0) >= 90)
    )


def test_truth_has_one_row_per_user_and_month_end(exports: Path, risk: Path) -> None:
    for out, users, month_ends in [
        # the small fixture: 13 months up to 2026-11-17 hold the month-ends Oct 2025 .. Oct 2026
        (exports, USERS, [add_months(datetime.date(2025, 10, 31), i) for i in range(13)]),
        (risk, RISK_USERS, MONTH_ENDS),
    ]:
        truth = _truth(out)
        assert truth.schema == pl.Schema(
            {
                "user_id": pl.Int64,
                "month_end": pl.Date,
                "quality": pl.Float64,
                "pd_12m": pl.Float64,
            }
        )
        assert truth.height == users * len(month_ends)
        assert truth.select(pl.struct("user_id", "month_end").is_unique().all()).item()
        assert sorted(truth["month_end"].unique()) == month_ends
        assert truth["user_id"].n_unique() == users
        assert truth.select(pl.col("pd_12m").min()).item() >= 0.0
        assert truth.select(pl.col("pd_12m").max()).item() < 1.0
        assert truth.null_count().sum_horizontal().item() == 0


def test_truth_matches_the_bad_outcome_measured_from_the_bills(risk: Path) -> None:
    outcomes = _outcomes(risk, RISK_S)
    assert outcomes.height > 0.6 * RISK_USERS
    bad_rate = outcomes["is_bad"].mean()
    mean_pd = outcomes["pd_12m"].mean()
    assert isinstance(bad_rate, float) and isinstance(mean_pd, float)
    assert 0.03 < bad_rate < 0.10  # the contract's bad: a few % of scored users in 12 months
    assert 0.67 < mean_pd / bad_rate < 1.5  # calibrated, loosely
    quintiles = (
        outcomes.with_columns(
            quintile=(pl.col("pd_12m").rank("ordinal") * 5 - 1) // outcomes.height
        )
        .group_by("quintile")
        .agg(pl.col("is_bad").mean().alias("bad_rate"))
        .sort("quintile")
    )["bad_rate"].to_list()
    assert len(quintiles) == 5
    assert quintiles[4] > 4 * quintiles[0]
    assert quintiles[4] - quintiles[0] > 0.05
    assert quintiles[4] > quintiles[2] > quintiles[0]


def test_shock_lowers_quality_from_its_month_and_raises_risk_after_it(
    risk: Path, shocked: Path
) -> None:
    base = _truth(risk).sort("user_id", "month_end")
    hit = _truth(shocked).sort("user_id", "month_end")
    drop = (base["quality"] - hit["quality"]).to_numpy()
    after = (base["month_end"] >= datetime.date(2025, 11, 30)).to_numpy()
    assert abs(drop[~after]).max() == 0.0  # the same seed: the same path before the shock
    assert abs(drop[after] - SHOCK_DROP).max() < 1e-9
    # a month-end whose outcome window lies wholly before the shock keeps its pd
    early = base["month_end"] == datetime.date(2024, 11, 30)
    assert base.filter(early)["pd_12m"].equals(hit.filter(early)["pd_12m"])
    # the snapshot before the shock: higher true pd, and more users go bad
    outcomes = (_outcomes(risk, RISK_S), _outcomes(shocked, RISK_S))
    pd_before, pd_after = (o.select(pl.col("pd_12m").mean()).item() for o in outcomes)
    bad_before, bad_after = (o.select(pl.col("is_bad").mean()).item() for o in outcomes)
    assert pd_after > 1.3 * pd_before
    assert bad_after > 1.2 * bad_before


def test_shock_must_be_a_month(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        generate_exports(tmp_path, users=5, months=2, end=END, shock="2026-1")


def test_without_truth_no_truth_is_left(tmp_path: Path) -> None:
    generate_exports(tmp_path, users=20, months=2, end=END)
    assert list((tmp_path / "_truth" / "user_months").iterdir())
    generate_exports(tmp_path, users=20, months=2, end=END, truth=False)
    assert not list((tmp_path / "_truth" / "user_months").iterdir())


def _history_bin(months: int) -> str:
    return next(label for upper, label in HISTORY_BINS if months < upper)


HISTORY_BINS = [(6, "0-6"), (24, "6-24"), (60, "24-60"), (96, "60-96"), (10**6, "96+")]
ASSET_BINS = [
    (1, "0"),
    (10_000, "<10k"),
    (50_000, "10k-50k"),
    (200_000, "50k-200k"),
    (1_000_000, "200k-1M"),
    (5_000_000, "1M-5M"),
    (float("inf"), "5M+"),
]


def _risk_con(out: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    for table in [*(t.name for t in TABLES), "_truth/user_months"]:
        connection.execute(
            f"create view {table.split('/')[-1]} as "
            f"select * from read_parquet('{out / table}/*.parquet')"
        )
    # a user's mean true pd over the month-ends since registration
    connection.execute(
        "create view user_pd as select user_id, avg(pd_12m) as pd from user_months "
        "join users using (user_id) where month_end >= registered_at group by 1"
    )
    return connection


@pytest.fixture(scope="module")
def risk_con(risk: Path) -> duckdb.DuckDBPyConnection:
    return _risk_con(risk)


@pytest.mark.parametrize("snapshot", [RISK_S, RISK_END])
def test_registrations_populate_every_history_bin(
    risk_con: duckdb.DuckDBPyConnection, snapshot: datetime.date
) -> None:
    rows = _rows(
        risk_con,
        f"select datediff('month', registered_at, date '{snapshot}') from users "
        f"where registered_at <= date '{snapshot}'",
    )
    counts: dict[str, int] = {}
    for (months,) in rows:
        counts[_history_bin(months)] = counts.get(_history_bin(months), 0) + 1
    assert set(counts) == {label for _, label in HISTORY_BINS}
    assert min(counts.values()) > 0.03 * RISK_USERS
    # longer tenure, slightly higher quality (lower risk)
    young, old = _rows(
        risk_con,
        f"select avg(quality) filter (where registered_at > d - interval 24 month), "
        f"avg(quality) filter (where registered_at <= d - interval 96 month) "
        f"from (select date '{snapshot}' as d), users join user_months using (user_id) "
        f"where month_end = d and registered_at <= d",
    )[0]
    assert young < old


def test_assets_populate_every_bin_and_more_assets_go_with_lower_risk(
    risk_con: duckdb.DuckDBPyConnection,
) -> None:
    rows = _rows(
        risk_con,
        f"with latest as (select user_id, asset_type, arg_max(value, as_of) as value from assets "
        f"where as_of <= date '{RISK_END}' group by all) "
        f"select coalesce(sum(value), 0), any_value(pd) from user_pd "
        f"left join latest using (user_id) group by user_id",
    )
    by_bin: dict[str, list[float]] = {}
    for total, pd in rows:
        label = next(label for upper, label in ASSET_BINS if total < upper)
        by_bin.setdefault(label, []).append(pd)
    assert set(by_bin) == {label for _, label in ASSET_BINS}
    assert min(len(v) for v in by_bin.values()) >= 10
    mean = {label: sum(v) / len(v) for label, v in by_bin.items()}
    assert mean["<10k"] > mean["50k-200k"] > mean["5M+"]


def test_users_profile_shares_are_plausible(risk_con: duckdb.DuckDBPyConnection) -> None:
    # on the larger population: 400 users are two communities, too few for stable shares
    shares = _rows(
        risk_con,
        "select avg(real_name_verified::int), avg(phone_verified::int), "
        "avg(email_verified::int), avg(address_on_file::int), avg(employer_verified::int), "
        "avg(vehicle_verified::int), avg((education is null)::int), "
        "avg((score_refresh_day is null)::int) from users",
    )[0]
    expected = (0.95, 0.90, 0.52, 0.61, 0.43, 0.18, 0.25, 0.50)
    for share, target in zip(shares, expected, strict=True):
        assert abs(share - target) < 0.1, (shares, expected)


def test_profile_items_spread_over_0_to_7_and_fuller_goes_with_lower_risk(
    risk_con: duckdb.DuckDBPyConnection,
) -> None:
    rows = dict(
        _rows(
            risk_con,
            "select real_name_verified::int + phone_verified::int + email_verified::int "
            "+ address_on_file::int + (education is not null)::int + employer_verified::int "
            "+ vehicle_verified::int as items, avg(pd) from users join user_pd using (user_id) "
            "group by 1",
        )
    )
    assert set(rows) == set(range(8))
    assert rows[0] > rows[3] > rows[5] > rows[7]


# users with the fact (SQL returning user_id), whether it goes with a higher (True) or lower
# mean pd_12m than users without, and the most users that may have it; a fact of the form
# (..., population) compares within that population only (users who can show the fact)
ALL_USERS = "select user_id from users"
SALARIED_ALL_WINDOW = (
    "select user_id from users where registered_at < timestamp '2024-11-01' and user_id in "
    "(select user_id from transactions where category = 'salary')"
)
CREDIT_USERS_ALL_WINDOW = (
    "select user_id from bills where product in ('huabei', 'jiebei', 'credit_card', "
    "'installment_loan') group by 1 having count(distinct date_trunc('month', due_date)) >= 20"
)
RISK_FACTS: list[tuple[str, str, bool, float, str]] = [
    # derogatory facts: rare, and riskier
    (
        "legal_record",
        "select user_id from negative_records where category = 'legal'",
        True,
        0.03,
        ALL_USERS,
    ),
    (
        "financial_record",
        "select user_id from negative_records where category = 'financial'",
        True,
        0.10,
        ALL_USERS,
    ),
    (
        "life_record",
        "select user_id from negative_records where category = 'life'",
        True,
        0.12,
        ALL_USERS,
    ),
    (
        "deliberate_default",
        "select user_id from bills where deliberate_default",
        True,
        0.03,
        ALL_USERS,
    ),
    ("platform_violation", "select user_id from risk_events", True, 0.06, ALL_USERS),
    (
        "frequent_phone_change",
        "select user_id from profile_changes where field = 'phone' group by 1 having count(*) >= 3",
        True,
        0.10,
        ALL_USERS,
    ),
    (
        "frequent_address_change",
        "select user_id from profile_changes where field = 'address' "
        "group by 1 having count(*) >= 3",
        True,
        0.10,
        ALL_USERS,
    ),
    (
        "borrowing_spree",
        "select user_id from (select user_id, count(*) over (partition by user_id "
        "order by applied_at range between interval 30 day preceding and current row) as n "
        "from loan_applications) where n >= 5",
        True,
        0.06,
        ALL_USERS,
    ),
    (
        "unconfirmed_receipts",
        "select user_id from transactions where category = 'shopping' "
        "group by 1 having avg(receipt_confirmed::int) < 0.5",
        True,
        0.25,
        ALL_USERS,
    ),
    (
        "late_bill",
        "select user_id from bills where paid_at >= due_date + interval 1 day",
        True,
        0.4,
        ALL_USERS,
    ),
    (
        "unstable_income",
        "select user_id from transactions where category = 'salary' "
        "group by 1 having count(distinct date_trunc('month', txn_ts)) < 21",
        True,
        0.4,
        SALARIED_ALL_WINDOW,
    ),
    # good habits: common, and safer
    (
        "living_payments",
        "select user_id from bills where product in ('utility', 'phone', 'rent')",
        False,
        0.8,
        ALL_USERS,
    ),
    (
        "card_repayment",
        "select user_id from bills where product = 'credit_card'",
        False,
        0.5,
        ALL_USERS,
    ),
    (
        "repaid_huabei_or_jiebei",
        "select user_id from bills where product in ('huabei', 'jiebei') "
        "and paid_at < due_date + interval 1 day group by 1 having count(*) >= 18",
        False,
        0.95,
        CREDIT_USERS_ALL_WINDOW,
    ),
]


@pytest.mark.parametrize(
    ("fact", "users_sql", "riskier", "share", "population"),
    RISK_FACTS,
    ids=[f[0] for f in RISK_FACTS],
)
def test_behaviour_carries_risk(
    risk_con: duckdb.DuckDBPyConnection,
    fact: str,
    users_sql: str,
    riskier: bool,
    share: float,
    population: str,
) -> None:
    with_fact, without, prevalence = _rows(
        risk_con,
        f"with marked as (select user_id, user_id in ({users_sql}) as has from user_pd "
        f"where user_id in ({population})) "
        f"select avg(pd) filter (where has), avg(pd) filter (where not has), avg(has::int) "
        f"from marked join user_pd using (user_id)",
    )[0]
    assert 0 < prevalence < share, fact
    if riskier:
        assert with_fact > 1.3 * without, fact
    else:
        assert with_fact < without, fact


def test_quality_drifts_month_to_month(risk: Path) -> None:
    steps = (
        _truth(risk)
        .sort("user_id", "month_end")
        .select(pl.col("quality").diff().over("user_id").alias("step"))
        .drop_nulls()["step"]
    )
    assert 0.08 < steps.std() < 0.2  # type: ignore[operator]
    assert steps.abs().max() > 0.3  # type: ignore[operator]


def test_living_bills_start_in_the_windows_first_month(risk_con: duckdb.DuckDBPyConnection) -> None:
    first_month, payers = _rows(
        risk_con,
        "select count(*) filter (where first_due < date '2024-12-01'), count(*) from ("
        "select user_id, min(due_date) as first_due from bills join users using (user_id) "
        "where product in ('utility', 'phone', 'rent') "
        "and registered_at < timestamp '2024-11-01' group by 1)",
    )[0]
    assert payers > 0
    assert first_month > 0.9 * payers  # the rest paid the first month's bills elsewhere


def test_most_users_have_monthly_credit_bills(risk_con: duckdb.DuckDBPyConnection) -> None:
    share = _one(
        risk_con,
        f"select count(*) / {RISK_USERS} from (select user_id from bills "
        f"where product in ('huabei', 'jiebei', 'credit_card', 'installment_loan') "
        f"group by 1 having count(distinct date_trunc('month', due_date)) >= 12)",
    )
    assert share > 0.6
