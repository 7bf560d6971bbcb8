"""The credit tables: credit_accounts, bills, repair_requests, loan_applications,
negative_records."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sesame.schema import NEGATIVE_CATEGORIES, PRODUCTS_BILL, PRODUCTS_CREDIT, REPAIR_REASONS
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
    _CREDIT_BASE_P,
    _CREDIT_BILL_SHARE,
    _CREDIT_LIMIT_MEDIAN,
    _CREDIT_Q_SLOPE,
    _CREDIT_USE_P,
    _DECISIONS,
    _INSTALLMENT_TERMS,
    _LIVING_MEDIAN,
    _LIVING_P,
    _LIVING_SIGMA_MONTH,
    _LIVING_SIGMA_USER,
    _LOAN_MEDIAN,
    _LOAN_PRODUCTS,
    _LOAN_WEIGHTS,
    _NEG_AMOUNT_MEDIAN,
    _NEG_AMOUNT_NULL_P,
    _NEG_OLD_RATE,
    _NEG_Q_SLOPE,
    _NEG_RATE,
    _NEG_RESOLVE_MEAN_DAYS,
    _NEG_RESOLVE_P,
    _NEG_SOURCES,
    _REPAIR_WEIGHTS,
    DAY_S,
    EPISODE_LATE_MIN_DAYS,
    MILD_LATE_MAX_DAYS,
    MONTH_S,
    NEGATIVE_HISTORY_YEARS,
    YEAR_S,
    BoolArray,
    FloatArray,
    IntArray,
    Rng,
)
from sesame.synthetic.population import _monthly_events, _People, _Window


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
