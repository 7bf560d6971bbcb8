"""Synthetic exports that follow data contract v1, for demos, tests and benchmarks.

``generate_exports`` writes the 11 export tables of ``sesame.schema.TABLES`` as Parquet, one
sub-directory per table and one file per chunk of users. Everything is drawn with vectorised numpy:
the only Python loops run over chunks, tables and a handful of categories.

How users behave
----------------
Every user has a latent credit quality ``q ~ N(0, 1)``. Friends cluster by quality: users are
grouped into communities of ``COMMUNITY_SIZE`` consecutive ids, ``q`` is the community's mean plus
the user's own deviation, and most friends come from the same community. ``q`` and the registration
time are drawn from a counter-based hash of (seed, user id), so a chunk can look up a friend that
lives in another chunk without holding every user in memory. Everything else is drawn per chunk
from ``np.random.default_rng`` seeded by ``SeedSequence(seed).spawn(n_chunks)``.

Higher ``q`` means: more verified profile fields, steadier income, higher limits and assets, fewer
late bills, fewer negative records, more approved loans. On top of ``q`` every user gets a few
archetype flags:

- **builder** (~18%): starts with a high late-payment rate that falls month by month, so their
  score should climb through the window.
- **staller** (~15%): keeps the same habits for the whole window: an incomplete profile (email,
  address, employer, vehicle and education mostly missing), never pays living bills through the
  platform, and a constant, irregular lateness. Their score should stay flat.
- **churner** (~5%): changes phone number and address several times a year.
- **low confirmer** (~15%, more among stallers): rarely confirms receipt of shopping orders (the
  system auto-confirms them).
- **living payer** (~50%, never a staller): pays utility, phone and/or rent bills on the platform.
- **employed** (~65%, more for high ``q``): a monthly salary; **irregular** earners (more for low
  ``q``) skip months and earn very different amounts from month to month.
- **borrowing spree** (~2%): 5-15 loan applications within one month, mostly declined.
- **deliberate defaulter** (a few low-``q`` users): from some month on, collections flags part of
  their credit bills as deliberate defaults, left unpaid or paid very late.
- **risky** (~1-2%, more for low ``q`` and spree users): platform violations (cash-out, fraud
  reports, account abuse); the platform closes their credit accounts more often.

Time
----
The window is the ``months`` months up to and including ``end``. Every event lies in the window and
not before the user's registration, with two exceptions that the contract allows:
``users.registered_at`` (up to 3 years before the window) and ``negative_records`` (external records
from courts, banks and merchants: ``occurred_at`` and ``resolved_at`` go back up to 7 years before
``end``, so some resolved records have already stopped counting, and may predate registration).
Nothing is later than ``end`` 23:59:59; a bill whose payment would fall after ``end`` is unpaid.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

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
REGISTRATION_YEARS_BEFORE_WINDOW = 3  # earliest registration, in years before the window start
NEGATIVE_HISTORY_YEARS = 7  # earliest negative record, in years before end
COMPRESSION = "zstd"

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
_CREDIT_BASE_P = np.array([0.85, 0.50, 0.28, 0.10])  # share of users holding the product
_CREDIT_Q_SLOPE = np.array([0.5, 0.3, 0.8, -0.2])  # logit slope of holding on q
_CREDIT_LIMIT_MEDIAN = np.array([4000.0, 8000.0, 15000.0, 12000.0])  # limit / loan principal
_CREDIT_USE_P = np.array([0.72, 0.28, 0.80, 1.0])  # chance of a bill in a month the account is open
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

# Negative records, in NEGATIVE_CATEGORIES order (legal, financial, life).
_NEG_WEIGHTS = np.array([[0.12, 0.28, 0.60], [0.22, 0.38, 0.40]])  # row 1: users with q < -1
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
# provident_fund): median value and its slope on q (log scale), monthly growth per unit of q.
_ASSET_MEDIAN = np.array([20000.0, 15000.0, 900000.0, 90000.0, 30000.0, 40000.0])
_ASSET_Q_SLOPE = np.array([0.8, 0.7, 0.4, 0.3, 0.4, 0.5])
_ASSET_GROWTH = np.array([0.006, 0.005, 0.002, -0.008, 0.008, 0.008])  # per month at q = 0
_ASSET_NOISE = np.array([0.15, 0.10, 0.02, 0.02, 0.01, 0.01])  # month-to-month log noise

_LOAN_PRODUCTS = ("jiebei", "installment_loan", "credit_card")
_LOAN_WEIGHTS = np.array([[0.55, 0.25, 0.20], [0.70, 0.25, 0.05]])  # row 1: spree applications
_LOAN_MEDIAN = np.array([5000.0, 12000.0, 20000.0])
_DECISIONS = ("approved", "declined", "pending")
_RISK_WEIGHTS = np.array([[0.35, 0.35, 0.30], [0.60, 0.15, 0.25]])  # row 1: spree users


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
    """The generated period; seconds and days count from 1970-01-01 (naive business time)."""

    start_s: int  # first second of the window
    end_s: int  # last second: end 23:59:59
    start_day: int
    end_day: int
    month_start_day: IntArray  # first day of each calendar month that overlaps the window
    month_end_day: IntArray  # last day of each of those months
    month_of_year: IntArray  # 1..12 for each of those months

    @property
    def n_months(self) -> int:
        return int(self.month_start_day.size)


def _months_before(day: datetime.date, months: int) -> datetime.date:
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return datetime.date(year, month0 + 1, min(day.day, last))


def _window(end: datetime.date, months: int) -> _Window:
    epoch = datetime.date(1970, 1, 1)
    start = _months_before(end, months) + datetime.timedelta(days=1)
    start_day = (start - epoch).days
    end_day = (end - epoch).days
    calendar_months = np.arange(
        np.datetime64(start, "M"), np.datetime64(end, "M") + 1, dtype="datetime64[M]"
    )
    month_start = calendar_months.astype("datetime64[D]").astype(np.int64)
    month_end = (calendar_months + 1).astype("datetime64[D]").astype(np.int64) - 1
    return _Window(
        start_s=start_day * DAY_S,
        end_s=(end_day + 1) * DAY_S - 1,
        start_day=start_day,
        end_day=end_day,
        month_start_day=month_start,
        month_end_day=month_end,
        month_of_year=calendar_months.astype(np.int64) % 12 + 1,
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
        """Latent credit quality: community mean (sd 0.7) plus own deviation (sd 0.71)."""
        community = (ids - 1) // COMMUNITY_SIZE
        return 0.7 * self.normal(community, 0) + 0.71 * self.normal(ids, 2)

    def registered_at(self, ids: IntArray) -> IntArray:
        """Registration second: 70% before the window, 24% inside it, 6% in its last 6 weeks."""
        w = self._window
        early = w.start_s - int(REGISTRATION_YEARS_BEFORE_WINDOW * YEAR_S)
        recent = max(w.start_s, w.end_s - 42 * DAY_S)
        pick = self.uniform(ids, 4)
        lo = np.where(pick < 0.70, early, np.where(pick < 0.94, w.start_s, recent))
        hi = np.where(pick < 0.70, w.start_s - 1, w.end_s)
        position = self.uniform(ids, 5)
        return (lo + np.floor(position * (hi - lo + 1))).astype(np.int64)


# --------------------------------------------------------------------------------------------
# the users of one chunk


@dataclass(frozen=True)
class _People:
    ids: IntArray
    q: FloatArray
    registered_s: IntArray
    start_s: IntArray  # first second the user can act in the window: max(registered_at, start)
    employed: BoolArray
    irregular: BoolArray
    builder: BoolArray
    staller: BoolArray
    churner: BoolArray
    low_confirmer: BoolArray
    living_payer: BoolArray
    spree: BoolArray
    spree_start_s: IntArray
    defaulter: BoolArray
    default_from_day: IntArray
    risky: BoolArray
    activity: FloatArray  # non-salary transactions per month
    income: FloatArray  # monthly salary
    vehicle_verified: BoolArray

    @property
    def n(self) -> int:
        return int(self.ids.size)


def _draw_people(rng: Rng, window: _Window, draws: _GlobalDraws, ids: IntArray) -> _People:
    n = ids.size
    q = draws.quality(ids)
    registered = draws.registered_at(ids)
    start = np.maximum(registered, window.start_s)
    archetype = rng.random(n)
    builder = archetype < 0.18
    staller = (archetype >= 0.18) & (archetype < 0.33)
    employed = rng.random(n) < _sigmoid(_logit(0.68) + 0.7 * q)
    irregular = employed & (rng.random(n) < _sigmoid(_logit(0.15) - 0.8 * q))
    churner = rng.random(n) < 0.05
    low_confirmer = rng.random(n) < np.where(staller, 0.35, 0.115)
    living_payer = ~staller & (rng.random(n) < _sigmoid(_logit(0.6) + 0.4 * q))
    spree = rng.random(n) < _sigmoid(_logit(0.018) - 0.4 * q)
    spree_room = np.maximum(window.end_s - 30 * DAY_S - start, 0)
    spree_start = start + np.floor(rng.random(n) * spree_room).astype(np.int64)
    defaulter = rng.random(n) < _sigmoid(_logit(0.004) - 1.3 * q)
    default_from = (start // DAY_S) + np.floor(
        rng.random(n) * (window.end_day - start // DAY_S + 1)
    ).astype(np.int64)
    risky = rng.random(n) < _sigmoid(_logit(0.007) - 0.9 * q + 2.5 * spree + 1.0 * defaulter)
    activity = np.exp(np.log(1.5) - 0.5 + 1.0 * rng.standard_normal(n) + 0.2 * q)
    activity = np.minimum(activity, 60.0)
    income = np.exp(np.log(6000.0) + 0.35 * q + 0.35 * rng.standard_normal(n))
    vehicle = rng.random(n) < _sigmoid(_logit(0.22) + 0.5 * q - 1.5 * staller)
    return _People(
        ids=ids,
        q=q,
        registered_s=registered,
        start_s=start,
        employed=employed,
        irregular=irregular,
        builder=builder,
        staller=staller,
        churner=churner,
        low_confirmer=low_confirmer,
        living_payer=living_payer,
        spree=spree,
        spree_start_s=spree_start,
        defaulter=defaulter,
        default_from_day=default_from,
        risky=risky,
        activity=activity,
        income=income,
        vehicle_verified=vehicle,
    )


# --------------------------------------------------------------------------------------------
# tables


def _users(rng: Rng, people: _People) -> pa.Table:
    n, q, staller = people.n, people.q, people.staller
    real_name = rng.random(n) < _sigmoid(_logit(0.955) + 0.8 * q)
    phone = rng.random(n) < _sigmoid(_logit(0.91) + 0.6 * q)
    email = rng.random(n) < _sigmoid(_logit(0.68) + 0.6 * q - 1.6 * staller)
    address = rng.random(n) < _sigmoid(_logit(0.78) + 0.6 * q - 1.8 * staller)
    employer = people.employed & (rng.random(n) < _sigmoid(_logit(0.66) + 0.6 * q - 1.8 * staller))
    education_null = rng.random(n) < np.where(staller, 0.5, 0.15)
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
    years = (window.end_s - people.start_s) / YEAR_S
    ordinary = rng.poisson(np.where(people.staller, 0.3, 0.6) * years)
    churn_rate = np.where(people.churner, rng.gamma(4.0, 2.0, people.n), 0.0)  # ~8 a year
    churn = rng.poisson(churn_rate * years)
    owner_o, _ = _expand(ordinary)
    owner_c, _ = _expand(churn)
    field_o = _categorical(
        rng,
        np.zeros(owner_o.size, dtype=np.int64),
        np.array([[0.2, 0.2, 0.2, 0.15, 0.1, 0.15]]),
    )
    field_c = rng.integers(0, 2, owner_c.size)  # phone or address
    owner = np.concatenate([owner_o, owner_c])
    field = np.concatenate([field_o, field_c])
    changed = _times_between(rng, people.start_s[owner], np.full(owner.size, window.end_s))
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
    n, q = people.n, people.q
    # everyday spending: Poisson counts at a lognormal per-user rate
    months_active = (window.end_s - people.start_s) / MONTH_S
    owner_e, _ = _expand(rng.poisson(people.activity * months_active))
    ts_e = _times_between(rng, people.start_s[owner_e], np.full(owner_e.size, window.end_s))
    group = np.where(people.staller, 2, np.where(people.living_payer, 0, 1))
    cat_e = _categorical(rng, group[owner_e], _TXN_WEIGHTS)
    amount_e = _lognormal(rng, _TXN_MEDIAN[cat_e] * np.exp(0.25 * q[owner_e]), _TXN_SIGMA[cat_e])

    # salary: monthly for the employed; irregular earners skip months and vary a lot
    k = window.n_months
    owner_s, month = _expand(np.where(people.employed, k, 0))
    pay_day = rng.integers(1, 29, n)
    jitter = np.where(people.irregular[owner_s], rng.integers(-8, 9, owner_s.size), 0)
    day = window.month_start_day[month] + pay_day[owner_s] - 1 + jitter
    ts_s = day * DAY_S + _time_of_day(rng, owner_s.size, mean_h=10.0, sd_h=1.5)
    skip_p = np.where(people.irregular[owner_s], 0.3, 0.015)
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
    # receipt confirmation: shopping only; most users confirm ~90%, low confirmers ~13%
    propensity = np.where(people.low_confirmer, rng.beta(1.2, 8.0, n), rng.beta(12.0, 1.5, n))
    confirmed = rng.random(owner.size) < propensity[owner]
    not_shopping = cat != _CAT_SHOPPING

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
    last_day: IntArray  # last day a bill can fall due: closing day, or end
    due_dom: IntArray  # day of month bills fall due
    limit: FloatArray
    term: IntArray  # months, installment loans only (0 otherwise)


def _credit_accounts(
    rng: Rng, window: _Window, people: _People, chunk: int
) -> tuple[pa.Table, _Accounts]:
    n, q = people.n, people.q
    p_hold = _sigmoid(np.log(_CREDIT_BASE_P / (1 - _CREDIT_BASE_P)) + np.outer(q, _CREDIT_Q_SLOPE))
    holds = rng.random((n, len(PRODUCTS_CREDIT))) < p_hold
    owner, product = np.nonzero(holds)
    owner, product = owner.astype(np.int64), product.astype(np.int64)
    m = owner.size
    start = people.start_s[owner]
    is_loan = product == PRODUCTS_CREDIT.index("installment_loan")
    # revolving products open soon after the user arrives; loans any time in the window
    soon = start + np.floor(rng.exponential(75.0 * DAY_S, m)).astype(np.int64)
    anytime = _times_between(rng, start, np.full(m, window.end_s))
    opened = np.where(is_loan, anytime, soon)
    opened = (opened // DAY_S) * DAY_S + _time_of_day(rng, m)
    opened = np.maximum(opened, start)
    exists = opened <= window.end_s

    # closing: the platform closes more for low q, defaulters and risky users; users close a few
    owner_q = q[owner]
    p_platform = _sigmoid(
        _logit(0.025) - 1.1 * owner_q + 2.5 * people.defaulter[owner] + 1.8 * people.risky[owner]
    )
    u = rng.random(m)
    room = window.end_s - opened - 30 * DAY_S
    closeable = room > DAY_S
    by_platform = closeable & (u < p_platform)
    by_user = closeable & ~by_platform & (u < p_platform + 0.05)
    closed_at = opened + 30 * DAY_S + np.floor(rng.random(m) * np.maximum(room, 0)).astype(np.int64)
    term = np.where(is_loan, rng.choice(_INSTALLMENT_TERMS, m), 0)
    matures = opened + (term * MONTH_S).astype(np.int64) + rng.integers(0, 5, m) * DAY_S
    repaid = is_loan & ~by_platform & (matures <= window.end_s)
    by_user = (by_user & ~is_loan) | repaid
    closed_at = np.where(repaid, matures, closed_at)
    closed = by_platform | by_user

    limit = _lognormal(
        rng, _CREDIT_LIMIT_MEDIAN[product] * np.exp(np.where(is_loan, 0.2, 0.6) * owner_q), 0.4
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
        last_day=np.where(closed, closed_at // DAY_S, window.end_day),
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


def _bills(
    rng: Rng, window: _Window, people: _People, accounts: _Accounts, chunk: int
) -> tuple[pa.Table, _Bills]:
    n, k = people.n, window.n_months
    loan = PRODUCTS_CREDIT.index("installment_loan")

    # credit bills: one per month in which the open account was used (loans: every month of term)
    acc, month = _expand(np.full(accounts.owner.size, k, dtype=np.int64))
    product_a = accounts.product[acc]
    due_a = window.month_start_day[month] + accounts.due_dom[acc] - 1
    opened_day = accounts.opened_s[acc] // DAY_S
    propensity = _sigmoid(
        np.log(_CREDIT_USE_P / (1.0 - np.minimum(_CREDIT_USE_P, 0.999)))[accounts.product]
        + 0.6 * np.log(people.activity[accounts.owner])
        + 0.8 * rng.standard_normal(accounts.owner.size)
    )
    in_term = (due_a - opened_day) <= accounts.term[acc] * 30.44 + 15
    used = np.where(product_a == loan, in_term, rng.random(acc.size) < propensity[acc])
    keep = (
        used
        & (due_a >= opened_day + 14)
        & (due_a <= accounts.last_day[acc])
        & (due_a >= window.start_day)
        & (due_a <= window.end_day)
    )
    acc, product_a, due_a = acc[keep], product_a[keep], due_a[keep]
    limit = np.maximum(accounts.limit[acc], 500.0)
    installment = limit / np.maximum(accounts.term[acc], 1) * 1.08
    spend = _lognormal(rng, limit * _CREDIT_BILL_SHARE[product_a], 0.7)
    amount_a = np.where(product_a == loan, installment, spend)

    # living bills (utility, phone, rent) for living payers, monthly after a start-up lag
    holds = people.living_payer[:, None] & (rng.random((n, len(_LIVING_P))) < _LIVING_P)
    lp_owner, lp_kind = (a.astype(np.int64) for a in np.nonzero(holds))
    first_s = people.start_s[lp_owner] + rng.integers(20, 120, lp_owner.size) * DAY_S
    dom = rng.integers(1, 29, lp_owner.size)
    base = _lognormal(
        rng,
        _LIVING_MEDIAN[lp_kind] * np.exp(0.2 * people.q[lp_owner]),
        _LIVING_SIGMA_USER[lp_kind],
    )
    pair, month = _expand(np.full(lp_owner.size, k, dtype=np.int64))
    due_l = window.month_start_day[month] + dom[pair] - 1
    keep = (due_l * DAY_S >= first_s[pair]) & (due_l >= window.start_day)
    keep &= due_l <= window.end_day
    pair, due_l = pair[keep], due_l[keep]
    amount_l = _lognormal(rng, base[pair], _LIVING_SIGMA_MONTH[lp_kind[pair]])

    owner = np.concatenate([accounts.owner[acc], lp_owner[pair]])
    account_id = np.concatenate([accounts.account_id[acc], np.zeros(pair.size, dtype=np.int64)])
    product = np.concatenate([product_a, len(PRODUCTS_CREDIT) + lp_kind[pair]])
    due = np.concatenate([due_a, due_l])
    amount = _money(np.concatenate([amount_a, amount_l]))
    earliest_s = np.concatenate([accounts.opened_s[acc], people.start_s[lp_owner[pair]]])
    is_credit = np.arange(owner.size) < acc.size
    order = np.lexsort((account_id, product, due, owner))
    owner, account_id, product, due = owner[order], account_id[order], product[order], due[order]
    amount, earliest_s, is_credit = amount[order], earliest_s[order], is_credit[order]
    m = owner.size

    # payment: late probability from q, a per-user habit, and the archetype's trend
    q = people.q[owner]
    elapsed = (due - window.start_day) / max(window.end_day - window.start_day, 1)
    habit = rng.normal(0.0, 0.5, n)
    late_logit = (
        -3.4
        - 1.0 * q
        + habit[owner]
        + people.builder[owner] * (2.2 - 3.7 * elapsed)
        + people.staller[owner] * 1.0
        - 0.3 * ~is_credit
    )
    late = rng.random(m) < _sigmoid(late_logit)
    deliberate = (
        people.defaulter[owner]
        & is_credit
        & (due >= people.default_from_day[owner])
        & (rng.random(m) < 0.6)
    )
    u = rng.random(m)
    p_unpaid = _sigmoid(-3.2 - 0.9 * q)
    p_very_late = _sigmoid(-1.9 - 0.6 * q)
    very_late = late & (u >= p_unpaid) & (u < p_unpaid + p_very_late)
    days_late = np.where(
        very_late,
        21 + np.minimum(np.floor(rng.exponential(35.0, m)), 400).astype(np.int64),
        rng.integers(1, 21, m),
    )
    deliberate_unpaid = deliberate & (rng.random(m) < 0.65)
    days_late = np.where(deliberate, rng.integers(45, 241, m), days_late)
    late |= deliberate
    tod = _time_of_day(rng, m)
    early = np.minimum(rng.geometric(0.3, m) - 1, 12)
    on_time_s = np.maximum((due - early) * DAY_S + tod, earliest_s)
    paid_s = np.where(late, (due + days_late) * DAY_S + tod, on_time_s)
    unpaid = (late & (u < p_unpaid)) | deliberate_unpaid | (paid_s > window.end_s)
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
    return table, bills


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


def _loan_applications(rng: Rng, window: _Window, people: _People, chunk: int) -> pa.Table:
    n, q = people.n, people.q
    years = (window.end_s - people.start_s) / YEAR_S
    borrower = rng.random(n) < _sigmoid(_logit(0.4) + 0.2 * q + 1.0 * people.defaulter)
    rate = rng.gamma(2.0, 0.8, n)  # applications a year, ~1.6 on average
    owner_r, _ = _expand(np.where(borrower, rng.poisson(rate * years), 0))
    ts_r = _times_between(rng, people.start_s[owner_r], np.full(owner_r.size, window.end_s))
    # borrowing spree: 5-15 applications within one month
    owner_s, _ = _expand(np.where(people.spree, rng.integers(5, 16, n), 0))
    ts_s = people.spree_start_s[owner_s] + rng.integers(0, 30 * DAY_S, owner_s.size)
    ts_s = np.clip(ts_s, people.start_s[owner_s], window.end_s)
    owner = np.concatenate([owner_r, owner_s])
    ts = np.concatenate([ts_r, ts_s])
    in_spree = np.arange(owner.size) >= owner_r.size
    product = _categorical(rng, in_spree.astype(np.int64), _LOAN_WEIGHTS)
    amount = _money(
        _lognormal(rng, _LOAN_MEDIAN[product] * np.exp(0.3 * people.q[owner]), 0.7),
        step=100.0,
        minimum=100.0,
    )
    p_approve = _sigmoid(
        0.7
        + 1.4 * q[owner]
        - 2.0 * in_spree
        - 1.5 * people.defaulter[owner]
        - 1.0 * people.risky[owner]
    )
    decision = np.where(rng.random(owner.size) < p_approve, 0, 1)
    recent = ts > window.end_s - 7 * DAY_S
    pending = rng.random(owner.size) < np.where(recent, 0.6, 0.02)
    decision = np.where(pending, 2, decision)
    order = np.lexsort((product, ts, owner))
    return _table(
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


_NEG_SOURCE_FLAT = tuple(prefix for group in _NEG_SOURCES for prefix in group)
_NEG_SOURCE_COUNT = np.array([len(group) for group in _NEG_SOURCES])
_NEG_SOURCE_OFFSET = np.cumsum(_NEG_SOURCE_COUNT) - _NEG_SOURCE_COUNT


def _negative_records(rng: Rng, window: _Window, people: _People, chunk: int) -> pa.Table:
    n, q = people.n, people.q
    p_record = _sigmoid(_logit(0.05) - 1.0 * q + 1.5 * people.defaulter + 0.8 * people.risky)
    has = rng.random(n) < p_record
    owner, _ = _expand(np.where(has, 1 + rng.poisson(0.4, n), 0))
    m = owner.size
    category = _categorical(rng, (q[owner] < -1.0).astype(np.int64), _NEG_WEIGHTS)
    # half are old records from before the window (external sources, may predate registration)
    historical = rng.random(m) < 0.5
    history_lo = min(
        window.end_s - int(NEGATIVE_HISTORY_YEARS * YEAR_S), window.start_s - 365 * DAY_S
    )
    old = _times_between(rng, np.full(m, history_lo), np.full(m, window.start_s - 1))
    new = _times_between(rng, people.start_s[owner], np.full(m, window.end_s))
    occurred = np.where(historical, old, new)
    wants_resolution = rng.random(m) < _NEG_RESOLVE_P[category] + 0.25 * historical
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
    n, q = people.n, people.q
    on_file = rng.random(n) < _sigmoid(_logit(0.5) + 0.5 * q - 0.8 * people.staller)
    p_hold = np.column_stack(
        [
            np.full(n, 0.92),
            _sigmoid(_logit(0.35) + 0.8 * q),
            _sigmoid(_logit(0.12) + 0.9 * q),
            np.where(people.vehicle_verified, 0.85, 0.04),
            np.where(people.employed, 0.80, 0.12),
            np.where(people.employed, 0.55, 0.03),
        ]
    )
    holds = on_file[:, None] & (rng.random((n, len(ASSET_TYPES))) < p_hold)
    owner, kind = (a.astype(np.int64) for a in np.nonzero(holds))
    monthly = rng.random(n) < 0.25  # the rest report quarterly
    base = _lognormal(rng, _ASSET_MEDIAN[kind] * np.exp(_ASSET_Q_SLOPE[kind] * q[owner]), 0.8)
    growth = _ASSET_GROWTH[kind] + 0.004 * q[owner] + rng.normal(0.0, 0.003, owner.size)
    pair, month = _expand(np.full(owner.size, window.n_months, dtype=np.int64))
    as_of = window.month_end_day[month]
    keep = (
        (monthly[owner[pair]] | (window.month_of_year[month] % 3 == 0))
        & (as_of <= window.end_day)
        & (as_of >= people.start_s[owner[pair]] // DAY_S)
    )
    pair, month, as_of = pair[keep], month[keep], as_of[keep]
    value = base[pair] * np.exp(
        growth[pair] * month + _ASSET_NOISE[kind[pair]] * rng.standard_normal(pair.size)
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


def _risk_events(rng: Rng, window: _Window, people: _People, chunk: int) -> pa.Table:
    n = people.n
    owner, _ = _expand(np.where(people.risky, 1 + rng.poisson(0.5, n), 0))
    m = owner.size
    spree = people.spree[owner]
    kind = _categorical(rng, spree.astype(np.int64), _RISK_WEIGHTS)
    near_spree = people.spree_start_s[owner] + rng.integers(0, 60 * DAY_S, m)
    anytime = _times_between(rng, people.start_s[owner], np.full(m, window.end_s))
    ts = np.clip(np.where(spree, near_spree, anytime), people.start_s[owner], window.end_s)
    order = np.lexsort((kind, ts, owner))
    return _table(
        "risk_events",
        {
            "event_id": _int_col(_ids(chunk, m)),
            "user_id": _int_col(people.ids[owner[order]]),
            "event_ts": _ts_col(ts[order]),
            "kind": _str_col(kind[order], RISK_KINDS),
        },
    )


# --------------------------------------------------------------------------------------------
# entry point


def _chunk_tables(
    rng: Rng, window: _Window, draws: _GlobalDraws, ids: IntArray, chunk: int
) -> Iterator[tuple[str, pa.Table]]:
    """The 11 tables of one chunk of users, one at a time (the caller writes each and drops it)."""
    people = _draw_people(rng, window, draws, ids)
    yield "users", _users(rng, people)
    yield "profile_changes", _profile_changes(rng, window, people, chunk)
    yield "transactions", _transactions(rng, window, people, chunk)
    accounts_table, accounts = _credit_accounts(rng, window, people, chunk)
    yield "credit_accounts", accounts_table
    bills_table, bills = _bills(rng, window, people, accounts, chunk)
    yield "bills", bills_table
    del bills_table
    yield "repair_requests", _repair_requests(rng, window, people, bills, chunk)
    del bills
    yield "loan_applications", _loan_applications(rng, window, people, chunk)
    yield "negative_records", _negative_records(rng, window, people, chunk)
    yield "relationships", _relationships(rng, window, people, draws)
    yield "assets", _assets(rng, window, people)
    yield "risk_events", _risk_events(rng, window, people, chunk)


def generate_exports(
    out_dir: Path,
    *,
    users: int,
    months: int = 24,
    seed: int = 0,
    end: datetime.date,
    chunk_users: int = 50_000,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Writes all 11 export tables under out_dir/<table>/part-NNNNN.parquet; returns rows per table.

    Users ``1..users`` are generated in chunks of ``chunk_users``; chunk ``c`` writes
    ``part-{c:05d}.parquet`` in every table directory (existing ``part-*.parquet`` files there are
    removed first) and then calls ``on_progress(number of users in the chunk)``. The same
    (users, months, seed, end, chunk_users) always gives byte-identical files.
    """
    if users < 1:
        raise ValueError("users must be at least 1")
    if months < 1:
        raise ValueError("months must be at least 1")
    if chunk_users < 1:
        raise ValueError("chunk_users must be at least 1")
    if seed < 0:
        raise ValueError("seed must be non-negative")
    out_dir = Path(out_dir)
    window = _window(end, months)
    draws = _GlobalDraws(seed, window, users)
    n_chunks = -(-users // chunk_users)
    for table in TABLES:
        directory = out_dir / table.name
        directory.mkdir(parents=True, exist_ok=True)
        for stale in sorted(directory.glob("part-*.parquet")):
            stale.unlink()
    rows = {table.name: 0 for table in TABLES}
    for chunk, child in enumerate(np.random.SeedSequence(seed).spawn(n_chunks)):
        rng = np.random.default_rng(child)
        ids = np.arange(chunk * chunk_users + 1, min(users, (chunk + 1) * chunk_users) + 1)
        for name, data in _chunk_tables(rng, window, draws, ids.astype(np.int64), chunk):
            path = out_dir / name / f"part-{chunk:05d}.parquet"
            _write(data, path)
            rows[name] += data.num_rows
        if on_progress is not None:
            on_progress(int(ids.size))
    return rows
