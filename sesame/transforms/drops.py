"""Why a score fell: the exact split of a drop into per-characteristic point changes.

A score is 350 plus the whole points of every characteristic, so the change between two
snapshots is the sum of the characteristics' point changes, to the point.
"""

from __future__ import annotations

import polars as pl

from sesame.transforms.scorecard import Scorecard, points_column, score_features

KEY = ("user_id", "snapshot_date")


def characteristic_points(features: pl.LazyFrame, *, card: Scorecard) -> pl.LazyFrame:
    """Grain: one row per (user_id, snapshot_date, characteristic): its whole points."""
    names = [c.name for c in card.characteristics]
    return (
        score_features(features, card=card)
        .select(*KEY, *(pl.col(points_column(n)).alias(n) for n in names))
        .unpivot(index=list(KEY), variable_name="characteristic", value_name="points")
    )


def card_frame(card: Scorecard) -> pl.LazyFrame:
    """Grain: one row per characteristic: its dimension, reason code and card order."""
    return pl.LazyFrame(
        {
            "characteristic": [c.name for c in card.characteristics],
            "dimension": [c.dimension for c in card.characteristics],
            "reason_code": [c.reason_code for c in card.characteristics],
            "card_order": list(range(len(card.characteristics))),
        }
    )


def point_changes(
    previous: pl.LazyFrame, current: pl.LazyFrame, *, card: Scorecard
) -> pl.LazyFrame:
    """Grain: one row per user: the characteristics whose points moved, biggest loss first.

    ``previous`` and ``current`` are aggregates (dimension_aggregates rows), one row per user
    each. Output columns: user_id, point_changes (list of struct characteristic, dimension,
    reason_code, previous_points, points, points_change), causes (the reason codes that lost
    points, the biggest total loss per code first), points_change_total.
    """
    before = characteristic_points(previous, card=card).select(
        "user_id", "characteristic", pl.col("points").alias("previous_points")
    )
    now = characteristic_points(current, card=card).select("user_id", "characteristic", "points")
    changes = (
        now.join(before, on=["user_id", "characteristic"], how="inner")
        .with_columns((pl.col("points") - pl.col("previous_points")).alias("points_change"))
        .filter(pl.col("points_change") != 0)
        .join(card_frame(card), on="characteristic")
        .sort(["user_id", "points_change", "card_order"])
    )
    causes = (
        changes.group_by("user_id", "reason_code")
        .agg(pl.col("points_change").sum().alias("code_change"), pl.col("card_order").min())
        .filter(pl.col("code_change") < 0)
        .sort(["user_id", "code_change", "card_order"])
        .group_by("user_id", maintain_order=True)
        .agg(pl.col("reason_code").alias("causes"))
    )
    return (
        changes.group_by("user_id", maintain_order=True)
        .agg(
            pl.struct(
                "characteristic",
                "dimension",
                "reason_code",
                "previous_points",
                "points",
                "points_change",
            ).alias("point_changes"),
            pl.col("points_change").sum().alias("points_change_total"),
        )
        .join(causes, on="user_id", how="left")
        .with_columns(pl.col("causes").fill_null(pl.lit([], dtype=pl.List(pl.String))))
    )
