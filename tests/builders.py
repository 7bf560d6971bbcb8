"""Small contract-v1 exports made in the test: rows with sensible defaults, written as Parquet."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sesame.schema import TABLES, TABLES_BY_NAME

ARROW_TYPES = {
    "int64": pa.int64(),
    "int8": pa.int8(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "string": pa.string(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}


def at(day: date, hour: int = 12) -> datetime:
    """A timestamp on ``day``."""
    return datetime.combine(day, time(hour))


def months_back(day: date, months: int) -> date:
    """The same day-of-month ``months`` earlier (clamped to 28)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, 28))


class Exports:
    """Rows per export table; ``write`` makes one Parquet file per table."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in TABLES}
        self._ids = itertools.count(1_000_000)

    def next_id(self) -> int:
        return next(self._ids)

    def add(self, table: str, **row: Any) -> dict[str, Any]:
        self.rows[table].append(row)
        return row

    # --- one helper per table, with the contract's defaults ----------------------------------

    def user(self, user_id: int, registered: date = date(2020, 1, 1), **fields: Any) -> None:
        row: dict[str, Any] = {
            "user_id": user_id,
            "registered_at": at(registered, 9),
            "real_name_verified": True,
            "phone_verified": True,
            "email_verified": True,
            "address_on_file": True,
            "education": "bachelor",
            "employer_verified": True,
            "vehicle_verified": True,
            "score_refresh_day": None,
        }
        row.update(fields)
        self.add("users", **row)

    def transaction(
        self, user_id: int, when: datetime, category: str = "dining", **fields: Any
    ) -> None:
        direction = "in" if category in ("salary", "refund") else "out"
        row: dict[str, Any] = {
            "txn_id": self.next_id(),
            "user_id": user_id,
            "txn_ts": when,
            "direction": direction,
            "category": category,
            "amount": 50.0,
            "receipt_confirmed": True if category == "shopping" else None,
        }
        row.update(fields)
        self.add("transactions", **row)

    def bill(
        self,
        user_id: int,
        due: date,
        *,
        paid: datetime | None,
        product: str = "huabei",
        **fields: Any,
    ) -> int:
        bill_id = fields.pop("bill_id", self.next_id())
        row: dict[str, Any] = {
            "bill_id": bill_id,
            "user_id": user_id,
            "account_id": None,
            "product": product,
            "due_date": due,
            "amount_due": 100.0,
            "paid_at": paid,
            "amount_paid": 100.0 if paid is not None else 0.0,
            "deliberate_default": False,
        }
        row.update(fields)
        self.add("bills", **row)
        return bill_id

    def repair(self, user_id: int, bill_id: int, when: datetime, reason: str = "forgot") -> int:
        request_id = self.next_id()
        self.add(
            "repair_requests",
            request_id=request_id,
            user_id=user_id,
            bill_id=bill_id,
            requested_at=when,
            reason=reason,
        )
        return request_id

    def negative(
        self,
        user_id: int,
        category: str,
        occurred: datetime,
        resolved: datetime | None = None,
        removed_on_appeal: bool = False,
    ) -> int:
        record_id = self.next_id()
        self.add(
            "negative_records",
            record_id=record_id,
            user_id=user_id,
            category=category,
            source="test-court" if category == "legal" else "test-source",
            occurred_at=occurred,
            amount=None,
            resolved_at=resolved,
            removed_on_appeal=removed_on_appeal,
        )
        return record_id

    def credit_account(
        self, user_id: int, opened: datetime, product: str = "huabei", **fields: Any
    ) -> int:
        account_id = fields.pop("account_id", self.next_id())
        row: dict[str, Any] = {
            "account_id": account_id,
            "user_id": user_id,
            "product": product,
            "opened_at": opened,
            "closed_at": None,
            "closed_by": None,
            "credit_limit": 5000.0,
        }
        row.update(fields)
        self.add("credit_accounts", **row)
        return account_id

    def profile_change(self, user_id: int, field: str, when: datetime) -> None:
        self.add(
            "profile_changes",
            change_id=self.next_id(),
            user_id=user_id,
            changed_at=when,
            field=field,
        )

    def application(self, user_id: int, when: datetime, product: str = "jiebei") -> None:
        self.add(
            "loan_applications",
            application_id=self.next_id(),
            user_id=user_id,
            applied_at=when,
            product=product,
            amount=1000.0,
            decision="approved",
        )

    def friend(
        self, user_id: int, friend_id: int, since: datetime, ended: datetime | None = None
    ) -> None:
        self.add("relationships", user_id=user_id, friend_id=friend_id, since=since, ended_at=ended)

    def asset(self, user_id: int, as_of: date, asset_type: str, value: float) -> None:
        self.add("assets", user_id=user_id, as_of=as_of, asset_type=asset_type, value=value)

    def risk_event(self, user_id: int, when: datetime, kind: str = "cash_out") -> None:
        self.add("risk_events", event_id=self.next_id(), user_id=user_id, event_ts=when, kind=kind)

    def active_user(self, user_id: int, as_of: date, months: int = 14, **user_fields: Any) -> None:
        """A steady user: a year of shopping, salary and huabei bills paid on time, and a fresh
        export (a transaction on ``as_of`` itself when the month's day is past the 28th, where
        the monthly rows stop: a run for ``as_of`` checks freshness)."""
        self.user(user_id, **user_fields)
        for back in range(months):
            day = months_back(as_of, back)
            self.transaction(user_id, at(day, 10), "shopping")
            self.transaction(user_id, at(day, 11), "salary", amount=8000.0)
            due = day - timedelta(days=1)
            self.bill(user_id, due, paid=at(due - timedelta(days=2)))
        if as_of.day > 28:
            self.transaction(user_id, at(as_of, 9), "dining")

    # --- writing ---------------------------------------------------------------------------

    def table(self, name: str) -> pa.Table:
        spec = TABLES_BY_NAME[name]
        rows = self.rows[name]
        return pa.table(
            {
                column.name: pa.array(
                    [row.get(column.name) for row in rows], ARROW_TYPES[column.type]
                )
                for column in spec.columns
            }
        )

    def write(self, directory: Path, file_name: str = "part-0.parquet") -> Path:
        """Writes every table (empty ones too) under ``directory/<table>/file_name``."""
        for spec in TABLES:
            folder = directory / spec.name
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(self.table(spec.name), folder / file_name)
        return directory
