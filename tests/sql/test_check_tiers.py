"""The publish check assert_tiers_match_scores, given rows: it reads the tiers and benefits of
transforms/tiers.py (registered as tables), so it agrees with them at every threshold and flags
exactly the rows that disagree."""

from __future__ import annotations

import duckdb
import polars as pl

from sesame.sqlmodels import read_sql
from sesame.transforms.tiers import BENEFITS, TIERS, benefits_of, tier_of, tier_tables


def _check(snapshots: pl.DataFrame) -> list[int]:
    con = duckdb.connect()
    for name, frame in tier_tables().items():
        con.register(name, frame)
    con.register("new_snapshots", snapshots)
    rows = con.execute(read_sql("checks/assert_tiers_match_scores")).fetchall()
    return sorted(row[0] for row in rows)


def _snapshots(scores: list[int | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "user_id": list(range(len(scores))),
            "score": scores,
            "tier": [tier_of(s) for s in scores],
            "benefits": [benefits_of(s) for s in scores],
        },
        schema={
            "user_id": pl.Int64,
            "score": pl.Int32,
            "tier": pl.String,
            "benefits": pl.List(pl.String),
        },
    )


# every threshold, one point below it (on the scale), and the scale's ends
THRESHOLDS = {lowest for lowest, _ in (*TIERS, *BENEFITS)}
EDGES = sorted({350, 950, *THRESHOLDS, *(t - 1 for t in THRESHOLDS if t > 350)})


def test_rows_made_by_the_tier_rules_pass_at_every_threshold() -> None:
    assert _check(_snapshots([*EDGES, None])) == []


def test_a_wrong_tier_or_benefit_list_is_flagged_and_nothing_else() -> None:
    frame = _snapshots([699, 700, 749, 750, None, 600])
    frame = frame.with_columns(
        tier=pl.when(pl.col("user_id") == 1).then(pl.lit("very_good")).otherwise("tier"),
        benefits=pl.when(pl.col("user_id") == 3)
        .then(pl.lit(["deposit_free_rental"], dtype=pl.List(pl.String)))
        .when(pl.col("user_id") == 4)
        .then(pl.lit(["pay_later"], dtype=pl.List(pl.String)))
        .otherwise("benefits"),
    )
    assert _check(frame) == [1, 3, 4]
