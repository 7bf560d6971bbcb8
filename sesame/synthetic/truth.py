"""The ground truth: each user's true probability of going bad in the 12 months after each
month-end (``_truth/user_months``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sesame.synthetic.columns import _date_col, _expand, _float_col, _int_col, _sigmoid
from sesame.synthetic.parameters import (
    BUILDER_DRIFT,
    COMPRESSION,
    EPISODE_MONTHS,
    HAZARD_INTERCEPT,
    HAZARD_SLOPE,
    OUTCOME_MONTHS,
    PD_QUANTUM,
    QUALITY_STEP_SD,
    SHOCK_DROP,
    BoolArray,
    FloatArray,
)
from sesame.synthetic.population import _People, _Window

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
