"""The exports as they stood at the end of a day: which rows were exported by then, and what
was known of them (an end that lies later is not known yet)."""

from __future__ import annotations

import datetime

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from sesame.schema import TABLES_BY_NAME
from sesame.synthetic.columns import _SCHEMAS

# A row is exported once the day of its event is over.
EVENT_COLUMN: dict[str, str] = {
    "users": "registered_at",
    "profile_changes": "changed_at",
    "transactions": "txn_ts",
    "credit_accounts": "opened_at",
    "bills": "due_date",
    "loan_applications": "applied_at",
    "negative_records": "occurred_at",
    "repair_requests": "requested_at",
    "relationships": "since",
    "assets": "as_of",
    "risk_events": "event_ts",
}
# A state that ends later is unknown until it ends: its end column is null until then, and so
# are the columns that go with it (an unpaid bill has paid nothing).
_LATER_ENDS: dict[str, tuple[str, dict[str, float | None]]] = {
    "bills": ("paid_at", {"amount_paid": 0.0}),
    "credit_accounts": ("closed_at", {"closed_by": None}),
    "negative_records": ("resolved_at", {}),
    "relationships": ("ended_at", {}),
}


def _day_of(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.cast(column, pa.date32())


def registered_by(users: pa.Table, day: datetime.date) -> pa.Array:
    """The ids of the users registered by the end of ``day``."""
    known = pc.less_equal(_day_of(users["registered_at"]), pa.scalar(day, pa.date32()))
    return users["user_id"].filter(known).combine_chunks()


def as_exported(name: str, data: pa.Table, day: datetime.date, registered: pa.Array) -> pa.Table:
    """The rows of ``name`` as exported at the end of ``day`` (module docstring)."""
    until = pa.scalar(day, pa.date32())
    keep = pc.less_equal(_day_of(data[EVENT_COLUMN[name]]), until)
    if name != "users":
        keep = pc.and_(keep, pc.is_in(data["user_id"], value_set=registered))
    data = data.filter(keep)
    if name not in _LATER_ENDS:
        return data
    column, companions = _LATER_ENDS[name]
    later = pc.fill_null(pc.greater(_day_of(data[column]), until), False)
    for name_, value in {column: None, **companions}.items():
        field = data.schema.field(name_)
        unknown = pc.if_else(later, pa.scalar(value, field.type), data[name_])
        data = data.set_column(data.schema.get_field_index(name_), field, unknown)
    return data


def _truth_between(data: pa.Table, after: datetime.date | None, until: datetime.date) -> pa.Table:
    """The truth rows of the month-ends in (after, until]."""
    month_end = data["month_end"]
    keep = pc.less_equal(month_end, pa.scalar(until, pa.date32()))
    if after is not None:
        keep = pc.and_(keep, pc.greater(month_end, pa.scalar(after, pa.date32())))
    return data.filter(keep)


def _changed_rows(name: str, now: pa.Table, before: pa.Table) -> tuple[pa.Table, int]:
    """The rows of ``now`` that ``before`` lacks or holds otherwise, and how many of them
    correct a row of ``before`` (same primary key)."""
    key = list(TABLES_BY_NAME[name].primary_key)
    earlier = pl.DataFrame(before)
    changed = pl.DataFrame(now).join(earlier, on=now.column_names, how="anti", nulls_equal=True)
    corrected = changed.join(earlier.select(key), on=key, how="semi").height
    return changed.to_arrow().cast(_SCHEMAS[name]), corrected
