"""The generator's parameters: the world's constants, the per-table rates and shapes, and
the array types the modules share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from sesame.schema import TXN_CATEGORIES, ColumnType

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
