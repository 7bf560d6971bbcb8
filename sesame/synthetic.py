"""Synthetic exports that follow data contract v2, with a known risk: demos, tests, benchmarks.

``generate_exports`` writes the 11 export tables of ``sesame.schema.TABLES`` as Parquet, one
sub-directory per table and one file per chunk of users, and beside them the ground truth
``_truth/user_months/part-NNNNN.parquet`` (outside the contract's tables: the folder name starts
with ``_``, so the job's ingest ignores it). Everything is drawn with vectorised numpy: the only
Python loops run over chunks, tables, a handful of categories and the months of the window.

Latent credit quality, drift and shock
--------------------------------------
Every user has a static base quality ``q0 ~ N(0, 1)``. Friends cluster by it: users are grouped
into communities of ``COMMUNITY_SIZE`` consecutive ids, ``q0`` is the community's mean plus the
user's own deviation, and most friends come from the same community. ``q0`` and the registration
time are drawn from a counter-based hash of (seed, user id), so a chunk can look up a friend that
lives in another chunk without holding every user in memory. Everything else is drawn per chunk
from ``np.random.default_rng``, one stream per chunk and table, spawned from ``SeedSequence(seed)``.

The quality that drives behaviour DRIFTS: per calendar month ``t`` of the window (``t = 0`` is the
month of the window's first day) it is a random walk ``q[0] = q0 + e[0]``,
``q[t] = q[t-1] + e[t]``, ``e[t] ~ N(0, QUALITY_STEP_SD)`` drawn from the chunk's rng. Builders
(~15%) start ``BUILDER_START_GAP`` below ``q0`` and climb ``BUILDER_DRIFT`` a month. With
``shock="YYYY-MM"`` every user's quality is ``SHOCK_DROP`` lower in that calendar month and every
month after (a population shock, e.g. a recession). The path is quantised to multiples of 2**-14,
the value written to the truth file is the value used. The path is drawn ``OUTCOME_MONTHS`` months
past ``end`` as well, so the truth is defined for every month-end of the window.

What the quality of the current month drives
--------------------------------------------
Lower ``q[t]`` means more, in month ``t``, of each of these (rates per user-month scale with
``exp(-slope * q[t])``): late bills (probability and length), phone and address changes (on top
of ~4% churners, more among low quality, who change several times a year), borrowing sprees (5-15
loan applications within 30 days, mostly declined, a third followed by a cash-out) and ordinary
loan applications, platform violations (cash-out, fraud reports, account abuse), negative records
of all three categories (legal ~1% of users, financial ~4%, life ~7%; some resolved, some removed
on appeal, some so old they stopped counting), skipped salary months, and the episodes below.

Traits fixed over the window follow the base quality ``q0`` (so drift and a shock change
behaviour, not who the users are): profile completeness (0..7 items, more for higher quality),
a steady salary, confirming receipts (low confirmers let the system auto-confirm), paying utility,
phone or rent bills through the platform (from the window's first month, no lag), holding and
using credit (huabei ~90%, credit cards more for higher quality), assets (every bin of
``assets_value_cny`` from none to 5M+, higher for higher quality) and tenure (registrations from
``REGISTRATION_YEARS`` years before ``end`` to its last weeks, longer for higher ``q0``). Stallers
(~13%, more among low quality) keep an incomplete profile and never pay living bills on the
platform. Because every step draws from its own stream, the same seed with and without a shock
gives the same users, accounts and credit-bill months, and only the quality-driven behaviour
differs.

The bad mechanism (contract section 5)
--------------------------------------
In every month ``t`` a user enters a serious-delinquency episode with hazard
``h[t] = sigmoid(HAZARD_INTERCEPT + HAZARD_SLOPE * q[t])``, independently of earlier months and of
everything else drawn. An episode entered in month ``u`` lasts ``L`` months, ``L`` uniform on
``EPISODE_MONTHS``: every credit bill (huabei, jiebei, credit_card, installment_loan) due in months
``u .. u+L-1`` is left unpaid or paid 95-400 days late; collections flags part of them as deliberate
defaults (users who could pay: more among low quality). Deliberate defaults happen only in
episodes. Outside episodes a bill is paid on time or 1-85 days late, never 90 or more (a payment
that would fall after ``end`` leaves the bill unpaid in the exports). Nothing else (accounts,
closings, usage) depends on the episodes.

Ground truth
------------
``_truth/user_months/part-NNNNN.parquet``, one row per user and calendar month-end ``S`` on or
before ``end`` in the window (also for users not registered at ``S``, and for month-ends whose
12-month future lies beyond ``end``): ``user_id`` int64, ``month_end`` date32, ``quality`` double
(``q`` of the month of ``S``), ``pd_12m`` double. With ``s`` the month of ``S`` and ``B[t]`` true
when the user has a credit bill due in month ``t`` (past ``end`` too: the bills the accounts would
get, drawn like the written ones but not written), the bad outcome for ``S`` (a credit bill due in
``(S, S + 9 months]``, i.e. in months ``s+1 .. s+9`` as bills fall due on days 1-28, 90+ days past
due by ``S + 12 months``, which an episode bill always is and no other bill ever is) occurs exactly
when an episode covers a month ``t`` in ``s+1 .. s+9`` with ``B[t]``. So::

    pd_12m = 1 - prod over u in s+1-(max L - 1) .. s+9 of (1 - h[u] * c[u])
    c[u]   = mean over L in EPISODE_MONTHS of [some B[t], t in max(u, s+1) .. min(u+L-1, s+9)]

where ``h[u]`` is the realised hazard for the months up to ``s`` and, for the months after it, its
expectation given ``q[s]`` (the random walk integrated out, the builders' drift and a scheduled
shock included: ``_expected_hazard``): the probability as it stands at the month-end, the best any
model could know then. It conditions on the months with credit bills (``B``), not on the episode
draws, and ignores the contract's exclusions (users unscorable at ``S`` or
already 90+ days past due at ``S``, which the job drops). Only episodes entered in the window's
months (``u >= 0``) exist. ``pd_12m`` is rounded to 2**-32. Measured on 20,000 users over 24
months, at the month-end 12 months before ``end``: bad rate ~5%, mean ``pd_12m`` ~5%, bad rate
~0.5% in the bottom and ~15% in the top quintile of ``pd_12m``.

Time
----
The window is the ``months`` months up to and including ``end``. Every event lies in the window and
not before the user's registration, with three exceptions that the contract allows:
``users.registered_at`` (up to ``REGISTRATION_YEARS`` years before ``end``),
``credit_accounts.opened_at`` (an account opens soon after registration, possibly before the
window; its bills start in the window) and ``negative_records`` (external records from courts,
banks and merchants: ``occurred_at`` and ``resolved_at`` go back up to 7 years before ``end``, so
some resolved records have already stopped counting, and may predate registration). Nothing is
later than ``end`` 23:59:59.

Night by night
--------------
``end`` is the last day of the generated world; ``as_of`` (default ``end``) is the day whose end
the exports show. A row is exported once its event's day is over and its user has registered; an
end that lies after ``as_of`` (a bill paid, an account closed, a record resolved, a friendship
ended) is not known yet: the end column is null, ``amount_paid`` is 0 and ``closed_by`` null
(``as_exported``). ``generate_next_day`` then moves ``as_of`` by one day and adds, in new files
(``update-YYYY-MM-DD-part-NNNNN.parquet``), the rows that day adds or changes: new events and
corrections of delivered rows. As the contract's later file wins on a primary key, a directory
grown that way holds exactly what one generation with that ``as_of`` writes. The world's
parameters and its ``as_of`` are kept in ``_generator/manifest.json``. With ``as_of == end``
nothing is filtered: the files are those of a generation without ``as_of``.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sesame.dates import add_months
from sesame.schema import (
    ASSET_TYPES,
    EDUCATION_LEVELS,
    NEGATIVE_CATEGORIES,
    PRODUCTS_BILL,
    PRODUCTS_CREDIT,
    PROFILE_FIELDS,
    REPAIR_REASONS,
    RISK_KINDS,
    TABLES,
    TABLES_BY_NAME,
    TXN_CATEGORIES,
    ColumnType,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Rng = np.random.Generator

DAY_S = 86_400  # seconds in a day
MONTH_S = 30.44 * DAY_S  # mean month length in seconds, for rates per month
YEAR_S = 365.25 * DAY_S  # mean year length in seconds, for rates per year
ID_STRIDE = 10**9  # ids of chunk c are c * ID_STRIDE + 1, + 2, ...: unique without coordination
COMMUNITY_SIZE = 200  # consecutive user ids that form one friendship community
REGISTRATION_YEARS = 11.0  # earliest registration, in years before end (history bins up to 96+)
NEGATIVE_HISTORY_YEARS = 7  # earliest negative record, in years before end
COMPRESSION = "zstd"
TRUTH_DIR = "_truth"  # beside the tables; the leading `_` keeps it out of the job's ingest
TRUTH_TABLE = "user_months"
MANIFEST = Path("_generator") / "manifest.json"  # the world's parameters and its as_of
MANIFEST_FORMAT = 1

# latent quality and the bad mechanism
QUALITY_STEP_SD = 0.12  # sd of the monthly random-walk step of q
BUILDER_START_GAP = 0.6  # builders start this far below q0 ...
BUILDER_DRIFT = 0.05  # ... and climb this much a month
SHOCK_DROP = 0.5  # drop of every user's q from the shock month on
HAZARD_INTERCEPT = -5.5  # monthly episode hazard h = sigmoid(a + b q): a ...
HAZARD_SLOPE = -1.1  # ... and b (lower q, higher hazard)
EPISODE_MONTHS = (2, 3, 4)  # an episode's length in months, uniform
OUTCOME_MONTHS = 9  # the contract's outcome: bills due in (S, S + 9 months]
MILD_LATE_MAX_DAYS = 85  # lateness outside an episode never reaches 90 days
EPISODE_LATE_MIN_DAYS = 95  # an episode bill that is paid at all is paid this late or later
QUALITY_QUANTUM = 2.0**-14  # q is stored exactly: multiples of this
PD_QUANTUM = 2.0**-32

_ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    "int64": pa.int64(),
    "int8": pa.int8(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "string": pa.string(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}

# Per-category transaction parameters, in TXN_CATEGORIES order. Weights are per living-bill group:
# row 0 = living payer, 1 = other users, 2 = staller (never pays living bills on the platform).
# Salaries are not drawn here (weight 0): they come from the monthly salary process.
_TXN_WEIGHTS = np.array(
    [
        # shop  dine  trans util  phone rent  trav   xfer  sal  refund
        [0.40, 0.17, 0.12, 0.06, 0.06, 0.03, 0.025, 0.09, 0.0, 0.045],
        [0.44, 0.18, 0.13, 0.015, 0.02, 0.005, 0.025, 0.12, 0.0, 0.045],
        [0.45, 0.19, 0.13, 0.0, 0.0, 0.0, 0.02, 0.14, 0.0, 0.045],
    ]
)
_TXN_MEDIAN = np.array([95.0, 45.0, 6.0, 160.0, 75.0, 2600.0, 1400.0, 400.0, 6000.0, 80.0])
_TXN_SIGMA = np.array([0.9, 0.6, 0.6, 0.4, 0.3, 0.35, 0.8, 1.1, 0.1, 0.9])
_CAT_SHOPPING = TXN_CATEGORIES.index("shopping")
_CAT_TRANSFER = TXN_CATEGORIES.index("transfer")
_CAT_SALARY = TXN_CATEGORIES.index("salary")
_CAT_REFUND = TXN_CATEGORIES.index("refund")

# Credit products, in PRODUCTS_CREDIT order (huabei, jiebei, credit_card, installment_loan).
_CREDIT_BASE_P = np.array([0.90, 0.50, 0.30, 0.12])  # share of users holding the product
_CREDIT_Q_SLOPE = np.array([0.4, 0.2, 0.8, -0.2])  # logit slope of holding on mean q
_CREDIT_LIMIT_MEDIAN = np.array([4000.0, 8000.0, 15000.0, 12000.0])  # limit / loan principal
_CREDIT_USE_P = np.array([0.80, 0.30, 0.80, 1.0])  # chance of a bill in a month the account is open
_CREDIT_BILL_SHARE = np.array([0.18, 0.25, 0.20, 0.0])  # median bill as a share of the limit
_INSTALLMENT_TERMS = np.array([6, 12, 24])  # loan terms in months

# Living bills, in LIVING_BILL_PRODUCTS order (utility, phone, rent).
_LIVING_P = np.array([0.75, 0.80, 0.30])  # share of living payers with a bill of that product
_LIVING_MEDIAN = np.array([180.0, 90.0, 2800.0])
_LIVING_SIGMA_USER = np.array([0.35, 0.3, 0.35])
_LIVING_SIGMA_MONTH = np.array([0.25, 0.08, 0.01])

# Repair request reasons, in REPAIR_REASONS order, per group: 0 = paid late within 30 days,
# 1 = paid more than 30 days late or unpaid, 2 = deliberate default.
_REPAIR_WEIGHTS = np.array(
    [
        [0.66, 0.16, 0.09, 0.09],
        [0.40, 0.38, 0.07, 0.15],
        [0.30, 0.45, 0.05, 0.20],
    ]
)

# Negative records, in NEGATIVE_CATEGORIES order (legal, financial, life): rate per user-month at
# q = 0 inside the window, its slope on q (rate x exp(-slope q)), and the yearly rate of older
# records (before the window, on q0).
_NEG_RATE = np.array([0.00012, 0.0006, 0.0014])
_NEG_Q_SLOPE = np.array([1.3, 1.1, 0.8])
_NEG_OLD_RATE = np.array([0.0006, 0.003, 0.006])
_NEG_RESOLVE_P = np.array([0.40, 0.50, 0.62])
_NEG_RESOLVE_MEAN_DAYS = np.array([420.0, 220.0, 60.0])
_NEG_AMOUNT_MEDIAN = np.array([30000.0, 8000.0, 300.0])
_NEG_AMOUNT_NULL_P = np.array([0.45, 0.15, 0.25])
_NEG_SOURCES: tuple[tuple[str, ...], ...] = (
    ("court",),
    ("bank", "card-issuer", "lender"),
    ("hotel", "taxi", "rental", "utility-co", "telecom"),
)

# Assets, in ASSET_TYPES order (deposit, fund, real_estate, vehicle, social_security,
# provident_fund): median value and its slope on the user's wealth (log scale), holding share at
# average wealth and its logit slope, monthly growth, month-to-month log noise.
_ASSET_MEDIAN = np.array([25000.0, 20000.0, 1000000.0, 90000.0, 30000.0, 40000.0])
_ASSET_W_SLOPE = np.array([1.3, 1.2, 0.8, 0.4, 0.5, 0.6])
_ASSET_HOLD_P = np.array([0.92, 0.40, 0.15, 0.0, 0.0, 0.0])  # vehicle, social, provident: below
_ASSET_HOLD_SLOPE = np.array([0.0, 0.9, 1.2, 0.0, 0.0, 0.0])
_ASSET_GROWTH = np.array([0.006, 0.005, 0.002, -0.008, 0.008, 0.008])  # per month at q = 0
_ASSET_NOISE = np.array([0.15, 0.10, 0.02, 0.02, 0.01, 0.01])  # month-to-month log noise

_LOAN_PRODUCTS = ("jiebei", "installment_loan", "credit_card")
_LOAN_WEIGHTS = np.array([[0.55, 0.25, 0.20], [0.70, 0.25, 0.05]])  # row 1: spree applications
_LOAN_MEDIAN = np.array([5000.0, 12000.0, 20000.0])
_DECISIONS = ("approved", "declined", "pending")
_RISK_WEIGHTS = np.array([[0.35, 0.35, 0.30], [0.60, 0.15, 0.25]])  # row 1: near a spree


# --------------------------------------------------------------------------------------------
# small helpers


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


# --------------------------------------------------------------------------------------------
# Arrow columns


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


# --------------------------------------------------------------------------------------------
# window and global per-user draws


@dataclass(frozen=True)
class _Window:
    """The generated period; seconds and days count from 1970-01-01 (naive business time).

    The month arrays cover the ``n_months`` calendar months that overlap the window, then
    ``OUTCOME_MONTHS`` more past ``end`` (the horizon of the latent path and the truth).
    """

    start_s: int  # first second of the window
    end_s: int  # last second: end 23:59:59
    start_day: int
    end_day: int
    n_months: int  # calendar months that overlap the window
    month_start_day: IntArray  # first day of each calendar month of the horizon
    month_end_day: IntArray  # last day of each of those months
    month_of_year: IntArray  # 1..12 for each of those months
    shock_month: int | None  # index of the shock's calendar month (may be < 0 or >= horizon)

    @property
    def horizon(self) -> int:
        return int(self.month_start_day.size)

    def month_of_day(self, day: IntArray) -> IntArray:
        """Index of the calendar month a day falls in."""
        return np.searchsorted(self.month_start_day, day, side="right").astype(np.int64) - 1


def _parse_shock(shock: str | None) -> datetime.date | None:
    if shock is None:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}", shock):
        raise ValueError(f"shock must be a month YYYY-MM, got {shock!r}")
    return datetime.date(int(shock[:4]), int(shock[5:]), 1)


def _window(end: datetime.date, months: int, shock: datetime.date | None = None) -> _Window:
    epoch = datetime.date(1970, 1, 1)
    start = add_months(end, -months) + datetime.timedelta(days=1)
    start_day = (start - epoch).days
    end_day = (end - epoch).days
    first = np.datetime64(start, "M")
    n_months = int((np.datetime64(end, "M") - first).astype(np.int64)) + 1
    calendar_months = first + np.arange(n_months + OUTCOME_MONTHS)
    month_start = calendar_months.astype("datetime64[D]").astype(np.int64)
    month_end = (calendar_months + 1).astype("datetime64[D]").astype(np.int64) - 1
    shock_month = None
    if shock is not None:
        shock_month = int((np.datetime64(shock, "M") - first).astype(np.int64))
    return _Window(
        start_s=start_day * DAY_S,
        end_s=(end_day + 1) * DAY_S - 1,
        start_day=start_day,
        end_day=end_day,
        n_months=n_months,
        month_start_day=month_start,
        month_end_day=month_end,
        month_of_year=calendar_months.astype(np.int64) % 12 + 1,
        shock_month=shock_month,
    )


_U64 = npt.NDArray[np.uint64]


def _mix64(x: _U64) -> _U64:
    """SplitMix64 finaliser: a bijection on uint64 with full avalanche."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return np.asarray(z ^ (z >> np.uint64(31)), dtype=np.uint64)


class _GlobalDraws:
    """Per-user draws any chunk can recompute for any user id (friends live in other chunks)."""

    def __init__(self, seed: int, window: _Window, users: int) -> None:
        self._keys = np.random.SeedSequence([seed, 0x5E5A3E]).generate_state(8, dtype=np.uint64)
        self._window = window
        self.users = users

    def uniform(self, ids: IntArray, stream: int) -> FloatArray:
        h = _mix64(_mix64(ids.astype(np.uint64) ^ self._keys[stream]))
        return np.asarray((h >> np.uint64(11)).astype(np.float64) * 2.0**-53, dtype=np.float64)

    def normal(self, ids: IntArray, stream: int) -> FloatArray:
        u1 = 1.0 - self.uniform(ids, stream)  # (0, 1]
        u2 = self.uniform(ids, stream + 1)
        return np.asarray(np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2), dtype=np.float64)

    def quality(self, ids: IntArray) -> FloatArray:
        """Base credit quality q0: community mean (sd 0.7) plus own deviation (sd 0.71)."""
        community = (ids - 1) // COMMUNITY_SIZE
        return 0.7 * self.normal(community, 0) + 0.71 * self.normal(ids, 2)

    def registered_at(self, ids: IntArray) -> IntArray:
        """Registration second: tenure at end up to REGISTRATION_YEARS, longer for higher q0.

        Tenure is ``REGISTRATION_YEARS * u ** 1.5`` with ``u`` about uniform: at end ~13% have
        less than 6 months, ~19% 6-24 months, ~27% 2-5 years, ~22% 5-8 years, ~19% 8 or more.
        """
        w = self._window
        z = 0.35 * self.quality(ids) + 0.94 * self.normal(ids, 4)
        u = _sigmoid(1.7 * z)
        tenure = np.floor(REGISTRATION_YEARS * YEAR_S * u**1.5).astype(np.int64)
        return np.asarray(w.end_s - tenure, dtype=np.int64)


# --------------------------------------------------------------------------------------------
# the users of one chunk


@dataclass(frozen=True)
class _People:
    ids: IntArray
    q0: FloatArray  # static base quality (what friends see)
    q: FloatArray  # (users, horizon) latent quality per calendar month
    q_trait: FloatArray  # drives the static traits: q0 (drift and shock change behaviour only)
    hazard: FloatArray  # (users, horizon) monthly episode hazard
    builder: BoolArray  # starts below q0 and climbs BUILDER_DRIFT a month
    episode: BoolArray  # (users, horizon) credit bills due in the month are seriously delinquent
    registered_s: IntArray
    start_s: IntArray  # first second the user can act in the window: max(registered_at, start)
    employed: BoolArray
    irregular: BoolArray
    staller: BoolArray
    churner: BoolArray
    low_confirmer: BoolArray
    living_payer: BoolArray
    borrower: BoolArray
    wilful: BoolArray  # in an episode, collections flags part of the bills deliberate
    activity: FloatArray  # non-salary transactions per month
    income: FloatArray  # monthly salary
    vehicle_verified: BoolArray

    @property
    def n(self) -> int:
        return int(self.ids.size)


def _quality_path(rng: Rng, window: _Window, q0: FloatArray, builder: BoolArray) -> FloatArray:
    """(users, horizon) latent quality: a random walk from q0, builders' drift, the shock."""
    n, k = q0.size, window.horizon
    steps = (
        rng.normal(0.0, QUALITY_STEP_SD, (n, k)) + np.where(builder, BUILDER_DRIFT, 0.0)[:, None]
    )
    q = (q0 - BUILDER_START_GAP * builder)[:, None] + np.cumsum(steps, axis=1)
    if window.shock_month is not None:
        q[:, max(window.shock_month, 0) :] -= SHOCK_DROP
    return np.asarray(np.round(q / QUALITY_QUANTUM) * QUALITY_QUANTUM, dtype=np.float64)


def _episodes(rng: Rng, hazard: FloatArray) -> BoolArray:
    """(users, horizon): the months an episode (entered with ``hazard``) covers."""
    n, k = hazard.shape
    user, month = np.nonzero(rng.random((n, k)) < hazard)
    length = np.asarray(EPISODE_MONTHS)[rng.integers(0, len(EPISODE_MONTHS), user.size)]
    covered = np.zeros((n, k), dtype=np.bool_)
    for lag in range(max(EPISODE_MONTHS)):
        last = (length > lag) & (month + lag < k)
        covered[user[last], month[last] + lag] = True
    return covered


def _draw_people(rng: Rng, window: _Window, draws: _GlobalDraws, ids: IntArray) -> _People:
    n = ids.size
    q0 = draws.quality(ids)
    registered = draws.registered_at(ids)
    start = np.maximum(registered, window.start_s)
    builder = rng.random(n) < 0.15
    q = _quality_path(rng, window, q0, builder)
    q_trait = q0
    hazard = _sigmoid(HAZARD_INTERCEPT + HAZARD_SLOPE * q)
    staller = ~builder & (rng.random(n) < _sigmoid(_logit(0.13) - 0.5 * q_trait))
    employed = rng.random(n) < _sigmoid(_logit(0.68) + 0.7 * q_trait)
    irregular = employed & (rng.random(n) < _sigmoid(_logit(0.15) - 0.8 * q_trait))
    churner = rng.random(n) < _sigmoid(_logit(0.035) - 0.8 * q_trait)
    low_confirmer = rng.random(n) < _sigmoid(
        np.where(staller, _logit(0.35), _logit(0.10)) - 0.7 * q_trait
    )
    living_payer = ~staller & (rng.random(n) < _sigmoid(_logit(0.6) + 0.7 * q_trait))
    borrower = rng.random(n) < _sigmoid(_logit(0.4) - 0.2 * q_trait)
    wilful = rng.random(n) < _sigmoid(_logit(0.08) - 0.6 * q_trait)
    activity = np.exp(np.log(1.5) - 0.5 + 1.0 * rng.standard_normal(n) + 0.2 * q_trait)
    activity = np.minimum(activity, 60.0)
    income = np.exp(np.log(6000.0) + 0.35 * q_trait + 0.35 * rng.standard_normal(n))
    vehicle = rng.random(n) < _sigmoid(_logit(0.18) + 0.6 * q_trait - 1.5 * staller)
    episode = _episodes(rng, hazard)  # last: how many it draws depends on the path
    return _People(
        ids=ids,
        q0=q0,
        q=q,
        q_trait=q_trait,
        hazard=hazard,
        builder=builder,
        episode=episode,
        registered_s=registered,
        start_s=start,
        employed=employed,
        irregular=irregular,
        staller=staller,
        churner=churner,
        low_confirmer=low_confirmer,
        living_payer=living_payer,
        borrower=borrower,
        wilful=wilful,
        activity=activity,
        income=income,
        vehicle_verified=vehicle,
    )


def _monthly_events(
    rng: Rng, window: _Window, people: _People, rate: FloatArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Poisson events at ``rate[user, month]`` a month, over the window after registration.

    Returns (owner, month, second) per event, ordered by owner and month.
    """
    k = window.n_months
    lo = np.maximum(window.month_start_day[None, :k] * DAY_S, people.start_s[:, None])
    hi = np.minimum((window.month_end_day[None, :k] + 1) * DAY_S - 1, window.end_s)
    hi = np.broadcast_to(hi, lo.shape)
    expected = np.cumsum(rate * np.clip((hi - lo + 1) / MONTH_S, 0.0, None), axis=1)
    # a user's count, then each event's month with probability proportional to its expected count
    owner, _ = _expand(rng.poisson(expected[:, -1]))
    position = rng.random(owner.size) * expected[owner, -1]
    month = np.minimum((expected[owner] <= position[:, None]).sum(axis=1), k - 1)
    order = np.lexsort((month, owner))
    owner, month = owner[order], month[order]
    ts = _times_between(rng, lo[owner, month], hi[owner, month])
    return owner, month, ts


# --------------------------------------------------------------------------------------------
# tables


def _users(rng: Rng, people: _People) -> pa.Table:
    n, q, staller = people.n, people.q_trait, people.staller
    # profile items share a diligence factor (higher for higher quality), so item counts spread
    # over 0..7: item i is on file when diligence + own noise clears the item's threshold
    diligence = 0.6 * q + 0.8 * rng.standard_normal(n)

    def item(threshold: float, staller_gap: float = 0.0) -> BoolArray:
        noise = 0.9 * rng.standard_normal(n)
        return np.asarray(diligence - staller_gap * staller + noise > threshold, dtype=np.bool_)

    real_name = item(-2.2)
    phone = item(-1.75)
    email = item(-0.25, 1.2)
    address = item(-0.6, 1.4)
    education_null = ~item(-1.15, 1.0)
    employer = people.employed & item(-0.55, 1.4)
    # ordinal education: latent 0.8 q + noise, cut at shares 8/40/38/12/2%
    latent = 0.8 * q + rng.standard_normal(n)
    cuts = np.array([-1.405, -0.050, 1.080, 2.054]) * np.sqrt(1.64)
    education = np.searchsorted(cuts, latent)
    # stallers never complete their profile: one of email, address, education stays missing
    gap = np.where(staller, rng.integers(0, 3, n), -1)
    email &= gap != 0
    address &= gap != 1
    education_null |= gap == 2
    refresh_null = rng.random(n) < 0.5
    refresh_day = rng.integers(1, 29, n)
    return _table(
        "users",
        {
            "user_id": _int_col(people.ids),
            "registered_at": _ts_col(people.registered_s),
            "real_name_verified": _bool_col(real_name),
            "phone_verified": _bool_col(phone),
            "email_verified": _bool_col(email),
            "address_on_file": _bool_col(address),
            "education": _str_col(education, EDUCATION_LEVELS, education_null),
            "employer_verified": _bool_col(employer),
            "vehicle_verified": _bool_col(people.vehicle_verified),
            "score_refresh_day": _int_col(refresh_day, refresh_null, int8=True),
        },
    )


def _profile_changes(rng: Rng, window: _Window, people: _People, chunk: int) -> pa.Table:
    q = people.q[:, : window.n_months]
    # ordinary changes of any field, ~0.6 a year (fewer for stallers)
    ordinary = np.where(people.staller, 0.025, 0.05)[:, None] * np.ones_like(q)
    owner_o, _, ts_o = _monthly_events(rng, window, people, ordinary)
    field_o = _categorical(
        rng,
        np.zeros(owner_o.size, dtype=np.int64),
        np.array([[0.2, 0.2, 0.2, 0.15, 0.1, 0.15]]),
    )
    # phone and address churn: churners ~8 a year, everyone more at low current quality
    churn = np.where(people.churner, 0.65, 0.0)[:, None] + 0.015 * np.exp(-0.9 * q)
    owner_c, _, ts_c = _monthly_events(rng, window, people, churn)
    field_c = rng.integers(0, 2, owner_c.size)  # phone or address
    owner = np.concatenate([owner_o, owner_c])
    field = np.concatenate([field_o, field_c])
    changed = np.concatenate([ts_o, ts_c])
    order = np.lexsort((field, changed, owner))
    owner, field, changed = owner[order], field[order], changed[order]
    return _table(
        "profile_changes",
        {
            "change_id": _int_col(_ids(chunk, owner.size)),
            "user_id": _int_col(people.ids[owner]),
            "changed_at": _ts_col(changed),
            "field": _str_col(field, PROFILE_FIELDS),
        },
    )


def _transactions(rng: Rng, window: _Window, people: _People, chunk: int) -> pa.Table:
    n, q = people.n, people.q_trait
    # everyday spending: Poisson counts at a lognormal per-user rate
    months_active = (window.end_s - people.start_s) / MONTH_S
    owner_e, _ = _expand(rng.poisson(people.activity * months_active))
    ts_e = _times_between(rng, people.start_s[owner_e], np.full(owner_e.size, window.end_s))
    group = np.where(people.staller, 2, np.where(people.living_payer, 0, 1))
    cat_e = _categorical(rng, group[owner_e], _TXN_WEIGHTS)
    amount_e = _lognormal(rng, _TXN_MEDIAN[cat_e] * np.exp(0.25 * q[owner_e]), _TXN_SIGMA[cat_e])

    # salary: monthly for the employed; irregular earners skip months and vary a lot; everyone
    # skips more in months of low quality
    k = window.n_months
    owner_s, month = _expand(np.where(people.employed, k, 0))
    pay_day = rng.integers(1, 29, n)
    jitter = np.where(people.irregular[owner_s], rng.integers(-8, 9, owner_s.size), 0)
    day = window.month_start_day[month] + pay_day[owner_s] - 1 + jitter
    ts_s = day * DAY_S + _time_of_day(rng, owner_s.size, mean_h=10.0, sd_h=1.5)
    q_s = people.q[owner_s, month]
    skip_p = _sigmoid(np.where(people.irregular[owner_s], _logit(0.3), _logit(0.012)) - 0.7 * q_s)
    keep = (
        (rng.random(owner_s.size) >= skip_p)
        & (ts_s >= people.start_s[owner_s])
        & (ts_s <= window.end_s)
    )
    sigma_s = np.where(people.irregular, 0.45, 0.04)[owner_s]
    amount_s = _lognormal(rng, people.income[owner_s], sigma_s)
    owner_s, ts_s, amount_s = owner_s[keep], ts_s[keep], amount_s[keep]

    owner = np.concatenate([owner_e, owner_s])
    ts = np.concatenate([ts_e, ts_s])
    cat = np.concatenate([cat_e, np.full(owner_s.size, _CAT_SALARY, dtype=np.int64)])
    amount = _money(np.concatenate([amount_e, amount_s]))
    incoming = (
        (cat == _CAT_SALARY)
        | (cat == _CAT_REFUND)
        | ((cat == _CAT_TRANSFER) & (rng.random(owner.size) < 0.45))
    )
    # receipt confirmation: shopping only; most users confirm ~90%, low confirmers ~13%, ...
    # and fewer in months when their quality is below their usual (base) level
    propensity = np.where(people.low_confirmer, rng.beta(1.2, 8.0, n), rng.beta(12.0, 1.5, n))
    propensity = np.clip(propensity, 1e-6, 1.0 - 1e-6)
    not_shopping = cat != _CAT_SHOPPING
    shop = np.flatnonzero(~not_shopping)
    q_shift = np.zeros(owner.size)
    q_shift[shop] = (
        people.q[owner[shop], window.month_of_day(ts[shop] // DAY_S)] - people.q0[owner[shop]]
    )
    p_confirm = _sigmoid(np.log(propensity / (1.0 - propensity))[owner] + 0.8 * q_shift)
    confirmed = rng.random(owner.size) < p_confirm

    order = np.lexsort((cat, ts, owner))
    return _table(
        "transactions",
        {
            "txn_id": _int_col(_ids(chunk, owner.size)),
            "user_id": _int_col(people.ids[owner[order]]),
            "txn_ts": _ts_col(ts[order]),
            "direction": _str_col(incoming[order].astype(np.int64), ("out", "in")),
            "category": _str_col(cat[order], TXN_CATEGORIES),
            "amount": _float_col(amount[order]),
            "receipt_confirmed": _bool_col(confirmed[order], not_shopping[order]),
        },
    )


@dataclass(frozen=True)
class _Accounts:
    owner: IntArray  # index into the chunk's people
    account_id: IntArray
    product: IntArray  # index into PRODUCTS_CREDIT
    opened_s: IntArray
    last_day: IntArray  # last day a bill can fall due: closing day, or the horizon's end
    due_dom: IntArray  # day of month bills fall due
    limit: FloatArray
    term: IntArray  # months, installment loans only (0 otherwise)


def _credit_accounts(
    rng: Rng, window: _Window, people: _People, chunk: int
) -> tuple[pa.Table, _Accounts]:
    n, q = people.n, people.q_trait
    p_hold = _sigmoid(np.log(_CREDIT_BASE_P / (1 - _CREDIT_BASE_P)) + np.outer(q, _CREDIT_Q_SLOPE))
    holds = rng.random((n, len(PRODUCTS_CREDIT))) < p_hold
    owner, product = np.nonzero(holds)
    owner, product = owner.astype(np.int64), product.astype(np.int64)
    m = owner.size
    registered = people.registered_s[owner]
    start = people.start_s[owner]
    is_loan = product == PRODUCTS_CREDIT.index("installment_loan")
    # revolving products open soon after registration (maybe before the window); loans any time
    # in the window
    soon = registered + np.floor(rng.exponential(75.0 * DAY_S, m)).astype(np.int64)
    anytime = _times_between(rng, start, np.full(m, window.end_s))
    opened = np.where(is_loan, anytime, soon)
    opened = (opened // DAY_S) * DAY_S + _time_of_day(rng, m)
    opened = np.maximum(opened, registered)
    exists = opened <= window.end_s

    # closing (in the window): the platform closes more for low quality; users close a few
    p_platform = _sigmoid(_logit(0.03) - 1.1 * q[owner])
    u = rng.random(m)
    close_from = np.maximum(opened, window.start_s) + 30 * DAY_S
    room = window.end_s - close_from
    closeable = room > DAY_S
    by_platform = closeable & (u < p_platform)
    by_user = closeable & ~by_platform & (u < p_platform + 0.05)
    closed_at = close_from + np.floor(rng.random(m) * np.maximum(room, 0)).astype(np.int64)
    term = np.where(is_loan, rng.choice(_INSTALLMENT_TERMS, m), 0)
    matures = opened + (term * MONTH_S).astype(np.int64) + rng.integers(0, 5, m) * DAY_S
    repaid = is_loan & ~by_platform & (matures <= window.end_s)
    by_user = (by_user & ~is_loan) | repaid
    closed_at = np.where(repaid, matures, closed_at)
    closed = by_platform | by_user

    limit = _lognormal(
        rng, _CREDIT_LIMIT_MEDIAN[product] * np.exp(np.where(is_loan, 0.2, 0.6) * q[owner]), 0.4
    )
    limit = _money(limit, step=100.0, minimum=100.0)
    limit = np.where(by_platform & (rng.random(m) < 0.5), 0.0, limit)

    kept = np.flatnonzero(exists)
    pick = kept[np.lexsort((product[kept], opened[kept], owner[kept]))]
    owner, product, opened, closed_at = owner[pick], product[pick], opened[pick], closed_at[pick]
    closed, by_platform, limit, term = closed[pick], by_platform[pick], limit[pick], term[pick]
    account_id = _ids(chunk, owner.size)
    due_dom = rng.integers(1, 29, owner.size)
    accounts = _Accounts(
        owner=owner,
        account_id=account_id,
        product=product,
        opened_s=opened,
        last_day=np.where(closed, closed_at // DAY_S, window.month_end_day[-1]),
        due_dom=due_dom,
        limit=limit,
        term=term,
    )
    table = _table(
        "credit_accounts",
        {
            "account_id": _int_col(account_id),
            "user_id": _int_col(people.ids[owner]),
            "product": _str_col(product, PRODUCTS_CREDIT),
            "opened_at": _ts_col(opened),
            "closed_at": _ts_col(closed_at, ~closed),
            "closed_by": _str_col(by_platform.astype(np.int64), ("user", "platform"), ~closed),
            "credit_limit": _float_col(limit),
        },
    )
    return table, accounts


@dataclass(frozen=True)
class _Bills:
    owner: IntArray
    bill_id: IntArray
    due_day: IntArray
    paid_s: IntArray  # meaningless where unpaid
    unpaid: BoolArray
    deliberate: BoolArray


def _credit_bill_months(
    rng: Rng, window: _Window, people: _People, accounts: _Accounts
) -> tuple[IntArray, IntArray, IntArray]:
    """Credit bills over the whole horizon: (account index, month, due day) per bill.

    One bill per month in which the open account was used (loans: every month of their term).
    Bills past ``end`` are not written; they only tell the truth which months hold a credit bill.
    """
    loan = PRODUCTS_CREDIT.index("installment_loan")
    acc, month = _expand(np.full(accounts.owner.size, window.horizon, dtype=np.int64))
    product = accounts.product[acc]
    due = window.month_start_day[month] + accounts.due_dom[acc] - 1
    opened_day = accounts.opened_s[acc] // DAY_S
    propensity = _sigmoid(
        np.log(_CREDIT_USE_P / (1.0 - np.minimum(_CREDIT_USE_P, 0.999)))[accounts.product]
        + 0.6 * np.log(people.activity[accounts.owner])
        + 0.4 * people.q_trait[accounts.owner]
        + 0.8 * rng.standard_normal(accounts.owner.size)
    )
    in_term = (due - opened_day) <= accounts.term[acc] * 30.44 + 15
    used = np.where(product == loan, in_term, rng.random(acc.size) < propensity[acc])
    keep = (
        used
        & (due >= opened_day + 14)
        & (due <= accounts.last_day[acc])
        & (due >= window.start_day)
    )
    return acc[keep], month[keep], due[keep]


def _bills(
    rng: Rng, window: _Window, people: _People, accounts: _Accounts, chunk: int
) -> tuple[pa.Table, _Bills, BoolArray]:
    """The bills table, what repairs need of it, and (users, horizon) months with a credit bill."""
    n, k = people.n, window.n_months
    loan = PRODUCTS_CREDIT.index("installment_loan")

    acc, month_a, due_a = _credit_bill_months(rng, window, people, accounts)
    has_credit_bill = np.zeros((n, window.horizon), dtype=np.bool_)
    has_credit_bill[accounts.owner[acc], month_a] = True
    written = due_a <= window.end_day
    acc, month_a, due_a = acc[written], month_a[written], due_a[written]
    product_a = accounts.product[acc]
    limit = np.maximum(accounts.limit[acc], 500.0)
    installment = limit / np.maximum(accounts.term[acc], 1) * 1.08
    spend = _lognormal(rng, limit * _CREDIT_BILL_SHARE[product_a], 0.7)
    amount_a = np.where(product_a == loan, installment, spend)

    # living bills (utility, phone, rent) for living payers, monthly from the window's first
    # month (or the first due date after registration)
    holds = people.living_payer[:, None] & (rng.random((n, len(_LIVING_P))) < _LIVING_P)
    lp_owner, lp_kind = (a.astype(np.int64) for a in np.nonzero(holds))
    dom = rng.integers(1, 29, lp_owner.size)
    base = _lognormal(
        rng,
        _LIVING_MEDIAN[lp_kind] * np.exp(0.2 * people.q_trait[lp_owner]),
        _LIVING_SIGMA_USER[lp_kind],
    )
    pair, month_l = _expand(np.full(lp_owner.size, k, dtype=np.int64))
    due_l = window.month_start_day[month_l] + dom[pair] - 1
    # in a month of low quality a payer more often pays elsewhere (no bill through the platform)
    elsewhere = rng.random(pair.size) < _sigmoid(
        _logit(0.03) - 0.8 * people.q[lp_owner[pair], month_l]
    )
    keep = (due_l * DAY_S >= people.start_s[lp_owner[pair]]) & (due_l >= window.start_day)
    keep &= (due_l <= window.end_day) & ~elsewhere
    pair, due_l, month_l = pair[keep], due_l[keep], month_l[keep]
    amount_l = _lognormal(rng, base[pair], _LIVING_SIGMA_MONTH[lp_kind[pair]])

    owner = np.concatenate([accounts.owner[acc], lp_owner[pair]])
    account_id = np.concatenate([accounts.account_id[acc], np.zeros(pair.size, dtype=np.int64)])
    product = np.concatenate([product_a, len(PRODUCTS_CREDIT) + lp_kind[pair]])
    due = np.concatenate([due_a, due_l])
    month = np.concatenate([month_a, month_l])
    amount = _money(np.concatenate([amount_a, amount_l]))
    earliest_s = np.concatenate(
        [np.maximum(accounts.opened_s[acc], window.start_s), people.start_s[lp_owner[pair]]]
    )
    is_credit = np.arange(owner.size) < acc.size
    order = np.lexsort((account_id, product, due, owner))
    owner, account_id, product, due = owner[order], account_id[order], product[order], due[order]
    amount, earliest_s, is_credit = amount[order], earliest_s[order], is_credit[order]
    month = month[order]
    m = owner.size

    # ordinary payment: late with a probability from the month's quality and a per-user habit;
    # 1-20 days mostly, up to MILD_LATE_MAX_DAYS, never 90
    q = people.q[owner, month]
    habit = rng.normal(0.0, 0.8, n)
    late_logit = -4.9 - 1.2 * q + habit[owner] + 0.8 * people.staller[owner] - 0.3 * ~is_credit
    late = rng.random(m) < _sigmoid(late_logit)
    very_late = rng.random(m) < _sigmoid(-1.9 - 0.6 * q)
    days_late = np.where(
        very_late,
        21 + np.minimum(np.floor(rng.exponential(18.0, m)), MILD_LATE_MAX_DAYS - 21),
        rng.integers(1, 21, m),
    ).astype(np.int64)
    # serious delinquency: every credit bill of an episode month is unpaid or paid 95+ days late
    serious = is_credit & people.episode[owner, month]
    deliberate = serious & people.wilful[owner] & (rng.random(m) < 0.7)
    serious_unpaid = serious & (rng.random(m) < np.where(deliberate, 0.65, 0.5))
    serious_days = EPISODE_LATE_MIN_DAYS + np.minimum(
        np.floor(rng.exponential(70.0, m)), 400 - EPISODE_LATE_MIN_DAYS
    ).astype(np.int64)
    days_late = np.where(serious, serious_days, days_late)
    late |= serious
    tod = _time_of_day(rng, m)
    early = np.minimum(rng.geometric(0.3, m) - 1, 12)
    on_time_s = np.maximum((due - early) * DAY_S + tod, earliest_s)
    paid_s = np.where(late, (due + days_late) * DAY_S + tod, on_time_s)
    unpaid = serious_unpaid | (paid_s > window.end_s)
    amount_paid = np.where(unpaid, 0.0, amount)

    bill_id = _ids(chunk, m)
    table = _table(
        "bills",
        {
            "bill_id": _int_col(bill_id),
            "user_id": _int_col(people.ids[owner]),
            "account_id": _int_col(account_id, ~is_credit),
            "product": _str_col(product, PRODUCTS_BILL),
            "due_date": _date_col(due),
            "amount_due": _float_col(amount),
            "paid_at": _ts_col(paid_s, unpaid),
            "amount_paid": _float_col(amount_paid),
            "deliberate_default": _bool_col(deliberate),
        },
    )
    bills = _Bills(
        owner=owner,
        bill_id=bill_id,
        due_day=due,
        paid_s=paid_s,
        unpaid=unpaid,
        deliberate=deliberate,
    )
    return table, bills, has_credit_bill


def _repair_requests(
    rng: Rng, window: _Window, people: _People, bills: _Bills, chunk: int
) -> pa.Table:
    m = bills.owner.size
    due_end_s = (bills.due_day + 1) * DAY_S - 1
    paid_late = ~bills.unpaid & (bills.paid_s > due_end_s)
    overdue_unpaid = bills.unpaid & (due_end_s < window.end_s)
    within_30 = paid_late & (bills.paid_s <= due_end_s + 30 * DAY_S)
    p_request = np.where(
        bills.deliberate,
        0.4,
        np.where(paid_late, 0.36, np.where(overdue_unpaid, 0.1, 0.0)),
    )
    ask = rng.random(m) < p_request
    after_payment = bills.paid_s + rng.integers(60, 15 * DAY_S, m)
    after_due = (bills.due_day + rng.integers(3, 61, m)) * DAY_S + _time_of_day(rng, m)
    requested = np.where(bills.unpaid, after_due, after_payment)
    # some users ask again a few weeks later (the second request is rejected)
    again = ask & (rng.random(m) < 0.1)
    second = requested + rng.integers(3, 41, m) * DAY_S
    bill = np.concatenate([np.flatnonzero(ask), np.flatnonzero(again)])
    requested = np.concatenate([requested[ask], second[again]])
    keep = requested <= window.end_s
    bill, requested = bill[keep], requested[keep]
    group = np.where(bills.deliberate[bill], 2, np.where(within_30[bill], 0, 1))
    reason = _categorical(rng, group, _REPAIR_WEIGHTS)
    owner = bills.owner[bill]
    order = np.lexsort((bill, requested, owner))
    return _table(
        "repair_requests",
        {
            "request_id": _int_col(_ids(chunk, bill.size)),
            "user_id": _int_col(people.ids[owner[order]]),
            "bill_id": _int_col(bills.bill_id[bill[order]]),
            "requested_at": _ts_col(requested[order]),
            "reason": _str_col(reason[order], REPAIR_REASONS),
        },
    )


def _loan_applications(
    rng: Rng, window: _Window, people: _People, chunk: int
) -> tuple[pa.Table, IntArray, IntArray]:
    """The table, and the owner and start second of each borrowing spree (for risk events)."""
    n = people.n
    q = people.q[:, : window.n_months]
    # ordinary applications: borrowers ~1.6 a year, more in months of low quality
    rate = np.where(people.borrower, rng.gamma(2.0, 0.067, n), 0.0)[:, None] * np.exp(-0.3 * q)
    owner_r, _, ts_r = _monthly_events(rng, window, people, rate)
    # borrowing spree: 5-15 applications within 30 days, started more in months of low quality
    spree_owner, _, spree_start = _monthly_events(rng, window, people, 0.0008 * np.exp(-1.0 * q))
    spree, _ = _expand(rng.integers(5, 16, spree_owner.size))
    ts_s = np.minimum(spree_start[spree] + rng.integers(0, 30 * DAY_S, spree.size), window.end_s)
    owner_s = spree_owner[spree]
    owner = np.concatenate([owner_r, owner_s])
    ts = np.concatenate([ts_r, ts_s])
    in_spree = np.arange(owner.size) >= owner_r.size
    product = _categorical(rng, in_spree.astype(np.int64), _LOAN_WEIGHTS)
    amount = _money(
        _lognormal(rng, _LOAN_MEDIAN[product] * np.exp(0.3 * people.q_trait[owner]), 0.7),
        step=100.0,
        minimum=100.0,
    )
    q_now = people.q[owner, window.month_of_day(ts // DAY_S)]
    p_approve = _sigmoid(0.7 + 1.4 * q_now - 2.0 * in_spree)
    decision = np.where(rng.random(owner.size) < p_approve, 0, 1)
    recent = ts > window.end_s - 7 * DAY_S
    pending = rng.random(owner.size) < np.where(recent, 0.6, 0.02)
    decision = np.where(pending, 2, decision)
    order = np.lexsort((product, ts, owner))
    table = _table(
        "loan_applications",
        {
            "application_id": _int_col(_ids(chunk, owner.size)),
            "user_id": _int_col(people.ids[owner[order]]),
            "applied_at": _ts_col(ts[order]),
            "product": _str_col(product[order], _LOAN_PRODUCTS),
            "amount": _float_col(amount[order]),
            "decision": _str_col(decision[order], _DECISIONS),
        },
    )
    return table, spree_owner, spree_start


_NEG_SOURCE_FLAT = tuple(prefix for group in _NEG_SOURCES for prefix in group)
_NEG_SOURCE_COUNT = np.array([len(group) for group in _NEG_SOURCES])
_NEG_SOURCE_OFFSET = np.cumsum(_NEG_SOURCE_COUNT) - _NEG_SOURCE_COUNT


def _negative_records(rng: Rng, window: _Window, people: _People, chunk: int) -> pa.Table:
    q = people.q[:, : window.n_months]
    history_lo = min(
        window.end_s - int(NEGATIVE_HISTORY_YEARS * YEAR_S), window.start_s - 365 * DAY_S
    )
    history_years = (window.start_s - history_lo) / YEAR_S
    owners, categories, times, historical = [], [], [], []
    for c in range(len(NEGATIVE_CATEGORIES)):
        # in the window: at a rate driven by the month's quality
        owner_w, _, ts_w = _monthly_events(
            rng, window, people, _NEG_RATE[c] * np.exp(-_NEG_Q_SLOPE[c] * q)
        )
        # older records from external sources, on the base quality (may predate registration)
        count_o = rng.poisson(
            _NEG_OLD_RATE[c] * history_years * np.exp(-_NEG_Q_SLOPE[c] * people.q0)
        )
        owner_o, _ = _expand(count_o)
        ts_o = _times_between(
            rng, np.full(owner_o.size, history_lo), np.full(owner_o.size, window.start_s - 1)
        )
        owners += [owner_w, owner_o]
        times += [ts_w, ts_o]
        categories.append(np.full(owner_w.size + owner_o.size, c, dtype=np.int64))
        historical += [np.zeros(owner_w.size, np.bool_), np.ones(owner_o.size, np.bool_)]
    owner = np.concatenate(owners)
    occurred = np.concatenate(times)
    category = np.concatenate(categories)
    old = np.concatenate(historical)
    m = owner.size
    p_resolve = _NEG_RESOLVE_P[category] + 0.25 * old + 0.08 * people.q0[owner]
    wants_resolution = rng.random(m) < p_resolve
    resolved_at = (
        occurred
        + DAY_S
        + np.floor(rng.exponential(_NEG_RESOLVE_MEAN_DAYS[category] * DAY_S)).astype(np.int64)
    )
    resolved = wants_resolution & (resolved_at <= window.end_s)
    removed = rng.random(m) < 0.10
    amount = _money(_lognormal(rng, _NEG_AMOUNT_MEDIAN[category], 0.9))
    amount_null = rng.random(m) < _NEG_AMOUNT_NULL_P[category]
    prefix = _NEG_SOURCE_OFFSET[category] + np.floor(
        rng.random(m) * _NEG_SOURCE_COUNT[category]
    ).astype(np.int64)
    number = rng.integers(1, 100, m)
    order = np.lexsort((category, occurred, owner))
    source = pc.binary_join_element_wise(
        _str_col(prefix[order], _NEG_SOURCE_FLAT),
        pc.cast(pa.array(number[order]), pa.string()),
        "-",
    )
    return _table(
        "negative_records",
        {
            "record_id": _int_col(_ids(chunk, m)),
            "user_id": _int_col(people.ids[owner[order]]),
            "category": _str_col(category[order], NEGATIVE_CATEGORIES),
            "source": source,
            "occurred_at": _ts_col(occurred[order]),
            "amount": _float_col(amount[order], amount_null[order]),
            "resolved_at": _ts_col(resolved_at[order], ~resolved[order]),
            "removed_on_appeal": _bool_col(removed[order]),
        },
    )


def _relationships(rng: Rng, window: _Window, people: _People, draws: _GlobalDraws) -> pa.Table:
    n, users = people.n, draws.users
    mean_friends = 4.5 * np.clip(people.activity, 0.3, 3.0) ** 0.3
    counts = np.minimum(rng.negative_binomial(1.5, 1.5 / (1.5 + mean_friends)), 15)
    if users < 2:
        counts = np.zeros(n, dtype=np.int64)
    owner, _ = _expand(counts)
    m = owner.size
    uid = people.ids[owner]
    # 80% of friends from the user's own community (similar q), the rest from anywhere
    community_first = ((uid - 1) // COMMUNITY_SIZE) * COMMUNITY_SIZE
    community_size = np.minimum(COMMUNITY_SIZE, users - community_first)
    local = uid - 1 - community_first
    step_c = 1 + np.floor(rng.random(m) * (community_size - 1)).astype(np.int64)
    friend_c = community_first + (local + step_c) % np.maximum(community_size, 1) + 1
    step_g = 1 + np.floor(rng.random(m) * (users - 1)).astype(np.int64)
    friend_g = (uid - 1 + step_g) % users + 1
    same = (rng.random(m) < 0.8) & (community_size > 1)
    friend = np.where(same, friend_c, friend_g)
    # drop repeated (user, friend) pairs
    order = np.lexsort((friend, owner))
    owner, friend = owner[order], friend[order]
    first = np.ones(owner.size, dtype=np.bool_)
    first[1:] = (owner[1:] != owner[:-1]) | (friend[1:] != friend[:-1])
    owner, friend = owner[first], friend[first]
    m = owner.size
    lo = np.maximum(people.start_s[owner], draws.registered_at(friend))
    lo = np.maximum(lo, window.start_s)
    since = lo + np.floor((window.end_s - lo) * rng.random(m) ** 1.6).astype(np.int64)
    ended = (rng.random(m) < 0.12) & (since < window.end_s)
    ended_at = since + 1 + np.floor(rng.random(m) * (window.end_s - since)).astype(np.int64)
    ended_at = np.minimum(ended_at, window.end_s)
    order = np.lexsort((friend, since, owner))
    return _table(
        "relationships",
        {
            "user_id": _int_col(people.ids[owner[order]]),
            "friend_id": _int_col(friend[order]),
            "since": _ts_col(since[order]),
            "ended_at": _ts_col(ended_at[order], ~ended[order]),
        },
    )


def _assets(rng: Rng, window: _Window, people: _People) -> pa.Table:
    n, q = people.n, people.q_trait
    # wealth: higher for higher quality; the totals reach every bin from < 10k to 5M+
    wealth = 0.6 * q + 0.8 * rng.standard_normal(n)
    on_file = rng.random(n) < _sigmoid(_logit(0.85) + 0.5 * q - 0.8 * people.staller)
    p_hold = np.column_stack(
        [
            _sigmoid(_logit(_ASSET_HOLD_P[0]) + _ASSET_HOLD_SLOPE[0] * wealth),
            _sigmoid(_logit(_ASSET_HOLD_P[1]) + _ASSET_HOLD_SLOPE[1] * wealth),
            _sigmoid(_logit(_ASSET_HOLD_P[2]) + _ASSET_HOLD_SLOPE[2] * wealth),
            np.where(people.vehicle_verified, 0.85, 0.04),
            np.where(people.employed, 0.80, 0.12),
            np.where(people.employed, 0.55, 0.03),
        ]
    )
    holds = on_file[:, None] & (rng.random((n, len(ASSET_TYPES))) < p_hold)
    owner, kind = (a.astype(np.int64) for a in np.nonzero(holds))
    monthly = rng.random(n) < 0.12  # the rest report quarterly
    base = _lognormal(rng, _ASSET_MEDIAN[kind] * np.exp(_ASSET_W_SLOPE[kind] * wealth[owner]), 0.6)
    growth = _ASSET_GROWTH[kind] + rng.normal(0.0, 0.003, owner.size)
    # values grow faster in months of high quality (log growth 0.004 q[t] a month on top)
    quality_growth = 0.004 * np.cumsum(people.q[:, : window.n_months], axis=1)
    pair, month = _expand(np.full(owner.size, window.n_months, dtype=np.int64))
    as_of = window.month_end_day[month]
    keep = (
        (monthly[owner[pair]] | (window.month_of_year[month] % 3 == 0))
        & (as_of <= window.end_day)
        & (as_of >= people.start_s[owner[pair]] // DAY_S)
    )
    pair, month, as_of = pair[keep], month[keep], as_of[keep]
    value = base[pair] * np.exp(
        growth[pair] * month
        + quality_growth[owner[pair], month]
        + _ASSET_NOISE[kind[pair]] * rng.standard_normal(pair.size)
    )
    value = _money(value, minimum=0.0)
    order = np.lexsort((kind[pair], as_of, owner[pair]))
    pair, as_of, value = pair[order], as_of[order], value[order]
    return _table(
        "assets",
        {
            "user_id": _int_col(people.ids[owner[pair]]),
            "as_of": _date_col(as_of),
            "asset_type": _str_col(kind[pair], ASSET_TYPES),
            "value": _float_col(value),
        },
    )


def _risk_events(
    rng: Rng,
    window: _Window,
    people: _People,
    spree_owner: IntArray,
    spree_start_s: IntArray,
    chunk: int,
) -> pa.Table:
    q = people.q[:, : window.n_months]
    # platform violations at a rate driven by the month's quality ...
    owner_q, _, ts_q = _monthly_events(rng, window, people, 0.0004 * np.exp(-1.1 * q))
    # ... and around a third of borrowing sprees: cash-out within 60 days of the spree's start
    near = rng.random(spree_owner.size) < 0.35
    owner_s = spree_owner[near]
    ts_s = np.minimum(spree_start_s[near] + rng.integers(0, 60 * DAY_S, owner_s.size), window.end_s)
    owner = np.concatenate([owner_q, owner_s])
    ts = np.concatenate([ts_q, ts_s])
    spree = np.arange(owner.size) >= owner_q.size
    kind = _categorical(rng, spree.astype(np.int64), _RISK_WEIGHTS)
    order = np.lexsort((kind, ts, owner))
    return _table(
        "risk_events",
        {
            "event_id": _int_col(_ids(chunk, owner.size)),
            "user_id": _int_col(people.ids[owner[order]]),
            "event_ts": _ts_col(ts[order]),
            "kind": _str_col(kind[order], RISK_KINDS),
        },
    )


# --------------------------------------------------------------------------------------------
# ground truth


_TRUTH_SCHEMA = pa.schema(
    [
        pa.field("user_id", pa.int64()),
        pa.field("month_end", pa.date32()),
        pa.field("quality", pa.float64()),
        pa.field("pd_12m", pa.float64()),
    ]
)


def _expected_hazard(window: _Window, people: _People, offset: int, count: int) -> FloatArray:
    """(users, count): E[h[s + offset] | q[s]] for the month-ends s = 0 .. count - 1, offset >= 1.

    Given q[s], q[s + offset] is normal: mean q[s] plus the builders' drift (and minus the
    shock's drop when the shock month falls in between: the scenario is known), variance
    offset * QUALITY_STEP_SD**2 from the random walk. The mean of a logistic of a normal is
    the probit approximation sigmoid(m / sqrt(1 + pi * v / 8)) with m, v those of its argument.
    """
    months = np.arange(count)
    mean = people.q[:, :count] + np.where(people.builder, BUILDER_DRIFT * offset, 0.0)[:, None]
    if window.shock_month is not None:
        later = (months < window.shock_month) & (months + offset >= window.shock_month)
        mean = mean - SHOCK_DROP * later[None, :]
    variance = HAZARD_SLOPE**2 * QUALITY_STEP_SD**2 * offset
    argument = (HAZARD_INTERCEPT + HAZARD_SLOPE * mean) / np.sqrt(1.0 + np.pi * variance / 8.0)
    return _sigmoid(argument)


def _pd_12m(window: _Window, people: _People, has_credit_bill: BoolArray, count: int) -> FloatArray:
    """(users, count): P(an episode covers a month s+1..s+9 with a credit bill | q up to s, bills).

    Column ``s`` is the month-end of month ``s``, for ``s = 0 .. count - 1``. The hazards of
    months up to ``s`` are known; those after it are expected given ``q[s]``
    (``_expected_hazard``): the probability as it stands at the month-end, not in hindsight.
    """
    hazard = people.hazard
    n = hazard.shape[0]
    bills_before = np.zeros((n, window.horizon + 1), dtype=np.int32)
    bills_before[:, 1:] = np.cumsum(has_credit_bill, axis=1)
    survival = np.ones((n, count))
    # an episode entered in month s + offset covers s + offset .. s + offset + L - 1
    for offset in range(2 - max(EPISODE_MONTHS), OUTCOME_MONTHS + 1):
        cover = np.zeros((n, count))
        for length in EPISODE_MONTHS:
            lo, hi = max(offset, 1), min(offset + length - 1, OUTCOME_MONTHS)
            if lo <= hi:
                cover += bills_before[:, hi + 1 : hi + 1 + count] > bills_before[:, lo : lo + count]
        h = np.zeros((n, count))
        first = max(-offset, 0)  # months s with s + offset < 0 have no such episode
        if offset >= 1:
            h = _expected_hazard(window, people, offset, count)
        else:
            h[:, first:] = hazard[:, first + offset : count + offset]
        survival *= 1.0 - h * cover / len(EPISODE_MONTHS)
    pd = 1.0 - survival
    return np.asarray(np.round(pd / PD_QUANTUM) * PD_QUANTUM, dtype=np.float64)


def _truth(window: _Window, people: _People, has_credit_bill: BoolArray) -> pa.Table:
    """One row per user and month-end of the window on or before end (see the module docstring)."""
    months = np.flatnonzero(window.month_end_day[: window.n_months] <= window.end_day)
    pd = _pd_12m(window, people, has_credit_bill, months.size)  # months = 0 .. size - 1
    owner, rank = _expand(np.full(people.n, months.size, dtype=np.int64))
    return pa.Table.from_arrays(
        [
            _int_col(people.ids[owner]),
            _date_col(window.month_end_day[months][rank]),
            _float_col(people.q[:, months].ravel()),
            _float_col(pd.ravel()),
        ],
        schema=_TRUTH_SCHEMA,
    )


def _write_truth(data: pa.Table, path: Path) -> None:
    pq.write_table(
        data,
        path,
        compression=COMPRESSION,
        use_dictionary=False,
        column_encoding={
            "user_id": "DELTA_BINARY_PACKED",
            "month_end": "DELTA_BINARY_PACKED",
            "quality": "BYTE_STREAM_SPLIT",
            "pd_12m": "BYTE_STREAM_SPLIT",
        },
    )


# --------------------------------------------------------------------------------------------
# entry point


def _chunk_tables(
    seeds: np.random.SeedSequence, window: _Window, draws: _GlobalDraws, ids: IntArray, chunk: int
) -> Iterator[tuple[str, pa.Table]]:
    """The 11 tables of one chunk of users, then the truth (``TRUTH_TABLE``), one at a time.

    Each step draws from its own stream, so how many events one table drew (which depends on
    the latent path, e.g. under a shock) never shifts the draws of another.
    """
    rng = [np.random.default_rng(s) for s in seeds.spawn(12)]
    people = _draw_people(rng[0], window, draws, ids)
    yield "users", _users(rng[1], people)
    yield "profile_changes", _profile_changes(rng[2], window, people, chunk)
    yield "transactions", _transactions(rng[3], window, people, chunk)
    accounts_table, accounts = _credit_accounts(rng[4], window, people, chunk)
    yield "credit_accounts", accounts_table
    bills_table, bills, has_credit_bill = _bills(rng[5], window, people, accounts, chunk)
    yield "bills", bills_table
    del bills_table
    yield "repair_requests", _repair_requests(rng[6], window, people, bills, chunk)
    del bills
    loans_table, spree_owner, spree_start = _loan_applications(rng[7], window, people, chunk)
    yield "loan_applications", loans_table
    yield "negative_records", _negative_records(rng[8], window, people, chunk)
    yield "relationships", _relationships(rng[9], window, people, draws)
    yield "assets", _assets(rng[10], window, people)
    yield "risk_events", _risk_events(rng[11], window, people, spree_owner, spree_start, chunk)
    yield TRUTH_TABLE, _truth(window, people, has_credit_bill)


def generate_exports(
    out_dir: Path,
    *,
    users: int,
    months: int = 24,
    seed: int = 0,
    end: datetime.date,
    chunk_users: int = 50_000,
    on_progress: Callable[[int], None] | None = None,
    shock: str | None = None,
    truth: bool = True,
    as_of: datetime.date | None = None,
) -> dict[str, int]:
    """Writes all 11 export tables under out_dir/<table>/part-NNNNN.parquet; returns rows per table.

    Users ``1..users`` are generated in chunks of ``chunk_users``; chunk ``c`` writes
    ``part-{c:05d}.parquet`` in every table directory and, with ``truth``, in
    ``_truth/user_months/`` (existing ``part-*`` and ``update-*`` files there are removed first),
    then calls ``on_progress(number of users in the chunk)``. ``shock`` ("YYYY-MM") lowers every
    user's latent quality by ``SHOCK_DROP`` from that month on. ``as_of`` (default ``end``, a day
    of the window) writes the exports as they stood at the end of that day (module docstring,
    "Night by night"); ``generate_next_day`` grows them from there. The returned dict counts the
    contract's tables only (not the truth). The same (users, months, seed, end, chunk_users,
    shock, as_of) always gives byte-identical files; ``truth`` only decides whether the truth is
    written.
    """
    world = _World(
        users=users,
        months=months,
        seed=seed,
        end=end,
        chunk_users=chunk_users,
        shock=shock,
        truth=truth,
        as_of=end if as_of is None else as_of,
    )
    out_dir = Path(out_dir)
    truth_dir = out_dir / TRUTH_DIR / TRUTH_TABLE
    (out_dir / MANIFEST).unlink(missing_ok=True)
    for directory in [out_dir / table.name for table in TABLES] + [truth_dir]:
        if directory != truth_dir or truth:
            directory.mkdir(parents=True, exist_ok=True)
        for pattern in ("part-*.parquet", "update-*.parquet"):
            for stale in sorted(directory.glob(pattern)):
                stale.unlink()
    rows = {table.name: 0 for table in TABLES}
    observed = world.as_of < end
    for chunk, tables in world.chunks():
        registered = pa.array([], pa.int64())
        for name, data in tables:
            if name == TRUTH_TABLE:
                if truth:
                    if observed:
                        data = _truth_between(data, None, world.as_of)
                    _write_truth(data, truth_dir / f"part-{chunk:05d}.parquet")
                continue
            if observed:
                if name == "users":
                    registered = registered_by(data, world.as_of)
                data = as_exported(name, data, world.as_of, registered)
            _write(data, out_dir / name / f"part-{chunk:05d}.parquet")
            rows[name] += data.num_rows
        if on_progress is not None:
            on_progress(world.chunk_size(chunk))
    world.save(out_dir)
    return rows


# --------------------------------------------------------------------------------------------
# night by night: the exports as they stood at the end of a day, and the next day's files

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


@dataclass(frozen=True)
class NextDay:
    """What ``generate_next_day`` added: the day, and per table its new and corrected rows."""

    day: datetime.date
    new_rows: dict[str, int]
    corrected_rows: dict[str, int]
    days_left: int


@dataclass(frozen=True)
class _World:
    """A generation's parameters (``_generator/manifest.json``) and the day its files show."""

    users: int
    months: int
    seed: int
    end: datetime.date
    chunk_users: int
    shock: str | None
    truth: bool
    as_of: datetime.date

    def __post_init__(self) -> None:
        if self.users < 1:
            raise ValueError("users must be at least 1")
        if self.months < 1:
            raise ValueError("months must be at least 1")
        if self.chunk_users < 1:
            raise ValueError("chunk_users must be at least 1")
        if self.seed < 0:
            raise ValueError("seed must be non-negative")
        start = add_months(self.end, -self.months) + datetime.timedelta(days=1)
        if not start <= self.as_of <= self.end:
            raise ValueError(
                f"as_of {self.as_of} must be a day of the generated window, {start} .. {self.end}"
            )

    def chunk_size(self, chunk: int) -> int:
        return min(self.users, (chunk + 1) * self.chunk_users) - chunk * self.chunk_users

    def chunks(self) -> Iterator[tuple[int, Iterator[tuple[str, pa.Table]]]]:
        """Each chunk of users, with its tables drawn one at a time (``_chunk_tables``)."""
        window = _window(self.end, self.months, _parse_shock(self.shock))
        draws = _GlobalDraws(self.seed, window, self.users)
        n_chunks = -(-self.users // self.chunk_users)
        for chunk, child in enumerate(np.random.SeedSequence(self.seed).spawn(n_chunks)):
            first = chunk * self.chunk_users + 1
            ids = np.arange(first, first + self.chunk_size(chunk), dtype=np.int64)
            yield chunk, _chunk_tables(child, window, draws, ids, chunk)

    def save(self, out_dir: Path) -> None:
        """Writes the manifest in one step (a temporary file renamed over it)."""
        path = out_dir / MANIFEST
        path.parent.mkdir(parents=True, exist_ok=True)
        fields = {**self.__dict__, "end": self.end.isoformat(), "as_of": self.as_of.isoformat()}
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(json.dumps({"format": MANIFEST_FORMAT, **fields}, indent=2) + "\n")
        os.replace(partial, path)

    @classmethod
    def load(cls, out_dir: Path) -> _World:
        path = out_dir / MANIFEST
        try:
            fields = json.loads(path.read_text())
        except FileNotFoundError:
            raise ValueError(
                f"{out_dir} holds no {MANIFEST}: it was not written by `sesame generate` (or by "
                "a version before --as-of); generate it with --end (the world's last day) and "
                "--as-of (the first day to show), then grow it with --next-day"
            ) from None
        except (OSError, ValueError) as error:
            raise ValueError(
                f"{path} cannot be read ({error}); generate the folder again"
            ) from None
        if fields.pop("format", None) != MANIFEST_FORMAT:
            raise ValueError(f"{path} is of another format; generate the folder again")
        fields["end"] = datetime.date.fromisoformat(fields["end"])
        fields["as_of"] = datetime.date.fromisoformat(fields["as_of"])
        return cls(**fields)


def generated_users(out_dir: Path) -> int:
    """How many users the generation in ``out_dir`` has (from its manifest), for progress."""
    return _World.load(Path(out_dir)).users


def _write_update(write: Callable[[pa.Table, Path], None], data: pa.Table, path: Path) -> None:
    """A new file under its final name only once it is whole: ingest never reads half of it."""
    partial = path.with_name(f".{path.name}.partial")
    write(data, partial)
    os.replace(partial, path)


def generate_next_day(
    out_dir: Path, *, on_progress: Callable[[int], None] | None = None
) -> NextDay:
    """Adds the next day to exports written by ``generate_exports`` with an ``as_of`` before
    ``end``: new files with the rows that day adds or corrects, and the truth of a month-end it
    passes. Files already there are never changed; the manifest moves on last, so a run stopped
    half-way writes the same files again when repeated."""
    out_dir = Path(out_dir)
    world = _World.load(out_dir)
    if world.as_of >= world.end:
        raise ValueError(
            f"{out_dir} already shows the last day of its generated world, {world.end}; generate "
            "it again with a later --end (and --as-of the day to start from) to grow it further"
        )
    day = world.as_of + datetime.timedelta(days=1)
    new_rows = {table.name: 0 for table in TABLES}
    corrected_rows = dict(new_rows)
    file_name = f"update-{day.isoformat()}-part-{{chunk:05d}}.parquet"
    for chunk, tables in world.chunks():
        registered_before = registered_now = pa.array([], pa.int64())
        for name, data in tables:
            path_name = file_name.format(chunk=chunk)
            if name == TRUTH_TABLE:
                truth = _truth_between(data, world.as_of, day)
                if world.truth and truth.num_rows:
                    path = out_dir / TRUTH_DIR / TRUTH_TABLE / path_name
                    _write_update(_write_truth, truth, path)
                continue
            if name == "users":
                registered_before = registered_by(data, world.as_of)
                registered_now = registered_by(data, day)
            before = as_exported(name, data, world.as_of, registered_before)
            now = as_exported(name, data, day, registered_now)
            changed, corrected = _changed_rows(name, now, before)
            if changed.num_rows:
                _write_update(_write, changed, out_dir / name / path_name)
            new_rows[name] += changed.num_rows - corrected
            corrected_rows[name] += corrected
        if on_progress is not None:
            on_progress(world.chunk_size(chunk))
    moved = _World(**{**world.__dict__, "as_of": day})
    moved.save(out_dir)
    return NextDay(day, new_rows, corrected_rows, (world.end - day).days)
