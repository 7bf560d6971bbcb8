"""Model validation statistics: how well a score ranks the outcomes that followed it.

Pure functions over Polars frames and numpy arrays, no I/O. Conventions:

- A higher score means lower risk. ``bad`` is 1 for a bad outcome, 0 for a good one
  (indeterminate outcomes are left out before these functions are called).
- **AUC** is the probability that a random good scores above a random bad (ties count one half),
  computed from the counts of goods and bads at each distinct score (the Mann-Whitney U).
- **Gini** (accuracy ratio) = 2 AUC - 1.
- **KS** = the largest gap between the cumulative score distributions of bads and goods.
- **Bootstrap**: intervals from ``samples`` resamples of the users with replacement (drawn as a
  multinomial over the (score, outcome) cells, which is the same distribution; fixed seed, so a
  report is reproducible), the 2.5% and 97.5% quantiles of the resampled Gini.
- **PSI / CSI**: sum of (actual - expected) * ln(actual / expected) over bins, shares of empty
  bins floored at ``EMPTY_SHARE`` (a bin empty on one side would otherwise be infinite).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from sesame.transforms.scorecard import Characteristic, Scorecard

EMPTY_SHARE = 1e-4  # the share an empty bin counts with in a PSI or CSI
BAND_WIDTH = 50  # points of one score band


@dataclass(frozen=True)
class Ranking:
    """How one score ranks one sample of outcomes."""

    users: int
    bads: int
    auc: float | None
    gini: float | None
    ks: float | None


def _counts_by_score(
    scores: npt.NDArray[np.float64], bad: npt.NDArray[np.int8], weights: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Weighted goods and bads at each distinct score, ascending."""
    _, index = np.unique(scores, return_inverse=True)
    bads = np.bincount(index, weights=weights * bad).astype(np.float64)
    goods = np.bincount(index, weights=weights * (1 - bad)).astype(np.float64)
    return goods, bads


def _auc_from_counts(goods: npt.NDArray[np.float64], bads: npt.NDArray[np.float64]) -> float:
    """P(a good scores above a bad) + half P(a tie), from counts at ascending distinct scores."""
    total_goods, total_bads = goods.sum(), bads.sum()
    goods_above = total_goods - np.cumsum(goods)
    return float((bads * (goods_above + 0.5 * goods)).sum() / (total_goods * total_bads))


def ranking(scores: npt.ArrayLike, bad: npt.ArrayLike) -> Ranking:
    """AUC, Gini and KS of ``scores`` (higher = safer) against ``bad`` (1 bad, 0 good)."""
    values = np.asarray(scores, dtype=np.float64)
    outcome = np.asarray(bad, dtype=np.int8)
    users, bads = int(values.size), int(outcome.sum())
    if bads == 0 or bads == users:
        return Ranking(users, bads, None, None, None)
    goods_at, bads_at = _counts_by_score(values, outcome, np.ones(users))
    auc = _auc_from_counts(goods_at, bads_at)
    ks = float(np.max(np.abs(np.cumsum(bads_at) / bads - np.cumsum(goods_at) / (users - bads))))
    return Ranking(users, bads, auc, 2.0 * auc - 1.0, ks)


def bootstrap_gini(
    scores: npt.ArrayLike, bad: npt.ArrayLike, *, samples: int, seed: int = 0
) -> tuple[float | None, float | None]:
    """The 95% bootstrap interval of the Gini: resampled users, a fixed seed."""
    values = np.asarray(scores, dtype=np.float64)
    outcome = np.asarray(bad, dtype=np.int8)
    n = values.size
    if samples < 1 or n == 0 or outcome.sum() in (0, n):
        return None, None
    rng = np.random.default_rng(seed)
    # resampling users is resampling the (score, outcome) cells they fall in: a multinomial over
    # at most two cells per distinct score, the same distribution at a fraction of the cost
    goods_at, bads_at = _counts_by_score(values, outcome, np.ones(n))
    cells = np.concatenate([goods_at, bads_at]) / n
    distinct = goods_at.size
    ginis = []
    for _ in range(samples):
        drawn = rng.multinomial(n, cells).astype(np.float64)
        goods, bads = drawn[:distinct], drawn[distinct:]
        if bads.sum() == 0 or goods.sum() == 0:
            continue
        ginis.append(2.0 * _auc_from_counts(goods, bads) - 1.0)
    if not ginis:
        return None, None
    low, high = np.quantile(np.asarray(ginis), [0.025, 0.975])
    return float(low), float(high)


def cumulative_accuracy(scores: npt.ArrayLike, bad: npt.ArrayLike, points: int = 20) -> list[dict]:
    """The CAP curve: riskiest first (lowest score), the share of bads caught by each share of
    users; ``points`` + 1 points from (0, 0) to (1, 1)."""
    values = np.asarray(scores, dtype=np.float64)
    outcome = np.asarray(bad, dtype=np.int8)
    if values.size == 0 or outcome.sum() == 0:
        return []
    order = np.argsort(values, kind="stable")
    caught = np.cumsum(outcome[order]) / outcome.sum()
    curve = [{"share_users": 0.0, "share_bads": 0.0}]
    for k in range(1, points + 1):
        upto = max(1, math.ceil(values.size * k / points))
        curve.append({"share_users": upto / values.size, "share_bads": float(caught[upto - 1])})
    return curve


def score_bands(sample: pl.LazyFrame) -> pl.LazyFrame:
    """Grain: one row per 50-point band of ``score``: users, bads, bad_rate and the mean of
    ``predicted_bad_rate`` (null when the card predicts none). ``sample``: score, bad,
    predicted_bad_rate."""
    return (
        sample.with_columns(
            ((pl.col("score") // BAND_WIDTH) * BAND_WIDTH).cast(pl.Int32).alias("band_low")
        )
        .group_by("band_low")
        .agg(
            pl.len().cast(pl.Int64).alias("users"),
            pl.col("bad").sum().cast(pl.Int64).alias("bads"),
            pl.col("predicted_bad_rate").mean().alias("predicted_bad_rate"),
        )
        .with_columns((pl.col("bads") / pl.col("users")).alias("bad_rate"))
        .select("band_low", "users", "bads", "bad_rate", "predicted_bad_rate")
        .sort("band_low")
    )


def rank_order_breaks(bands: pl.DataFrame, *, min_users: int) -> list[str]:
    """Where bad rate does not fall from one band to the next higher one, among bands of at
    least ``min_users`` users (two bands without a bad are not a break)."""
    kept = bands.filter(pl.col("users") >= min_users).sort("band_low").to_dicts()
    breaks = []
    for lower, higher in itertools.pairwise(kept):
        if higher["bads"] == 0 and lower["bads"] == 0:
            continue
        if higher["bad_rate"] >= lower["bad_rate"]:
            breaks.append(
                f"bad rate does not fall from band {lower['band_low']} "
                f"({lower['bad_rate']:.2%}) to band {higher['band_low']} ({higher['bad_rate']:.2%})"
            )
    return breaks


def stability_index(actual: pl.Series, expected: pl.Series) -> float | None:
    """PSI / CSI between two distributions over the same bins (bin labels, one per user)."""
    if actual.len() == 0 or expected.len() == 0:
        return None
    now = actual.value_counts(normalize=True, name="share").rename({"share": "actual"})
    then = expected.value_counts(normalize=True, name="share").rename({"share": "expected"})
    name = actual.name
    joined = now.join(then.rename({expected.name: name}), on=name, how="full", coalesce=True)
    shares = joined.select(
        pl.col("actual").fill_null(0.0).clip(lower_bound=EMPTY_SHARE),
        pl.col("expected").fill_null(0.0).clip(lower_bound=EMPTY_SHARE),
    )
    return float(
        shares.select(
            (
                (pl.col("actual") - pl.col("expected"))
                * (pl.col("actual") / pl.col("expected")).log()
            ).sum()
        ).item()
    )


def bin_label_expr(characteristic: Characteristic) -> pl.Expr:
    """The index of the card's bin a value falls in (-1 for a missing value)."""
    value = pl.col(characteristic.name).cast(pl.Float64)
    expr: Any = pl.when(value.is_null()).then(pl.lit(-1))
    for index, current in enumerate(characteristic.bins):
        expr = expr.when((value >= current.lower) & (value < current.upper)).then(pl.lit(index))
    return expr.otherwise(pl.lit(-2)).cast(pl.Int32).alias(characteristic.name)


def characteristic_bins(features: pl.LazyFrame, *, card: Scorecard) -> pl.LazyFrame:
    """Grain: one row per row of ``features``: each characteristic's bin index on the card."""
    return features.select(bin_label_expr(c) for c in card.characteristics)
