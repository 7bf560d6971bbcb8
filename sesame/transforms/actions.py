"""What would raise a score most: each actionable reason code moved to its best bin, re-scored."""

from __future__ import annotations

import polars as pl

from sesame.transforms.scorecard import Characteristic, Scorecard, score_features


def actionable_codes(card: Scorecard) -> dict[str, list[Characteristic]]:
    """Reason codes a user can act on, with the characteristics behind each."""
    codes: dict[str, list[Characteristic]] = {}
    for characteristic in card.characteristics:
        if characteristic.actionable:
            codes.setdefault(characteristic.reason_code, []).append(characteristic)
    return codes


def best_actions(features: pl.LazyFrame, *, card: Scorecard) -> pl.LazyFrame:
    """Grain: one row per (user_id, snapshot_date, reason_code) whose action adds points.

    Each variant moves one code's characteristics to their best bin and re-scores the user;
    points_gained is the new score minus the score. Sorted by user, most points first.
    """
    base = score_features(features, card=card).select(
        "user_id", "snapshot_date", pl.col("score").alias("current_score")
    )
    variants = [
        features.with_columns(
            *(pl.lit(c.best_value, dtype=pl.Float64).alias(c.name) for c in characteristics),
            pl.lit(code).alias("reason_code"),
            pl.lit(characteristics[0].action).alias("action"),
        )
        for code, characteristics in actionable_codes(card).items()
    ]
    rescored = score_features(pl.concat(variants, how="diagonal_relaxed"), card=card).select(
        "user_id", "snapshot_date", "reason_code", "action", pl.col("score").alias("new_score")
    )
    return (
        rescored.join(base, on=["user_id", "snapshot_date"])
        .with_columns((pl.col("new_score") - pl.col("current_score")).alias("points_gained"))
        .filter(pl.col("points_gained") > 0)
        .sort(["user_id", "snapshot_date", "points_gained"], descending=[False, False, True])
    )
