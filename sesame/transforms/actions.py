"""What would raise a score most (each actionable reason code moved to its best bin, re-scored),
and the fewest actions that reach a target score together."""

from __future__ import annotations

import polars as pl

from sesame.transforms.scorecard import Characteristic, Scorecard, points_column, score_features


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


def _code_masks(card: Scorecard, max_actions: int | None) -> pl.LazyFrame:
    """Every subset of the card's actionable codes as a bit mask (bit i: the i-th code in card
    order), with its size and its rank in card order (fewer codes first, then the earlier codes
    first, compared position by position)."""
    count = len(actionable_codes(card))
    limit = count if max_actions is None else min(max_actions, count)
    masks = [m for m in range(1 << count) if m.bit_count() <= limit]
    masks.sort(key=lambda m: (m.bit_count(), [i for i in range(count) if m >> i & 1]))
    return pl.LazyFrame(
        {
            "plan_mask": masks,
            "plan_actions": [m.bit_count() for m in masks],
            "plan_rank": list(range(len(masks))),
        },
        schema={"plan_mask": pl.Int64, "plan_actions": pl.Int32, "plan_rank": pl.Int32},
    )


def plan_to_target(
    features: pl.LazyFrame, *, card: Scorecard, target: int, max_actions: int | None = None
) -> pl.LazyFrame:
    """Grain: one row per (user_id, snapshot_date, reason_code) of the user's cheapest plan.

    A plan is a set of the user's actionable codes that cost points now; its characteristics
    move to their best bin together and the user is re-scored. Every subset (of at most
    ``max_actions`` codes) is scored in one ``score_features`` call; the plan is the fewest
    actions whose new score reaches ``target``, then the highest new score, then card order
    (the points needed, target minus the current score, are the same for every plan of one
    user). Columns: current_score, target, plan_score (after the whole plan), plan_actions,
    step (1 = the biggest own gain), reason_code, action, points_gained (that action alone).
    A user already at the target, unscorable, or out of reach by actions gets no rows.
    """
    codes = actionable_codes(card)
    keys = ["user_id", "snapshot_date"]
    scored = score_features(features, card=card)
    # bit i set: code i costs the user points now (some characteristic below its best)
    cost_mask = pl.sum_horizontal(
        pl.when(
            pl.any_horizontal(
                pl.col(points_column(c.name)) < round(c.best_points) for c in characteristics
            )
        )
        .then(pl.lit(1 << i, dtype=pl.Int64))
        .otherwise(pl.lit(0, dtype=pl.Int64))
        for i, characteristics in enumerate(codes.values())
    ).alias("cost_mask")
    base = scored.select(*keys, pl.col("score").alias("current_score"), cost_mask).filter(
        pl.col("current_score").is_not_null()
    )
    variants = (
        features.join(base, on=keys)
        .join(_code_masks(card, max_actions), how="cross")
        .filter((pl.col("plan_mask") & pl.col("cost_mask")) == pl.col("plan_mask"))
        .with_columns(
            pl.when((pl.col("plan_mask") & (1 << i)) != 0)
            .then(pl.lit(c.best_value, dtype=pl.Float64))
            .otherwise(pl.col(c.name).cast(pl.Float64))
            .alias(c.name)
            for i, characteristics in enumerate(codes.values())
            for c in characteristics
        )
    )
    rescored = score_features(variants, card=card).select(
        *keys,
        "current_score",
        "plan_mask",
        "plan_actions",
        "plan_rank",
        pl.col("score").alias("plan_score"),
    )
    chosen = (
        rescored.filter(pl.col("plan_score") >= target)
        .sort(
            [*keys, "plan_actions", "plan_score", "plan_rank"],
            descending=[False, False, False, True, False],
        )
        .group_by(keys, maintain_order=True)
        .first()
        .filter(pl.col("plan_actions") > 0)
    )
    code_bits = pl.LazyFrame(
        {
            "code_bit": [1 << i for i in range(len(codes))],
            "code_order": list(range(len(codes))),
            "reason_code": list(codes),
            "action": [characteristics[0].action for characteristics in codes.values()],
        },
        schema={
            "code_bit": pl.Int64,
            "code_order": pl.Int32,
            "reason_code": pl.String,
            "action": pl.String,
        },
    )
    own_gains = rescored.filter(pl.col("plan_actions") == 1).select(
        *keys,
        pl.col("plan_mask").alias("code_bit"),
        (pl.col("plan_score") - pl.col("current_score")).alias("points_gained"),
    )
    steps = (
        chosen.join(code_bits, how="cross")
        .filter((pl.col("plan_mask") & pl.col("code_bit")) != 0)
        .join(own_gains, on=[*keys, "code_bit"], how="left")
        .sort([*keys, "points_gained", "code_order"], descending=[False, False, True, False])
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int32).over(keys).alias("step"),
            pl.lit(target, dtype=pl.Int32).alias("target"),
        )
    )
    return steps.select(
        *keys,
        "current_score",
        "target",
        "plan_score",
        "plan_actions",
        "step",
        "reason_code",
        "action",
        "points_gained",
    )
