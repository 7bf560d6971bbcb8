"""The tables of what the users do: transactions, assets, risk_events."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sesame.schema import ASSET_TYPES, RISK_KINDS, TXN_CATEGORIES
from sesame.synthetic.columns import (
    _bool_col,
    _categorical,
    _date_col,
    _expand,
    _float_col,
    _ids,
    _int_col,
    _logit,
    _lognormal,
    _money,
    _sigmoid,
    _str_col,
    _table,
    _time_of_day,
    _times_between,
    _ts_col,
)
from sesame.synthetic.parameters import (
    _ASSET_GROWTH,
    _ASSET_HOLD_P,
    _ASSET_HOLD_SLOPE,
    _ASSET_MEDIAN,
    _ASSET_NOISE,
    _ASSET_W_SLOPE,
    _CAT_REFUND,
    _CAT_SALARY,
    _CAT_SHOPPING,
    _CAT_TRANSFER,
    _RISK_WEIGHTS,
    _TXN_MEDIAN,
    _TXN_SIGMA,
    _TXN_WEIGHTS,
    DAY_S,
    MONTH_S,
    IntArray,
    Rng,
)
from sesame.synthetic.population import _monthly_events, _People, _Window


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
