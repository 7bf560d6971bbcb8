"""`sesame fit`: a scorecard fitted to outcomes (contract section 5), written as a card TOML.

Only the ``fit`` command and tests import this module: the nightly never does, so optbinning,
scikit-learn and pandas (the optional extra ``fit``) are imported inside the functions here.

The fit, in order:

1. **reading**: the warehouse read-only; ``dimension_aggregates`` of the scorable users at the
   development date S1 and the out-of-time date S2, joined with their outcomes
   (``sesame.outcomes``); indeterminates are left out. Refused when a date has no snapshot or its
   12-month performance window is not closed on the latest staged bill's due date.
2. **binning** (optbinning ``BinningProcess``): each characteristic's bad rate is monotone in the
   contract's required direction (``sesame.transforms.directions``; unconstrained ones are
   given the trend a lender expects, longer history and more activity being safer). A small
   ``min_prebin_size`` keeps rare derogatory facts apart, and for rare count facts the split
   between "none" and "one or more" is fixed.
3. **regression** (``Scorecard`` with a logistic regression on the WoE). A characteristic with an
   IV below ``MIN_IV``, or whose coefficient would turn its points against its direction, gets no
   points (one flat bin of 0), unless the contract requires it to move the score strictly: then
   the fit is refused, naming it.
4. **scaling**: ``pdo_odds``: ``odds`` good:bad at ``score`` points, doubling every ``pdo``
   points; each characteristic's worst points are moved to 0 and the sum of the moved points is
   the base, so the score is unchanged and sub-scores stay 0..100. The possible range must lie
   inside 350..950.
5. **calibration**: a logistic regression of bad on the card's score over every good and bad
   user at S2 (the latest closed window).
6. **checks**: the required directions (``check_directions``), then the written card is loaded
   back with ``load_scorecard`` and must give the same scores.

Deterministic: sorted inputs, fixed seeds, no timestamps; the same warehouse gives the same file.
"""

from __future__ import annotations

import hashlib
import logging
import math
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl

from sesame import rules
from sesame.errors import SesameError
from sesame.sqlmodels import relation, run_script
from sesame.transforms.directions import (
    DIRECTIONS,
    LOWER_STRICT,
    UNCONSTRAINED,
    Direction,
    check_directions,
)
from sesame.transforms.scorecard import (
    DIMENSIONS,
    HAND_SET_SCORECARD,
    Bin,
    Characteristic,
    load_scorecard,
)

log = logging.getLogger("sesame")

# ---------------------------------------------------------------------------- tunables
# Scaling: 20:1 good:bad odds (4.8% bad) at 650, the `very_good` threshold, odds doubling every
# `pdo` points: the widest of PDO_LADDER whose possible range (every characteristic at its worst,
# or at its best) stays inside 350..950. With 30, each tier band means odds: 550 ~ 2:1, 600 ~ 6.3:1
# (14% bad), 650 20:1 (4.8%), 700 63:1 (1.6%), 750 200:1 (0.5%); a population's odds are about
# 20:1, so its middle sits near 650. A narrower pdo keeps the anchor and squeezes the bands.
PDO_LADDER = (30.0, 25.0, 20.0, 15.0)
ODDS = 20.0
ODDS_SCORE = 650.0
SCORE_MIN, SCORE_MAX = rules.SCORE_MIN, rules.SCORE_MAX  # the contract's score range
# IV below which a characteristic carries no usable risk (the usual 0.02 "not predictive" line).
MIN_IV = 0.02
# Smallest prebin as a share of the dev sample: optbinning's default 0.05 merges rare
# derogatory facts (deliberate defaults, legal records, violations) into one bin; 0.002 keeps them.
MIN_PREBIN_SIZE = 0.002
# Rare count facts: fixed split between none and one, optional splits at 2 and 3.
RARE_FACT_SPLITS = [0.5, 1.5, 2.5]
RARE_FACTS = (
    "deliberate_defaults",
    "negative_legal_records",
    "negative_financial_records",
    "negative_life_records",
    "risk_events",
)
# The contract's twin comparisons (section 3) as values at which a strict characteristic's points
# must step, strictly, in the required direction: none against one overdue, deliberate default,
# record, violation or change; one deliberate default against two (a second one is worse than
# an ordinary overdue of the same length); a year and two years past due (the longer overdue,
# the lower); one repaid credit bill or living payment month against none; a complete profile
# against one item short; every receipt confirmed against not. A fitted card whose monotone
# bins leave such a step flat (or have no edge there) gets the edge and the smallest step, one
# point, on the better side (``_with_contract_steps``); the card's `why` says so.
CONTRACT_STEPS: dict[str, tuple[float, ...]] = {
    "overdue_bills": (1.0,),
    "weighted_overdue_days": (1.0, 366.0, 731.0),
    "deliberate_defaults": (1.0, 2.0),
    "negative_legal_records": (1.0,),
    "negative_financial_records": (1.0,),
    "negative_life_records": (1.0,),
    "risk_events": (1.0,),
    "phone_changes": (1.0,),
    "address_changes": (1.0,),
    "credit_repaid_bills": (1.0,),
    "living_payment_months": (1.0,),
    "profile_items": (7.0,),
    "receipt_confirmed_share": (1.0,),
}
# Trend of the bad rate chosen for the characteristics the contract does not constrain.
UNCONSTRAINED_TREND = {"history_months": "descending", "active_months": "descending"}
# The logistic regression: L2 with sklearn's default strength, a fixed solver and seed.
REGRESSION = {"C": 1.0, "solver": "lbfgs", "max_iter": 1000, "random_state": 0}
MODEL_VERSION = "scorecard-v2"

ProgressCallback = Callable[[str], None]


@dataclass(frozen=True)
class FitResult:
    """What ``fit_scorecard`` wrote and measured."""

    path: Path
    model_version: str
    dev_snapshot: date
    oot_snapshot: date
    dev_users: int  # good + bad users at S1 (indeterminates left out)
    dev_bads: int
    oot_users: int
    oot_bads: int
    dev_gini: float
    oot_gini: float
    baseline_oot_gini: float  # a default optbinning scorecard on the same characteristics
    trees_oot_gini: float  # gradient-boosted trees on the same characteristics, unconstrained
    iv: dict[str, float]  # by characteristic, on the dev sample, card order
    kept: tuple[str, ...]  # the characteristics that carry points
    base_points: int
    min_score: int
    max_score: int
    scaling: dict[str, Any]  # method, pdo, odds, score
    calibration: tuple[float, float]  # intercept, slope of P(bad) on the score
    data_fingerprint: str
    seconds: float


class FitError(SesameError):
    """A fit that cannot give a valid card: says what and why."""

    exit_code = 6


@dataclass(frozen=True)
class _Sample:
    features: pl.DataFrame  # user_id + the characteristics, by user_id
    bad: np.ndarray  # 1 bad, 0 good


def _progress(on_progress: ProgressCallback | None, message: str) -> None:
    if on_progress is not None:
        on_progress(message)
    else:
        log.info("%s", message)


# ---------------------------------------------------------------------------- reading


def _read_sample(
    con: duckdb.DuckDBPyConnection,
    snapshot_date: date,
    names: list[str],
    latest: date,
    *,
    exposed_only: bool = False,
) -> _Sample:
    """The scorable users at ``snapshot_date`` with a good or bad outcome, by user_id.
    ``exposed_only``: only the users with a credit bill due in the outcome window. A user without
    one is good by the contract's definition, but only because nothing could go wrong: learning
    from them would reward having no credit (their bad rate is the lowest of all), against the
    contract's "strictly higher for the user who uses and repays huabei or jiebei". The
    development sample is the exposed users; the out-of-time check takes everyone, as
    ``sesame validate`` does."""
    from sesame.dates import previous_month_end
    from sesame.outcomes import materialize_outcomes, performance_end

    label = f"snapshot {snapshot_date}"
    end = performance_end(snapshot_date)
    if end > latest:
        raise FitError(
            f"{label}: its 12-month performance window is not closed: it ends {end}, and the "
            f"latest staged bill falls due {latest}; choose an earlier date (at most 12 months "
            "before the exports' end)"
        )
    users = relation(con, "fitting/scorable_users", {"snapshot_date": snapshot_date})
    scorable = users.fetchall()[0][0]
    if not scorable:
        raise FitError(
            f"{label}: the warehouse has no scored users at {snapshot_date}: run "
            f"`sesame backfill --start {snapshot_date} --end {snapshot_date}` first"
        )
    earlier = relation(
        con, "database/latest_snapshot_before", {"snapshot_date": snapshot_date}
    ).fetchall()[0][0]
    if earlier is None:  # friends' published scores are read from the dates before
        before = previous_month_end(snapshot_date)
        raise FitError(
            f"{label} is the warehouse's first snapshot: no friend has a published score "
            "before it, so friends_mean_score is null for every user there and the fit would "
            f"learn a card without it; backfill from a month-end earlier (`sesame backfill "
            f"--start {before} --end {snapshot_date}`)"
        )
    outcomes = materialize_outcomes(con, snapshot_date)
    columns = ", ".join(f"features.{name}" for name in names)
    frame = con.sql(
        f"select features.user_id, {columns}, outcomes.outcome "
        f"from dimension_aggregates as features inner join {outcomes} as outcomes "
        "on features.user_id = outcomes.user_id "
        "where features.snapshot_date = $snapshot_date and features.is_scorable "
        "and outcomes.outcome in ('good', 'bad') "
        "and (outcomes.has_credit_bill_due or not $exposed_only) order by features.user_id",
        params={"snapshot_date": snapshot_date, "exposed_only": exposed_only},
    ).pl()
    con.execute(f"drop table if exists temp.main.{outcomes}")
    bad = (frame["outcome"] == "bad").cast(pl.Int8).to_numpy()
    if bad.sum() == 0 or bad.sum() == len(bad):
        raise FitError(f"{label}: {len(bad)} users, {int(bad.sum())} bad: nothing to fit")
    return _Sample(frame.drop("outcome"), bad)


def _fingerprint(dev: _Sample, oot: _Sample, dev_date: date, oot_date: date) -> str:
    """sha256 of the training rows (sample, user_id, characteristics, bad), by sample, user_id."""
    digest = hashlib.sha256()
    for tag, sample in ((f"dev {dev_date}", dev), (f"oot {oot_date}", oot)):
        frame = sample.features.with_columns(pl.Series("bad", sample.bad))
        digest.update(tag.encode())
        digest.update(frame.write_csv(float_precision=10).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------------------- binning


def _rare_splits(values: np.ndarray, bad: np.ndarray) -> list[float]:
    """The splits of ``RARE_FACT_SPLITS`` that leave no pure prebin (all good or all bad, which
    optbinning refuses to fix): a pure bin merges into the one below it."""
    splits = list(RARE_FACT_SPLITS)
    while splits:
        edges = [-math.inf, *splits, math.inf]
        pure = [
            k
            for k in range(1, len(edges) - 1)
            if (inside := bad[(values >= edges[k]) & (values < edges[k + 1])]).size == 0
            or inside.min() == inside.max()
        ]
        if not pure:
            return splits
        splits.pop(pure[-1] - 1)
    return splits


def _binning_params(
    name: str,
    direction: Direction,
    values: np.ndarray | None = None,
    bad: np.ndarray | None = None,
) -> dict[str, Any]:
    """optbinning's parameters for one characteristic (the event is bad); for a rare fact, the
    fixed split between none and one or more (checked against ``values`` and ``bad``)."""
    if direction.rising is None:
        trend = UNCONSTRAINED_TREND.get(name, "auto_asc_desc")
    else:  # points rise with the value <=> the bad rate falls with it
        trend = "descending" if direction.rising else "ascending"
    params: dict[str, Any] = {"monotonic_trend": trend, "min_prebin_size": MIN_PREBIN_SIZE}
    if name in RARE_FACTS:
        splits = list(RARE_FACT_SPLITS)
        if values is not None and bad is not None:
            splits = _rare_splits(values, bad)
        if splits:
            params["user_splits"] = splits
            params["user_splits_fixed"] = [True] + [False] * (len(splits) - 1)
    return params


def _direction(name: str) -> Direction:
    return DIRECTIONS.get(name, Direction(UNCONSTRAINED, "not in sesame.transforms.directions"))


# ---------------------------------------------------------------------------- the card


def _points_table(scorecard: Any) -> dict[str, dict[str, Any]]:
    """By characteristic: the points of its regular bins (in order) and of its missing bin."""
    table = scorecard.table(style="detailed")
    result: dict[str, dict[str, Any]] = {}
    for name, rows in table.groupby("Variable", sort=False):
        regular = rows[~rows["Bin"].isin(["Special", "Missing"])]
        missing = rows[rows["Bin"] == "Missing"]
        result[str(name)] = {
            "points": [float(p) for p in regular["Points"]],
            "missing": float(missing["Points"].iloc[0]) if len(missing) else None,
        }
    return result


@dataclass(frozen=True)
class _OneCharacteristic:
    """A card of some characteristics, enough for ``check_directions``."""

    characteristics: tuple[Characteristic, ...]


def _fitted(
    entry: Characteristic, scorecard: Any, points: dict[str, dict[str, Any]], integer: bool
) -> tuple[Characteristic, float]:
    """One characteristic's fitted bins with its worst points moved to 0, and those worst
    points (they go to the base)."""
    name = entry.name
    first = entry.bins[0].lower
    optb = scorecard.binning_process_.get_binned_variable(name)
    splits = [_edge(s, integer) for s in optb.splits]
    edges = [first, *(s for s in splits if s > first), math.inf]
    by_bin = points[name]["points"][-(len(edges) - 1) :]
    fitted_missing = points[name]["missing"]
    candidates = list(by_bin)
    if entry.missing is not None and fitted_missing is not None:
        candidates.append(fitted_missing)
    worst = min(candidates)
    bins = tuple(
        Bin(low, high, p - worst, p - worst)
        for low, high, p in zip(edges[:-1], edges[1:], by_bin, strict=True)
    )
    missing = None
    if entry.missing is not None:
        missing = fitted_missing - worst if fitted_missing is not None else 0.0
    return replace(entry, bins=bins, missing=missing), worst


def _edge(split: float, integer: bool) -> float:
    """A split as a card bin edge: for a whole-number feature, x < 1.5 is x < 2."""
    return float(math.ceil(split)) if integer else float(split)


def _number(value: float) -> str:
    if math.isinf(value):
        return "inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        return _string(value)
    raise TypeError(value)


# ---------------------------------------------------------------------------- the fit


class _RangeError(FitError):
    """The fitted card's possible scores leave 350..950 at this pdo."""


def fit_scorecard(
    database: Path,
    dev: date,
    oot: date,
    out: Path,
    *,
    base_card: Path = HAND_SET_SCORECARD,
    on_progress: ProgressCallback | None = None,
    model_version: str = MODEL_VERSION,
    pdo: float | None = None,
    odds: float = ODDS,
    odds_score: float = ODDS_SCORE,
    contract_floor: float | None = None,
) -> FitResult:
    """Fits a card to the outcomes of ``dev`` (S1), checks it on ``oot`` (S2), writes ``out``.

    ``pdo``: the points that double the odds; by default the widest of ``PDO_LADDER`` whose
    possible scores fit 350..950 (the odds anchor stays: ``odds``:1 at ``odds_score``).
    See ``_fit_once`` for the rest."""
    choices = [pdo] if pdo is not None else list(PDO_LADDER)
    for number, candidate in enumerate(choices):
        try:
            return _fit_once(
                database,
                dev,
                oot,
                out,
                base_card=base_card,
                on_progress=on_progress,
                model_version=model_version,
                pdo=candidate,
                odds=odds,
                odds_score=odds_score,
                contract_floor=contract_floor,
            )
        except _RangeError as error:
            if number == len(choices) - 1:
                raise
            _progress(on_progress, f"{error}; trying pdo {choices[number + 1]:g}")
    raise AssertionError("unreachable")


def _fit_once(
    database: Path,
    dev: date,
    oot: date,
    out: Path,
    *,
    base_card: Path,
    on_progress: ProgressCallback | None,
    model_version: str,
    pdo: float,
    odds: float,
    odds_score: float,
    contract_floor: float | None,
) -> FitResult:
    """Fits a card to the outcomes of ``dev`` (S1), checks it on ``oot`` (S2), writes ``out``.

    A characteristic the contract requires to move the score strictly, which the data cannot
    support (one bin, or no risk left in the regression), refuses the fit, naming it; unless
    ``contract_floor`` is given: then it gets that many points for the contract's comparison
    (see ``_floor_bins``), outside the regression, and the card says so.
    """
    started = time.perf_counter()
    if oot <= dev:
        raise FitError(f"the out-of-time date {oot} must come after the development date {dev}")
    base = load_scorecard(base_card)
    with base_card.open("rb") as handle:
        base_data = tomllib.load(handle)
    names = [c.name for c in base.characteristics]
    if not database.exists():
        raise FitError(f"no warehouse at {database}: run `sesame nightly` or `backfill` first")

    _progress(on_progress, f"reading {database} (read-only): S1 {dev}, S2 {oot}")
    con = duckdb.connect(str(database), read_only=True)
    try:
        run_script(con, "ddl/macros")
        latest = relation(con, "fitting/latest_due_date").fetchall()[0][0]
        if latest is None:
            raise FitError(f"{database} has no staged bills: there are no outcomes to fit")
        dev_sample = _read_sample(con, dev, names, latest, exposed_only=True)
        dev_everyone = _read_sample(con, dev, names, latest)
        oot_sample = _read_sample(con, oot, names, latest)
        integers = {row[0] for row in relation(con, "fitting/integer_aggregates").fetchall()}
    finally:
        con.close()
    _progress(
        on_progress,
        f"read S1 {dev}: {len(dev_sample.bad):,} users, {int(dev_sample.bad.sum()):,} bad; "
        f"S2 {oot}: {len(oot_sample.bad):,} users, {int(oot_sample.bad.sum()):,} bad",
    )
    fingerprint = _fingerprint(dev_sample, oot_sample, dev, oot)

    import sklearn
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    x_dev = dev_sample.features.select(names).to_pandas()
    params = {
        name: _binning_params(
            name, _direction(name), x_dev[name].to_numpy(dtype=float), dev_sample.bad
        )
        for name in names
    }

    # ---- binning: every characteristic, for its IV
    binning = BinningProcess(
        names, min_prebin_size=MIN_PREBIN_SIZE, binning_fit_params=params, n_jobs=1
    )
    binning.fit(x_dev, dev_sample.bad)
    iv: dict[str, float] = {}
    for name in names:
        optb = binning.get_binned_variable(name)
        table = optb.binning_table
        table.build()
        iv[name] = float(table.iv)
        _progress(
            on_progress,
            f"binning {name}: {len(optb.splits) + 1} bins, IV {iv[name]:.4f} "
            f"({params[name]['monotonic_trend']}, {optb.status})",
        )
        if optb.status not in ("OPTIMAL", "FEASIBLE") and _direction(name).strict:
            raise FitError(
                f"{name}: the data cannot support its required direction "
                f"({_direction(name).kind}): optbinning found no monotone binning ({optb.status})"
            )

    # ---- regression: drop what carries no risk or points against its direction, refit
    kept = [n for n in names if iv[n] >= MIN_IV or _direction(n).strict]
    unsupported = {n: f"IV {iv[n]:.4f}, one bin" for n in kept if iv[n] <= 0}
    kept = [n for n in kept if n not in unsupported]
    scaling = {"pdo": pdo, "odds": odds, "scorecard_points": odds_score}
    while True:
        _progress(on_progress, f"regression: logistic on the WoE of {len(kept)} characteristics")
        scorecard = Scorecard(
            binning_process=BinningProcess(
                kept,
                min_prebin_size=MIN_PREBIN_SIZE,
                binning_fit_params={n: params[n] for n in kept},
                n_jobs=1,
            ),
            estimator=LogisticRegression(**REGRESSION),
            scaling_method="pdo_odds",
            scaling_method_params=scaling,
            rounding=True,
        )
        scorecard.fit(dev_sample.features.select(kept).to_pandas(), dev_sample.bad)
        coefficients = dict(zip(kept, scorecard.estimator_.coef_[0], strict=True))
        # optbinning's WoE is high for a low bad rate: a risk-carrying coefficient is negative
        against = [n for n in kept if coefficients[n] >= 0]
        for name in against:
            if _direction(name).strict:
                unsupported[name] = (
                    f"IV {iv[name]:.4f}, regression coefficient {coefficients[name]:+.4f}: "
                    "no risk left once the other characteristics are known"
                )
        if not against:
            break
        _progress(on_progress, f"regression: dropping {', '.join(against)} (no risk left)")
        kept = [n for n in kept if n not in against]
    # a strict characteristic whose whole points do not move as the contract requires
    points = _points_table(scorecard)
    for name in kept:
        direction = _direction(name)
        if direction.strict:
            trial = _fitted(base.characteristic(name), scorecard, points, name in integers)[0]
            stepped, _ = _with_contract_steps(trial, direction)
            trial = replace(trial, bins=stepped)
            try:
                check_directions(_OneCharacteristic((trial,)))
            except ValueError as error:
                unsupported[name] = f"IV {iv[name]:.4f}, its whole points: {error}"
    regressed = list(kept)  # in the regression: their constant part stays in the base
    kept = [n for n in kept if n not in unsupported]
    if unsupported and contract_floor is None:
        raise FitError(
            "the data cannot support characteristics the contract requires to move the score: "
            + "; ".join(
                f"{n} ({why}; required: {_direction(n).contract})" for n, why in unsupported.items()
            )
            + " (a fit may give them a fixed floor of points instead: --contract-floor POINTS)"
        )
    if unsupported:
        _progress(
            on_progress,
            f"regression: {', '.join(unsupported)}: no support in the data, "
            f"{contract_floor:g} points each by the contract floor",
        )

    # ---- scaling: bins and points as a card; worst points 0, the rest in the base
    _progress(
        on_progress,
        f"scaling: pdo_odds, {odds:g}:1 good:bad at {odds_score:g}, doubling every {pdo:g} points",
    )
    characteristics: list[Characteristic] = []
    contract_steps: dict[str, list[str]] = {}
    base_points = 0.0
    for entry in base.characteristics:
        name = entry.name
        first = entry.bins[0].lower
        has_missing = entry.missing is not None
        bins: tuple[Bin, ...]
        missing: float | None
        if name in unsupported:
            assert contract_floor is not None
            bins, missing = _floor_bins(entry, _direction(name), contract_floor)
            if name in regressed:
                base_points += _fitted(entry, scorecard, points, name in integers)[1]
        elif name not in kept:
            bins = (Bin(first, math.inf, 0.0, 0.0),)
            missing = 0.0 if has_missing else None
        else:
            fitted, worst = _fitted(entry, scorecard, points, name in integers)
            bins, steps = _with_contract_steps(fitted, _direction(name))
            missing = fitted.missing
            if steps:
                contract_steps[name] = steps
                _progress(on_progress, f"contract steps: {name} {', '.join(steps)} point(s)")
            base_points += worst
        characteristics.append(replace(entry, bins=bins, missing=missing))
    min_score = round(base_points)
    max_score = round(base_points + sum(c.best_points for c in characteristics))
    if min_score < SCORE_MIN or max_score > SCORE_MAX:
        raise _RangeError(
            f"the fitted card's possible scores run {min_score}..{max_score}, outside "
            f"{SCORE_MIN}..{SCORE_MAX}: choose a smaller pdo than {pdo:g} or other odds"
        )
    for dimension in DIMENSIONS:
        if not any(c.best_points > 0 for c in characteristics if c.dimension == dimension):
            raise FitError(f"dimension {dimension} carries no points: its sub-score is undefined")

    def card_scores(frame: pl.DataFrame) -> np.ndarray:
        total = pl.sum_horizontal(c.points_expr() for c in characteristics)
        return frame.select((total + base_points).alias("score"))["score"].to_numpy()

    from sesame.transforms.validation import ranking

    dev_scores, oot_scores = card_scores(dev_sample.features), card_scores(oot_sample.features)
    dev_gini = float(ranking(dev_scores, dev_sample.bad).gini or 0.0)
    oot_gini = float(ranking(oot_scores, oot_sample.bad).gini or 0.0)
    _progress(
        on_progress,
        f"scaling: scores {min_score}..{max_score}; Gini S1 {dev_gini:.4f}, S2 {oot_gini:.4f}",
    )
    baseline_oot_gini = _baseline_gini(dev_everyone, oot_sample, names)
    _progress(
        on_progress,
        f"baseline: a default optbinning scorecard on the same characteristics, Gini S2 "
        f"{baseline_oot_gini:.4f}",
    )
    trees_oot_gini = _trees_gini(dev_everyone, oot_sample, names)
    _progress(
        on_progress,
        f"trees: gradient boosting on the same characteristics, Gini S2 {trees_oot_gini:.4f}",
    )

    # ---- calibration: P(bad) on the score (score centred for the solver)
    # on every good and bad user at S2 (exposed or not): the latest closed window, and the
    # population the card scores and `sesame validate` measures, so the predicted bad rate is
    # the rate a band shows out of time (a drifting population makes S1's rates stale)
    _progress(on_progress, "calibration: logistic regression of bad on the score (S2, everyone)")
    centred = ((oot_scores - odds_score) / 100.0).reshape(-1, 1)
    calibrated = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000, random_state=0)
    calibrated.fit(centred, oot_sample.bad)
    slope = float(calibrated.coef_[0][0]) / 100.0
    intercept = float(calibrated.intercept_[0]) - slope * odds_score

    mean_points = {
        c.name: float(dev_sample.features.select(c.points_expr().mean())[0, 0])
        for c in characteristics
    }
    versions = {
        package: metadata.version(package)
        for package in ("optbinning", "scikit-learn", "pandas", "numpy", "polars", "duckdb")
    }
    assert versions["scikit-learn"] == sklearn.__version__
    text = _card_text(
        base_data=base_data,
        base_card=base_card,
        model_version=model_version,
        base_points=base_points,
        characteristics=characteristics,
        kept=kept,
        unsupported=unsupported,
        contract_floor=contract_floor,
        params=params,
        iv=iv,
        mean_points=mean_points,
        contract_steps=contract_steps,
        scaling={"method": "pdo_odds", "pdo": pdo, "odds": odds, "score": odds_score},
        calibration=(intercept, slope),
        metadata={
            "bad_definition": rules.BAD_DEFINITION,
            "dev_snapshot": dev.isoformat(),
            "oot_snapshot": oot.isoformat(),
            "data_fingerprint": fingerprint,
            "dev_users": len(dev_sample.bad),
            "dev_bads": int(dev_sample.bad.sum()),
            "oot_users": len(oot_sample.bad),
            "oot_bads": int(oot_sample.bad.sum()),
            "dev_gini": round(dev_gini, 6),
            "oot_gini": round(oot_gini, 6),
            "baseline_oot_gini": round(baseline_oot_gini, 6),
            "trees_oot_gini": round(trees_oot_gini, 6),
            "fitted_with": ", ".join(f"{k} {v}" for k, v in versions.items()),
            "base_card": base_card.name,
        },
        min_score=min_score,
        max_score=max_score,
    )

    # ---- checks: directions, then the written card must load and give the same scores
    _progress(on_progress, "checks: required directions, loading the card back")
    with tempfile.TemporaryDirectory() as scratch:
        candidate = Path(scratch) / out.name
        candidate.write_text(text)
        try:  # load_scorecard checks the required directions too
            card = load_scorecard(candidate)
            check_directions(card)
        except ValueError as error:
            raise FitError(f"the fitted card breaks a required direction: {error}") from None
        reloaded = pl.sum_horizontal(c.points_expr() for c in card.characteristics)
        again = dev_sample.features.select((reloaded + card.base_points).alias("s"))["s"]
        if not np.array_equal(again.to_numpy(), dev_scores):
            raise FitError("the written card does not give the scores the fit computed")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    _progress(on_progress, f"written {out} ({model_version})")
    return FitResult(
        path=out,
        model_version=model_version,
        dev_snapshot=dev,
        oot_snapshot=oot,
        dev_users=len(dev_sample.bad),
        dev_bads=int(dev_sample.bad.sum()),
        oot_users=len(oot_sample.bad),
        oot_bads=int(oot_sample.bad.sum()),
        dev_gini=dev_gini,
        oot_gini=oot_gini,
        baseline_oot_gini=baseline_oot_gini,
        trees_oot_gini=trees_oot_gini,
        iv=iv,
        kept=tuple(kept),
        base_points=round(base_points),
        min_score=min_score,
        max_score=max_score,
        scaling={"method": "pdo_odds", "pdo": pdo, "odds": odds, "score": odds_score},
        calibration=(intercept, slope),
        data_fingerprint=fingerprint,
        seconds=time.perf_counter() - started,
    )


def _baseline_gini(dev: _Sample, oot: _Sample, names: list[str]) -> float:
    """The out-of-time Gini of a plain optbinning scorecard: every setting at its default
    (binning, logistic regression), fitted on every good and bad user at S1: what the fitted
    card is measured against."""
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    from sesame.transforms.validation import ranking

    plain = Scorecard(binning_process=BinningProcess(names), estimator=LogisticRegression())
    plain.fit(dev.features.select(names).to_pandas(), dev.bad)
    risk = plain.predict_proba(oot.features.select(names).to_pandas())[:, 1]
    return float(ranking(-risk, oot.bad).gini or 0.0)


def _trees_gini(dev: _Sample, oot: _Sample, names: list[str]) -> float:
    """The out-of-time Gini of an unconstrained model on the same characteristics and samples as
    the baseline: gradient-boosted trees, free of bins, directions and additivity. It is not a
    card anyone could publish; it tells a gap that the card's form costs (the card well below
    the trees) from a gap in what the characteristics carry (both below the oracle alike).
    Fixed settings and no early stopping: the same data gives the same figure."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from sesame.transforms.validation import ranking

    trees = HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=300, min_samples_leaf=50, early_stopping=False, random_state=0
    )
    trees.fit(dev.features.select(names).to_numpy(), dev.bad)
    risk = trees.predict_proba(oot.features.select(names).to_numpy())[:, 1]
    return float(ranking(-risk, oot.bad).gini or 0.0)


def _with_contract_steps(
    entry: Characteristic, direction: Direction
) -> tuple[tuple[Bin, ...], list[str]]:
    """``entry``'s bins with an edge at each of its ``CONTRACT_STEPS`` and, where the points do
    not step there strictly in the required direction, the smallest step that makes them: the
    bins on the better side raised by the same whole points (so the order of every other bin
    is kept and the worst stays 0). Returns the bins and a note per step added."""
    bins = list(entry.bins)
    notes: list[str] = []
    rising = direction.rising
    if rising is None:
        return tuple(bins), notes
    for edge in CONTRACT_STEPS.get(entry.name, ()):
        index = next((i for i, b in enumerate(bins) if b.lower < edge < b.upper), None)
        if index is not None:  # no edge there: split the bin in two, same points
            current = bins[index]
            bins[index : index + 1] = [
                Bin(current.lower, edge, current.points_at_lower, current.points_at_lower),
                Bin(edge, current.upper, current.points_at_lower, current.points_at_lower),
            ]
        upper = next(i for i, b in enumerate(bins) if b.lower == edge)  # the bin from the edge
        below, above = bins[upper - 1].points_at_lower, bins[upper].points_at_lower
        margin = (above - below) if rising else (below - above)  # the better side's lead
        if margin < 1:
            raise_by = 1 - margin
            better = range(upper, len(bins)) if rising else range(upper)
            for i in better:
                b = bins[i]
                bins[i] = Bin(
                    b.lower, b.upper, b.points_at_lower + raise_by, b.points_at_upper + raise_by
                )
            notes.append(f"+{raise_by:g} at {edge:g}")
    return tuple(bins), notes


def _floor_bins(
    entry: Characteristic, direction: Direction, floor: float
) -> tuple[tuple[Bin, ...], float | None]:
    """Two flat bins for a strict characteristic the data cannot support: ``floor`` points on
    the better side of the contract's comparison (its ``step``, else the base card's first bin
    edge), 0 on the other; a null value scores 0 (the worse side, no evidence)."""
    first = entry.bins[0].lower
    edge = max(direction.step) if direction.step is not None else entry.bins[1].lower
    better_low = direction.kind == LOWER_STRICT
    bins = (
        Bin(first, edge, floor if better_low else 0.0, floor if better_low else 0.0),
        Bin(edge, math.inf, 0.0 if better_low else floor, 0.0 if better_low else floor),
    )
    return bins, (0.0 if entry.missing is not None else None)


def _why(name: str, kept: bool, iv: float, trend: str, direction: Direction) -> str:
    trend_words = {
        "ascending": "the bad rate rises with the value",
        "descending": "the bad rate falls as the value rises",
    }.get(trend, trend)
    if not kept:
        return (
            f"Fitted: IV {iv:.4f} on the development sample, below {MIN_IV:g} (or no risk left "
            f"once the other characteristics are known), so it carries no points; the contract "
            f"requires: {direction.kind}."
        )
    chosen = (
        " (a trend chosen by the fit: the contract does not constrain it)"
        if direction.rising is None
        else f" (the contract requires: {direction.kind})"
    )
    return f"Fitted: IV {iv:.4f} on the development sample; binned so that {trend_words}{chosen}."


def _card_text(
    *,
    base_data: dict[str, Any],
    base_card: Path,
    model_version: str,
    base_points: float,
    characteristics: list[Characteristic],
    kept: list[str],
    unsupported: dict[str, str],
    contract_floor: float | None,
    params: dict[str, dict[str, Any]],
    iv: dict[str, float],
    mean_points: dict[str, float],
    contract_steps: dict[str, list[str]],
    scaling: dict[str, Any],
    calibration: tuple[float, float],
    metadata: dict[str, Any],
    min_score: int,
    max_score: int,
) -> str:
    """The card as TOML in the form of scorecard_v1.toml, plus the fit's own tables."""
    pdo, odds, score = scaling["pdo"], scaling["odds"], scaling["score"]
    lines = [
        f"# The sesame scorecard, {model_version}: fitted to outcomes by `sesame fit` "
        "(sesame/fitting.py).",
        "#",
        "# score = base_points + the sum of every characteristic's points, so it always equals "
        "the sum of its",
        "# parts. Each characteristic scores from 0 (worst) to its best bin's points; "
        f"possible scores run {min_score}..{max_score}.",
        "# A dimension's sub-score is 100 x its points / its best attainable points.",
        "#",
        "# Fitted with optbinning: monotone bins of each characteristic's bad rate in the "
        "contract's required",
        "# direction (sesame/transforms/directions.py), a logistic regression on their weights "
        "of evidence, and",
        f"# points scaled so that {score:g} means {odds:g}:1 good:bad odds and every {pdo:g} "
        "points double the odds",
        "# ([scaling]). A characteristic without risk in the data (IV below "
        f"{MIN_IV:g}) has one flat bin of 0 points.",
        "# `iv` is its information value and `mean_points` its mean points on the development "
        "sample.",
        "# [calibration]: P(bad) = 1 / (1 + exp(-(intercept + slope * score))), fitted on every "
        "good and bad user at S2.",
        "# [metadata] records how the card was made (contract section 5). Bins are half-open "
        "[lower, upper);",
        "# the last is open-ended; `missing` is the points for a null value. Do not edit by hand: "
        "refit.",
        "",
        f"model_version = {_string(model_version)}",
        f"base_points = {_number(base_points)}",
        "",
    ]
    if "parameters" in base_data:
        lines.append(f"# The feature windows, as in {base_card.name}.")
        lines.append("[parameters]")
        for key, value in base_data["parameters"].items():
            lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    lines += [
        "[scaling]",
        'method = "pdo_odds"',
        f"pdo = {_number(pdo)}",
        f"odds = {_number(odds)}",
        f"score = {_number(score)}",
        "",
        "[calibration]",
        f"intercept = {_number(round(calibration[0], 10))}",
        f"slope = {_number(round(calibration[1], 10))}",
        "",
        "[metadata]",
    ]
    for key, value in metadata.items():
        lines.append(f"{key} = {_toml_value(value)}")
    dimension = None
    for c in characteristics:
        if c.dimension != dimension:
            dimension = c.dimension
            best = sum(x.best_points for x in characteristics if x.dimension == dimension)
            title = f" {dimension} ({_number(best)} points)"
            lines += ["", "# " + "-" * (98 - len(title)) + title]
        direction = _direction(c.name)
        trend = params[c.name]["monotonic_trend"]
        lines += [
            "",
            "[[characteristic]]",
            f"name = {_string(c.name)}",
            f"dimension = {_string(c.dimension)}",
            f"reason_code = {_string(c.reason_code)}",
            f"description = {_string(c.description)}",
            f"actionable = {_toml_value(c.actionable)}",
            f"action = {_string(c.action)}",
            "why = "
            + _string(
                f"Not supported by the data ({unsupported[c.name]}); the contract requires it to "
                f"move the score ({direction.kind}), so it gets a fixed floor of "
                f"{contract_floor:g} points, outside the regression."
                if c.name in unsupported
                else _why(c.name, c.name in kept, iv[c.name], trend, direction)
                + (
                    " Contract steps added (points on the better side): "
                    + ", ".join(contract_steps[c.name])
                    + "."
                    if c.name in contract_steps
                    else ""
                )
            ),
            f"iv = {_number(round(iv[c.name], 6))}",
            f"mean_points = {_number(round(mean_points[c.name], 6))}",
        ]
        if c.missing is not None:
            lines.append(f"missing = {_number(c.missing)}")
        lines.append("bins = [")
        for b in c.bins:
            lines.append(
                f"    {{ lower = {_number(b.lower)}, upper = {_number(b.upper)}, "
                f"points_at_lower = {_number(b.points_at_lower)}, "
                f"points_at_upper = {_number(b.points_at_upper)} }},"
            )
        lines.append("]")
    return "\n".join(lines) + "\n"
