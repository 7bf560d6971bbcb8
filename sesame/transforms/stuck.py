"""Stuck users: whose month-end score has not risen for months, and the factors that hold them.

Contract definition: let s0 be the score at the latest month-end on or before D, s1 the
month-end before it, and so on. months_without_rise is the largest k with
max(s0 .. s(k-1)) <= s(k); a user is stuck when it is at least ``rules.STUCK_MONTHS`` (7).
Only an unbroken run of month-ends with a score counts (a month without a snapshot or without
a score ends the run).
"""

from __future__ import annotations

import polars as pl

from sesame.rules import STUCK_MONTHS


def months_without_rise(month_end_scores: pl.LazyFrame, *, min_months: int = 0) -> pl.LazyFrame:
    """Grain: one row per user with a score at the latest month-end (and at least
    ``min_months`` months without a rise: the others are dropped before their factors are
    gathered, which is most of the work).

    Input: (user_id, month_end, months_back, score, reasons), months_back 0 = latest.
    Output: months_without_rise, month_end_then, score_then, month_end, score,
    lowest_in_between, fell_in_between, factors (codes in the reasons of every month-end of the
    window, s0 to s(k) included).
    """
    k = pl.col("months_back")
    ordered = month_end_scores.sort("user_id", "months_back")
    run = (
        ordered.with_columns(
            ((k == pl.int_range(pl.len()).over("user_id")) & pl.col("score").is_not_null()).alias(
                "in_run"
            )
        )
        .filter(pl.col("in_run").cast(pl.Int8).cum_min().over("user_id") == 1)
        .with_columns(
            pl.col("score").cum_max().shift(1).over("user_id").alias("max_since"),
        )
        .with_columns(
            pl.when((k >= 1) & (pl.col("max_since") <= pl.col("score")))
            .then(k)
            .otherwise(0)
            .max()
            .over("user_id")
            .alias("months_without_rise")
        )
        .filter(
            (k <= pl.col("months_without_rise")) & (pl.col("months_without_rise") >= min_months)
        )
    )
    then = k == pl.col("months_without_rise")
    summary = run.group_by("user_id").agg(
        pl.col("months_without_rise").first(),
        pl.col("month_end").filter(then).first().alias("month_end_then"),
        pl.col("score").filter(then).first().alias("score_then"),
        pl.col("month_end").filter(k == 0).first(),
        pl.col("score").filter(k == 0).first(),
        pl.col("score").filter(~then).min().alias("lowest_in_between"),
    )
    factors = (
        run.select("user_id", "months_without_rise", "months_back", "reasons")
        .explode("reasons")
        .drop_nulls("reasons")
        .group_by("user_id", "reasons")
        .agg(pl.len().alias("months"), pl.col("months_without_rise").first())
        .filter(pl.col("months") == pl.col("months_without_rise") + 1)
        .group_by("user_id")
        .agg(pl.col("reasons").sort().alias("factors"))
    )
    return (
        summary.join(factors, on="user_id", how="left")
        .with_columns(
            (pl.col("lowest_in_between") < pl.col("score_then"))
            .fill_null(False)
            .alias("fell_in_between"),
            pl.col("factors").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        )
        .sort("user_id")
    )


def stuck_users(month_end_scores: pl.LazyFrame, *, min_months: int = STUCK_MONTHS) -> pl.LazyFrame:
    """Grain: one row per stuck user (months_without_rise >= ``min_months``)."""
    return months_without_rise(month_end_scores, min_months=min_months)


def flag_stuck(frame: pl.LazyFrame, *, stuck: pl.LazyFrame) -> pl.LazyFrame:
    """``frame`` with is_stuck: whether its user_id is among ``stuck``'s (user_id)."""
    return frame.join(
        stuck.select("user_id", pl.lit(True).alias("is_stuck")), on="user_id", how="left"
    ).with_columns(pl.col("is_stuck").fill_null(False))


def point_sums(points_lost: pl.LazyFrame, *, stuck: pl.LazyFrame) -> pl.LazyFrame:
    """Grain: one row per (factor, is_stuck): the points below their best that the group's users
    lose on the factor, summed, and the group's users. ``points_lost``: (user_id, factor,
    points_lost) at the latest month-end; ``stuck``: (user_id). Sums of user ranges add up, so
    a range's rows can be dropped once summed."""
    return (
        flag_stuck(points_lost, stuck=stuck)
        .group_by("factor", "is_stuck")
        .agg(pl.col("points_lost").sum().alias("points_sum"), pl.len().alias("users"))
    )


def factor_point_gaps(sums: pl.LazyFrame) -> pl.LazyFrame:
    """Grain: one row per factor code: the mean points stuck users lose on it, the same for
    every other user, and the gap (stuck minus others). ``sums``: ``point_sums`` rows, of one
    or of several user ranges."""
    totals = sums.group_by("factor", "is_stuck").agg(
        pl.col("points_sum").sum(), pl.col("users").sum()
    )
    mean = pl.col("points_sum") / pl.col("users")
    means = totals.group_by("factor").agg(
        mean.filter(pl.col("is_stuck")).first().alias("points_lost_stuck"),
        mean.filter(~pl.col("is_stuck")).first().alias("points_lost_others"),
    )
    return means.with_columns(
        (pl.col("points_lost_stuck") - pl.col("points_lost_others")).alias("points_gap")
    )


def factor_counts(month_end_scores: pl.LazyFrame, *, stuck: pl.LazyFrame) -> pl.LazyFrame:
    """Grain: one row per (factor, is_stuck) among the users scored at the latest month-end:
    with_factor, the group's users whose reasons hold the code; and one row per group with a
    null factor, whose with_factor is the group's users. ``stuck``: (user_id) of the stuck
    users. Counts of user ranges add up, so a range's month-ends can be dropped once counted."""
    latest = month_end_scores.filter(
        (pl.col("months_back") == 0) & pl.col("score").is_not_null()
    ).select("user_id", "reasons")
    users = flag_stuck(latest, stuck=stuck)
    with_factor = pl.len().cast(pl.Int64).alias("with_factor")
    counts = (
        users.explode("reasons")
        .drop_nulls("reasons")
        .group_by(pl.col("reasons").alias("factor"), "is_stuck")
        .agg(with_factor)
    )
    totals = users.group_by("is_stuck").agg(with_factor)
    return pl.concat(
        [counts, totals.select(pl.lit(None, dtype=pl.String).alias("factor"), pl.all())],
        how="diagonal",
    )


def stuck_factors(
    month_end_scores: pl.LazyFrame,
    *,
    min_months: int = STUCK_MONTHS,
    stuck: pl.LazyFrame | None = None,
    point_sums: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """``factors_from_counts`` of the month-end scores in one pass. ``stuck``: the result of
    ``stuck_users`` when the caller has it already (computing it inside this plan is several
    times slower)."""
    if stuck is None:
        stuck = stuck_users(month_end_scores, min_months=min_months)
    return factors_from_counts(factor_counts(month_end_scores, stuck=stuck), point_sums=point_sums)


def factors_from_counts(
    counts: pl.LazyFrame, *, point_sums: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """Grain: one row per factor code seen at the latest month-end.

    ``counts``: ``factor_counts`` rows, of one or of several user ranges. share_stuck: stuck
    users whose latest month-end reasons hold the code, over stuck users; share_others: the
    same over every other user scored at that month-end; lift: their ratio (null when no other
    user has the code). ``point_sums`` (``point_sums`` of the user ranges): adds the mean points
    stuck users and the others lose on each factor and their gap, and ranks by the gap (most
    points that set stuck users apart first); without it, by lift.
    """
    summed = counts.group_by("factor", "is_stuck").agg(pl.col("with_factor").sum())
    totals = summed.filter(pl.col("factor").is_null()).select(
        "is_stuck", pl.col("with_factor").alias("users")
    )
    counts = (
        summed.filter(pl.col("factor").is_not_null())
        .join(totals, on="is_stuck")
        .with_columns((pl.col("with_factor") / pl.col("users")).alias("share"))
    )
    stuck_share = counts.filter(pl.col("is_stuck")).select(
        "factor",
        pl.col("with_factor").alias("stuck_users"),
        pl.col("share").alias("share_stuck"),
    )
    other_share = counts.filter(~pl.col("is_stuck")).select(
        "factor", pl.col("share").alias("share_others")
    )
    shares = (
        stuck_share.join(other_share, on="factor", how="full", coalesce=True)
        .with_columns(
            pl.col("stuck_users").fill_null(0),
            pl.col("share_stuck").fill_null(0.0),
            pl.col("share_others").fill_null(0.0),
        )
        .with_columns(
            pl.when(pl.col("share_others") > 0)
            .then(pl.col("share_stuck") / pl.col("share_others"))
            .otherwise(None)
            .alias("lift")
        )
    )
    if point_sums is None:
        return shares.with_columns(
            pl.lit(None, dtype=pl.Float64).alias(column)
            for column in ("points_lost_stuck", "points_lost_others", "points_gap")
        ).sort(["lift", "share_stuck", "factor"], descending=[True, True, False], nulls_last=True)
    gaps = factor_point_gaps(point_sums)
    return shares.join(gaps, on="factor", how="left").sort(
        ["points_gap", "lift", "factor"], descending=[True, True, False], nulls_last=True
    )
