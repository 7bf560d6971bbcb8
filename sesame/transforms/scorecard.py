"""The scorecard: characteristics, bins and points kept as data, applied as Polars expressions.

``load_scorecard`` reads the versioned card from ``sesame/model``; ``score_features`` turns the
per-user aggregates into points, sub-scores, score, tier, benefits and reason codes. The score
is ``base_points`` plus the sum of the characteristics' whole points, so it always equals the sum
of its parts.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from sesame.settings import PACKAGE_DIR
from sesame.transforms.tiers import benefits_expr, tier_expr

DEFAULT_SCORECARD = PACKAGE_DIR / "model" / "scorecard_v1.toml"
DIMENSIONS = ("credit_history", "identity", "capacity", "behavior", "relationships")
REASON_LIMIT = 4
# A characteristic costs points when it is this far below its best (guards float noise).
MIN_LOSS = 1e-9
# Sub-scores are kept to 4 decimals: enough to rank, free of float noise past 100.
SUB_SCORE_DECIMALS = 4


@dataclass(frozen=True)
class Bin:
    """Half-open range [lower, upper) whose points move linearly from its lower to upper end."""

    lower: float
    upper: float
    points_at_lower: float
    points_at_upper: float

    def points(self, value: float) -> float:
        if math.isinf(self.upper) or self.points_at_lower == self.points_at_upper:
            return self.points_at_lower
        share = (value - self.lower) / (self.upper - self.lower)
        return self.points_at_lower + (self.points_at_upper - self.points_at_lower) * share


@dataclass(frozen=True)
class Characteristic:
    """One scored feature: its bins, its dimension, and the reason code it reports."""

    name: str
    dimension: str
    reason_code: str
    description: str
    action: str
    why: str
    bins: tuple[Bin, ...]
    missing: float | None = None
    actionable: bool = False

    @property
    def best_points(self) -> float:
        candidates = [max(b.points_at_lower, b.points_at_upper) for b in self.bins]
        if self.missing is not None:
            candidates.append(self.missing)
        return max(candidates)

    @property
    def best_value(self) -> float:
        """The smallest value that earns the best points (what an action aims for)."""
        for current in self.bins:
            if current.points_at_lower == self.best_points:
                return current.lower
            if current.points_at_upper == self.best_points and not math.isinf(current.upper):
                return current.upper
        raise ValueError(f"{self.name} has no bin with its best points")

    def points(self, value: float | None) -> float:
        """The unrounded points of one value (the reference the expressions are tested against)."""
        if value is None:
            if self.missing is None:
                raise ValueError(f"{self.name} has no points for a missing value")
            return self.missing
        for current in self.bins:
            if current.lower <= value < current.upper:
                return current.points(value)
        raise ValueError(f"{self.name}={value} lies outside every bin")

    def points_expr(self) -> pl.Expr:
        """The unrounded points of column ``name``, bin by bin."""
        value = pl.col(self.name).cast(pl.Float64)
        missing = pl.lit(self.missing, dtype=pl.Float64)
        expr: Any = pl.when(value.is_null()).then(missing)
        for current in self.bins:
            inside = (value >= current.lower) & (value < current.upper)
            if math.isinf(current.upper) or current.points_at_lower == current.points_at_upper:
                points = pl.lit(float(current.points_at_lower))
            else:
                slope = (current.points_at_upper - current.points_at_lower) / (
                    current.upper - current.lower
                )
                points = current.points_at_lower + (value - current.lower) * slope
            expr = expr.when(inside).then(points)
        return expr.otherwise(None)


@dataclass(frozen=True)
class Scorecard:
    """A versioned scorecard: the characteristics and the base points."""

    model_version: str
    base_points: float
    characteristics: tuple[Characteristic, ...]

    def dimension_best(self, dimension: str) -> float:
        return sum(c.best_points for c in self.characteristics if c.dimension == dimension)

    @property
    def min_score(self) -> float:
        return self.base_points

    @property
    def max_score(self) -> float:
        return self.base_points + sum(c.best_points for c in self.characteristics)

    def characteristic(self, name: str) -> Characteristic:
        for current in self.characteristics:
            if current.name == name:
                return current
        raise KeyError(name)


def load_scorecard(path: Path = DEFAULT_SCORECARD) -> Scorecard:
    """Reads a scorecard TOML file and checks that its bins are contiguous."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    characteristics = []
    for entry in data["characteristic"]:
        bins = tuple(
            Bin(
                float(b["lower"]),
                float(b["upper"]),
                float(b["points_at_lower"]),
                float(b["points_at_upper"]),
            )
            for b in entry["bins"]
        )
        for previous, current in itertools.pairwise(bins):
            if previous.upper != current.lower:
                raise ValueError(f"{path}: {entry['name']} has a gap or overlap at {current.lower}")
        if not math.isinf(bins[-1].upper):
            raise ValueError(f"{path}: {entry['name']}'s last bin must be open-ended")
        if entry["dimension"] not in DIMENSIONS:
            raise ValueError(f"{path}: {entry['name']} has unknown dimension {entry['dimension']}")
        characteristics.append(
            Characteristic(
                name=entry["name"],
                dimension=entry["dimension"],
                reason_code=entry["reason_code"],
                description=entry["description"],
                action=entry["action"],
                why=entry["why"],
                bins=bins,
                missing=entry.get("missing"),
                actionable=bool(entry.get("actionable", False)),
            )
        )
    return Scorecard(
        model_version=data["model_version"],
        base_points=float(data["base_points"]),
        characteristics=tuple(characteristics),
    )


def points_column(name: str) -> str:
    """The column holding a characteristic's whole points."""
    return f"points_{name}"


def score_features(features: pl.LazyFrame, *, card: Scorecard) -> pl.LazyFrame:
    """Scores the aggregates; grain: one row per row of ``features`` (user_id, snapshot_date)."""
    raw = {c.name: c.points_expr().alias(f"raw_{c.name}") for c in card.characteristics}
    scorable = pl.col("is_scorable")
    with_raw = features.with_columns(raw.values())
    sub_scores = [
        pl.when(scorable)
        .then(
            100.0
            * pl.sum_horizontal(
                pl.col(f"raw_{c.name}") for c in card.characteristics if c.dimension == dimension
            )
            / card.dimension_best(dimension)
        )
        .round(SUB_SCORE_DECIMALS)
        .clip(0.0, 100.0)
        .alias(dimension)
        for dimension in DIMENSIONS
    ]
    whole_points = [
        pl.col(f"raw_{c.name}").round(0).cast(pl.Int32).alias(points_column(c.name))
        for c in card.characteristics
    ]
    scored = reason_columns(with_raw.with_columns(*sub_scores, *whole_points), card).with_columns(
        pl.when(scorable)
        .then(
            pl.lit(card.base_points)
            + pl.sum_horizontal(points_column(c.name) for c in card.characteristics)
        )
        .cast(pl.Int32)
        .alias("score"),
    )
    return (
        scored.with_columns(
            tier_expr(pl.col("score")).alias("tier"),
            benefits_expr(pl.col("score")).alias("benefits"),
        )
        .with_columns(
            pl.when(scorable)
            .then(pl.col("reasons"))
            .otherwise(pl.lit([], dtype=pl.List(pl.String)))
            .alias("reasons")
        )
        .drop(f"raw_{c.name}" for c in card.characteristics)
    )


def reason_columns(frame: pl.LazyFrame, card: Scorecard) -> pl.LazyFrame:
    """Adds ``reasons``: up to four reason codes, most points lost against the best bin first
    (ties: card order). A code's loss is the sum of the losses of the characteristics that
    report it. Needs the ``raw_<characteristic>`` columns.

    Vectorised over columns, not rows: each of the four rounds takes the largest remaining
    loss across the codes (the first code in card order on a tie) and removes it.
    """
    by_code: dict[str, list[Characteristic]] = {}
    for characteristic in card.characteristics:
        by_code.setdefault(characteristic.reason_code, []).append(characteristic)
    codes = list(by_code)
    loss = {code: f"_loss_{i}" for i, code in enumerate(codes)}
    picked = [f"_reason_{k}" for k in range(REASON_LIMIT)]
    frame = frame.with_columns(
        pl.sum_horizontal(
            pl.lit(c.best_points) - pl.col(f"raw_{c.name}") for c in characteristics
        ).alias(loss[code])
        for code, characteristics in by_code.items()
    )
    for column in picked:
        largest = pl.max_horizontal(pl.col(loss[code]) for code in codes)
        choice: Any = pl.when(largest <= MIN_LOSS).then(pl.lit(None, dtype=pl.String))
        for code in codes:
            choice = choice.when(pl.col(loss[code]) == largest).then(pl.lit(code))
        frame = frame.with_columns(choice.otherwise(None).alias(column)).with_columns(
            pl.when(pl.col(column) == code)
            .then(pl.lit(float("-inf")))
            .otherwise(pl.col(loss[code]))
            .alias(loss[code])
            for code in codes
        )
    return frame.with_columns(pl.concat_list(picked).list.drop_nulls().alias("reasons")).drop(
        *loss.values(), *picked
    )


def scorecard_markdown(card: Scorecard) -> str:
    """The card as Markdown tables, one per dimension (the README's model section is this)."""
    lines: list[str] = []
    for dimension in DIMENSIONS:
        best = card.dimension_best(dimension)
        lines += [f"#### {dimension} ({best:g} points)", ""]
        lines += [
            "| characteristic | bins [from, to): points | reason code | why |",
            "|---|---|---|---|",
        ]
        for c in (c for c in card.characteristics if c.dimension == dimension):
            bins = []
            if c.missing is not None:
                bins.append(f"none {c.missing:g}")
            for b in c.bins:
                span = f"[{b.lower:g}, {'inf' if math.isinf(b.upper) else f'{b.upper:g}'})"
                if math.isinf(b.upper) or b.points_at_lower == b.points_at_upper:
                    bins.append(f"{span} {b.points_at_lower:g}")
                else:
                    bins.append(f"{span} {b.points_at_lower:g} to {b.points_at_upper:g}")
            lines.append(
                f"| `{c.name}`: {c.description} | {'; '.join(bins)} | `{c.reason_code}`"
                f"{' (actionable)' if c.actionable else ''} | {c.why} |"
            )
        lines.append("")
    return "\n".join(lines)
