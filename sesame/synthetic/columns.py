"""Small numeric helpers, and the Arrow columns and Parquet files the tables are written as."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sesame.schema import TABLES, TABLES_BY_NAME
from sesame.synthetic.parameters import (
    _ARROW_TYPES,
    COMPRESSION,
    DAY_S,
    ID_STRIDE,
    BoolArray,
    FloatArray,
    IntArray,
    Rng,
)


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _expand(counts: IntArray) -> tuple[IntArray, IntArray]:
    """Owner index and rank within owner for ``counts[i]`` rows per owner ``i``."""
    counts = counts.astype(np.int64)
    owner = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    rank = np.arange(owner.size, dtype=np.int64) - starts[owner]
    return owner, rank


def _categorical(rng: Rng, group: IntArray, weights: FloatArray) -> IntArray:
    """One category per row, drawn with the weights of the row's group (a row of ``weights``)."""
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(group.size)
    out = np.empty(group.size, dtype=np.int64)
    for g in range(weights.shape[0]):
        mask = group == g
        out[mask] = np.searchsorted(cumulative[g], u[mask], side="right")
    return np.minimum(out, weights.shape[1] - 1)


def _time_of_day(rng: Rng, n: int, *, mean_h: float = 14.5, sd_h: float = 4.2) -> IntArray:
    """Seconds into the day, busiest in the afternoon, quiet at night."""
    tod = np.floor(rng.normal(mean_h * 3600.0, sd_h * 3600.0, n)).astype(np.int64)
    return np.mod(tod, DAY_S)


def _times_between(rng: Rng, lo: IntArray, hi: IntArray) -> IntArray:
    """Event times (seconds) uniform by day in [lo, hi] with a daytime time of day."""
    span = np.maximum(hi - lo, 0)
    t = lo + np.floor(rng.random(lo.size) * (span + 1)).astype(np.int64)
    t = (t // DAY_S) * DAY_S + _time_of_day(rng, lo.size)
    return np.clip(t, lo, np.maximum(hi, lo))


def _lognormal(rng: Rng, median: FloatArray, sigma: FloatArray | float) -> FloatArray:
    return np.asarray(median * np.exp(sigma * rng.standard_normal(median.size)), dtype=np.float64)


def _money(x: FloatArray, *, step: float = 0.01, minimum: float = 0.01) -> FloatArray:
    """Round to ``step`` (cents by default), at least ``minimum``."""
    rounded = np.round(x, 2) if step == 0.01 else np.round(x / step) * step
    return np.asarray(np.maximum(rounded, minimum), dtype=np.float64)


def _ts_col(seconds: IntArray, null: BoolArray | None = None) -> pa.Array:
    micros = np.where(null, 0, seconds) if null is not None else seconds
    return pa.array((micros.astype(np.int64) * 1_000_000).view("datetime64[us]"), mask=null)


def _date_col(days: IntArray) -> pa.Array:
    return pa.array(days.astype(np.int64).astype("datetime64[D]"), type=pa.date32())


def _int_col(values: IntArray, null: BoolArray | None = None, *, int8: bool = False) -> pa.Array:
    if int8:
        return pa.array(values.astype(np.int8), mask=null, type=pa.int8())
    return pa.array(values.astype(np.int64), mask=null, type=pa.int64())


def _float_col(values: FloatArray, null: BoolArray | None = None) -> pa.Array:
    return pa.array(values.astype(np.float64), mask=null, type=pa.float64())


def _bool_col(values: BoolArray, null: BoolArray | None = None) -> pa.Array:
    return pa.array(values.astype(np.bool_), mask=null, type=pa.bool_())


def _str_col(codes: IntArray, values: tuple[str, ...], null: BoolArray | None = None) -> pa.Array:
    indices = pa.array(codes.astype(np.int32), mask=null, type=pa.int32())
    return pa.array(values, type=pa.string()).take(indices)


def _arrow_schema(name: str) -> pa.Schema:
    table = TABLES_BY_NAME[name]
    return pa.schema([pa.field(c.name, _ARROW_TYPES[c.type]) for c in table.columns])


_SCHEMAS: dict[str, pa.Schema] = {t.name: _arrow_schema(t.name) for t in TABLES}


def _delta_columns(schema: pa.Schema) -> list[str]:
    """Columns stored with DELTA_BINARY_PACKED: ascending ids and timestamps (a third smaller)."""
    return [
        f.name
        for f in schema
        if pa.types.is_timestamp(f.type)
        or (f.name.endswith("_id") and f.name not in ("user_id", "friend_id"))
    ]


def _write(data: pa.Table, path: Path) -> None:
    delta = _delta_columns(data.schema)
    pq.write_table(
        data,
        path,
        compression=COMPRESSION,
        use_dictionary=[f.name for f in data.schema if f.name not in delta],
        column_encoding=dict.fromkeys(delta, "DELTA_BINARY_PACKED"),
    )


def _table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    schema = _SCHEMAS[name]
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


def _ids(chunk_index: int, n: int) -> IntArray:
    if n >= ID_STRIDE:
        raise ValueError(f"a chunk produced {n} rows of one table; use a smaller chunk_users")
    return chunk_index * ID_STRIDE + np.arange(1, n + 1, dtype=np.int64)
