"""The generated window, the draws made once per user for the whole population, and the
people of one chunk (latent credit quality, bad episodes, monthly event counts)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sesame.dates import add_months
from sesame.synthetic.columns import _expand, _logit, _sigmoid, _times_between
from sesame.synthetic.parameters import (
    BUILDER_DRIFT,
    BUILDER_START_GAP,
    COMMUNITY_SIZE,
    DAY_S,
    EPISODE_MONTHS,
    HAZARD_INTERCEPT,
    HAZARD_SLOPE,
    MONTH_S,
    OUTCOME_MONTHS,
    QUALITY_QUANTUM,
    QUALITY_STEP_SD,
    REGISTRATION_YEARS,
    SHOCK_DROP,
    YEAR_S,
    BoolArray,
    FloatArray,
    IntArray,
    Rng,
)


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
