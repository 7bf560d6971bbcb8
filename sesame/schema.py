"""The export tables of the data contract, as data.

This module is the project's own copy of section 1 of the contract: for every export table, its
columns, their types, nullability, allowed values and ranges (the bounds every money column and
every timestamp and date must keep, and the open-ended end date that means null), its primary
key, its foreign keys to ``users`` and its event time (section 2). Ingest validates against it
and the synthetic generator writes to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

CONTRACT_VERSION = "2"

ColumnType = Literal["int64", "int8", "double", "bool", "string", "timestamp", "date"]

PRODUCTS_CREDIT = ("huabei", "jiebei", "credit_card", "installment_loan")
PRODUCTS_BILL = (*PRODUCTS_CREDIT, "utility", "phone", "rent")
LIVING_BILL_PRODUCTS = ("utility", "phone", "rent")
EDUCATION_LEVELS = ("none", "secondary", "bachelor", "master", "doctorate")
PROFILE_FIELDS = ("phone", "address", "email", "employer", "education", "vehicle")
TXN_CATEGORIES = (
    "shopping",
    "dining",
    "transit",
    "utility",
    "phone_bill",
    "rent",
    "travel",
    "transfer",
    "salary",
    "refund",
)
REPAIR_REASONS = ("forgot", "temporary_hardship", "system_error", "other")
NEGATIVE_CATEGORIES = ("legal", "financial", "life")
ASSET_TYPES = ("deposit", "fund", "real_estate", "vehicle", "social_security", "provident_fund")
RISK_KINDS = ("cash_out", "fraud_report", "account_abuse")

# Contract v2, section 1: the bounds on values.
MONEY_MAXIMUM = 1e15  # every money column is finite and at most this (CNY)
EARLIEST_DATE = date(1900, 1, 1)  # every timestamp and date lies in EARLIEST_DATE ..
LATEST_DATE = date(2199, 12, 31)  # .. LATEST_DATE (any time of that day)
OPEN_END_DATE = date(9999, 12, 31)  # in an open-ended column, at any time of day: null (still open)


@dataclass(frozen=True)
class Column:
    """One listed column of an export table."""

    name: str
    type: ColumnType
    nullable: bool = False
    values: tuple[str, ...] | None = None  # allowed values of a string column
    minimum: float | None = None  # inclusive lower bound
    exclusive_minimum: float | None = None  # strict lower bound (amount > 0)
    maximum: float | None = None  # inclusive upper bound (a number above it, or inf, is bad)
    open_end: bool = False  # a nullable end column: OPEN_END_DATE in it means null (still open)


@dataclass(frozen=True)
class Table:
    """One export table: its columns, primary key, the columns that must name a known user and
    the column that holds its event time (contract section 2)."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    event_time: str
    user_keys: tuple[str, ...] = field(default=("user_id",))

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name}")


def _amount(name: str, *, nullable: bool = False, positive: bool = True) -> Column:
    """A money column: > 0 (``positive``) or >= 0, finite and at most MONEY_MAXIMUM."""
    if positive:
        return Column(
            name, "double", nullable=nullable, exclusive_minimum=0.0, maximum=MONEY_MAXIMUM
        )
    return Column(name, "double", nullable=nullable, minimum=0.0, maximum=MONEY_MAXIMUM)


def _open_end(name: str) -> Column:
    """A nullable end timestamp (closed, paid, resolved, ended): OPEN_END_DATE means null."""
    return Column(name, "timestamp", nullable=True, open_end=True)


TABLES: tuple[Table, ...] = (
    Table(
        "users",
        (
            Column("user_id", "int64"),
            Column("registered_at", "timestamp"),
            Column("real_name_verified", "bool"),
            Column("phone_verified", "bool"),
            Column("email_verified", "bool"),
            Column("address_on_file", "bool"),
            Column("education", "string", nullable=True, values=EDUCATION_LEVELS),
            Column("employer_verified", "bool"),
            Column("vehicle_verified", "bool"),
            Column("score_refresh_day", "int8", nullable=True, minimum=1, maximum=28),
        ),
        primary_key=("user_id",),
        event_time="registered_at",
        user_keys=(),
    ),
    Table(
        "profile_changes",
        (
            Column("change_id", "int64"),
            Column("user_id", "int64"),
            Column("changed_at", "timestamp"),
            Column("field", "string", values=PROFILE_FIELDS),
        ),
        primary_key=("change_id",),
        event_time="changed_at",
    ),
    Table(
        "transactions",
        (
            Column("txn_id", "int64"),
            Column("user_id", "int64"),
            Column("txn_ts", "timestamp"),
            Column("direction", "string", values=("out", "in")),
            Column("category", "string", values=TXN_CATEGORIES),
            _amount("amount"),
            Column("receipt_confirmed", "bool", nullable=True),
        ),
        primary_key=("txn_id",),
        event_time="txn_ts",
    ),
    Table(
        "credit_accounts",
        (
            Column("account_id", "int64"),
            Column("user_id", "int64"),
            Column("product", "string", values=PRODUCTS_CREDIT),
            Column("opened_at", "timestamp"),
            _open_end("closed_at"),
            Column("closed_by", "string", nullable=True, values=("user", "platform")),
            _amount("credit_limit", positive=False),
        ),
        primary_key=("account_id",),
        event_time="opened_at",
    ),
    Table(
        "bills",
        (
            Column("bill_id", "int64"),
            Column("user_id", "int64"),
            Column("account_id", "int64", nullable=True),
            Column("product", "string", values=PRODUCTS_BILL),
            Column("due_date", "date"),
            _amount("amount_due"),
            _open_end("paid_at"),
            _amount("amount_paid", positive=False),
            Column("deliberate_default", "bool"),
        ),
        primary_key=("bill_id",),
        event_time="due_date",
    ),
    Table(
        "loan_applications",
        (
            Column("application_id", "int64"),
            Column("user_id", "int64"),
            Column("applied_at", "timestamp"),
            Column("product", "string", values=("jiebei", "installment_loan", "credit_card")),
            _amount("amount"),
            Column("decision", "string", values=("approved", "declined", "pending")),
        ),
        primary_key=("application_id",),
        event_time="applied_at",
    ),
    Table(
        "negative_records",
        (
            Column("record_id", "int64"),
            Column("user_id", "int64"),
            Column("category", "string", values=NEGATIVE_CATEGORIES),
            Column("source", "string"),
            Column("occurred_at", "timestamp"),
            _amount("amount", nullable=True, positive=False),
            _open_end("resolved_at"),
            Column("removed_on_appeal", "bool"),
        ),
        primary_key=("record_id",),
        event_time="occurred_at",
    ),
    Table(
        "repair_requests",
        (
            Column("request_id", "int64"),
            Column("user_id", "int64"),
            Column("bill_id", "int64"),
            Column("requested_at", "timestamp"),
            Column("reason", "string", values=REPAIR_REASONS),
        ),
        primary_key=("request_id",),
        event_time="requested_at",
    ),
    Table(
        "relationships",
        (
            Column("user_id", "int64"),
            Column("friend_id", "int64"),
            Column("since", "timestamp"),
            _open_end("ended_at"),
        ),
        primary_key=("user_id", "friend_id", "since"),
        event_time="since",
        user_keys=("user_id", "friend_id"),
    ),
    Table(
        "assets",
        (
            Column("user_id", "int64"),
            Column("as_of", "date"),
            Column("asset_type", "string", values=ASSET_TYPES),
            _amount("value", positive=False),
        ),
        primary_key=("user_id", "as_of", "asset_type"),
        event_time="as_of",
    ),
    Table(
        "risk_events",
        (
            Column("event_id", "int64"),
            Column("user_id", "int64"),
            Column("event_ts", "timestamp"),
            Column("kind", "string", values=RISK_KINDS),
        ),
        primary_key=("event_id",),
        event_time="event_ts",
    ),
)

TABLES_BY_NAME: dict[str, Table] = {table.name: table for table in TABLES}
