"""The tables of who the users are: users, profile_changes, relationships."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sesame.schema import EDUCATION_LEVELS, PROFILE_FIELDS
from sesame.synthetic.columns import (
    _bool_col,
    _categorical,
    _expand,
    _ids,
    _int_col,
    _str_col,
    _table,
    _ts_col,
)
from sesame.synthetic.parameters import COMMUNITY_SIZE, BoolArray, Rng
from sesame.synthetic.population import _GlobalDraws, _monthly_events, _People, _Window


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
