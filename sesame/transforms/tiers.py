"""Tiers and benefits by score (contract v2, section 3)."""

from __future__ import annotations

from typing import Any

import polars as pl

from sesame.rules import SCORE_MIN

# (lowest score, tier), highest first; a null score is `unscorable`.
TIERS: tuple[tuple[int, str], ...] = (
    (700, "excellent"),
    (650, "very_good"),
    (600, "good"),
    (550, "fair"),
    (SCORE_MIN, "poor"),
)
UNSCORABLE = "unscorable"
TIER_NAMES = (*(name for _, name in TIERS), UNSCORABLE)

# (lowest score, benefit), in the order they are listed on a snapshot.
BENEFITS: tuple[tuple[int, str], ...] = (
    (600, "deposit_free_rental"),
    (650, "car_rental_no_deposit"),
    (650, "installment_loans"),
    (700, "credit_loans"),
    (700, "pay_later"),
    (750, "visa_and_car_loan"),
)


def tier_tables() -> dict[str, pl.DataFrame]:
    """The tiers and benefits as tables, for SQL that must agree with them (the publish check
    ``assert_tiers_match_scores`` reads these rather than a copy of the thresholds)."""
    return {
        "tier_bands": pl.DataFrame(
            {"lowest": [lowest for lowest, _ in TIERS], "tier": [name for _, name in TIERS]},
            schema={"lowest": pl.Int32, "tier": pl.String},
        ),
        "benefit_thresholds": pl.DataFrame(
            {
                "position": list(range(len(BENEFITS))),
                "lowest": [lowest for lowest, _ in BENEFITS],
                "benefit": [name for _, name in BENEFITS],
            },
            schema={"position": pl.Int32, "lowest": pl.Int32, "benefit": pl.String},
        ),
    }


def tier_expr(score: pl.Expr) -> pl.Expr:
    """The tier of a score."""
    expr: Any = pl.when(score.is_null()).then(pl.lit(UNSCORABLE))
    for lowest, name in TIERS:
        expr = expr.when(score >= lowest).then(pl.lit(name))
    return expr.otherwise(pl.lit("poor"))


def benefits_expr(score: pl.Expr) -> pl.Expr:
    """The benefits a score unlocks, as a list (empty when unscorable)."""
    unlocked = pl.concat_list(
        pl.when(score >= lowest).then(pl.lit(name)).otherwise(pl.lit(None, dtype=pl.String))
        for lowest, name in BENEFITS
    )
    return unlocked.list.drop_nulls()


def tier_of(score: int | None) -> str:
    """The tier of one score (for messages and tests)."""
    if score is None:
        return UNSCORABLE
    for lowest, name in TIERS:
        if score >= lowest:
            return name
    return "poor"


def benefits_of(score: int | None) -> list[str]:
    """The benefits one score unlocks."""
    if score is None:
        return []
    return [name for lowest, name in BENEFITS if score >= lowest]
