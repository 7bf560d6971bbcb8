"""The scorecard: characteristics, bins and points kept as data, applied as Polars expressions.

``load_scorecard`` reads the versioned card from ``sesame/model``; ``score_features`` turns the
per-user aggregates into points, sub-scores, score, tier, benefits and reason codes. The score
is ``base_points`` plus the sum of the characteristics' whole points, so it always equals the sum
of its parts.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from sesame.reason_codes import ADVERSE_FACTS
from sesame.settings import PACKAGE_DIR
from sesame.transforms.directions import check_directions
from sesame.transforms.tiers import benefits_expr, tier_expr

# The champion: the card the nightly publishes (fitted by `make fit`); v1 is the hand-set card
# it replaced, kept for comparison (run it as a challenger) and for the unit tests of the form.
DEFAULT_SCORECARD = PACKAGE_DIR / "model" / "scorecard_v2.toml"
HAND_SET_SCORECARD = PACKAGE_DIR / "model" / "scorecard_v1.toml"
# The feature windows a card sets (its `[parameters]` table), with the values a card that sets
# none gets (scorecard v1's). They change scores, so they belong to the card: a card that changes
# one is another model version. Units are in the names.
CARD_PARAMETERS: dict[str, int] = {
    "overdue_lookback_months": 24,  # months after its due date a bill paid late keeps counting
    "deliberate_default_weight": 3,  # weight of a deliberate default's days past due (>= 2)
    "behaviour_window_months": 12,  # months of usage, receipts, living payments, activity
    "income_window_months": 6,  # months judged for steady income
    "recent_applications_days": 30,  # days in which loan applications count
    "risk_event_lookback_months": 24,  # months a platform violation counts
    "profile_change_window_months": 12,  # months in which phone and address changes count
    "min_events_to_score": 3,  # fewest transactions + bills in the behaviour window to score
}
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
    iv: float | None = None  # information value on the development sample (fitted cards)
    mean_points: float | None = None  # mean points of the development sample (reasons' reference)

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
    parameters: dict[str, int] = field(default_factory=lambda: dict(CARD_PARAMETERS))
    # P(bad) = 1 / (1 + exp(-(intercept + slope * score))); None when the card predicts none
    calibration: tuple[float, float] | None = None
    scaling: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    name: str = ""  # the card's declared version; model_version adds a digest of its content

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


def card_digest(data: dict[str, Any]) -> str:
    """A digest of everything in a card that can change a snapshot row (points, bins, base,
    parameters, reason codes and their references); not its texts, metadata or calibration (a
    predicted bad rate is no part of a snapshot: recalibrating keeps the model version)."""
    scoring = {
        "base_points": data["base_points"],
        "parameters": data.get("parameters", {}),
        "characteristics": [
            {
                key: entry.get(key)
                for key in ("name", "dimension", "reason_code", "bins", "missing", "mean_points")
            }
            for entry in data["characteristic"]
        ],
    }
    text = json.dumps(scoring, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def load_scorecard(path: Path = DEFAULT_SCORECARD) -> Scorecard:
    """Reads a scorecard TOML file and checks that its bins are contiguous.

    Its ``model_version`` is the card's declared version plus a digest of its scoring content,
    so any change that can move a score (a point, a bin, a window) is a new model version.
    """
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    unknown = set(data.get("parameters", {})) - CARD_PARAMETERS.keys()
    if unknown:
        raise ValueError(f"{path}: unknown parameters {', '.join(sorted(unknown))}")
    parameters = CARD_PARAMETERS | {k: int(v) for k, v in data.get("parameters", {}).items()}
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
                iv=entry.get("iv"),
                mean_points=entry.get("mean_points"),
            )
        )
    calibration = data.get("calibration")
    card = Scorecard(
        model_version=f"{data['model_version']}+{card_digest(data)[:8]}",
        base_points=float(data["base_points"]),
        characteristics=tuple(characteristics),
        parameters=parameters,
        calibration=(
            (float(calibration["intercept"]), float(calibration["slope"]))
            if calibration is not None
            else None
        ),
        scaling=dict(data.get("scaling", {})),
        metadata=dict(data.get("metadata", {})),
        name=data["model_version"],
    )
    try:  # a card may weigh the contract's directions as it likes, never against them
        check_directions(card)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    return card


def predicted_bad_rate_expr(card: Scorecard, score: pl.Expr) -> pl.Expr:
    """The card's calibrated probability of going bad at ``score`` (null without calibration)."""
    if card.calibration is None:
        return pl.lit(None, dtype=pl.Float64)
    intercept, slope = card.calibration
    return 1.0 / (1.0 + (-(intercept + slope * score.cast(pl.Float64))).exp())


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


def reference_points(characteristic: Characteristic) -> float:
    """The points a characteristic's loss is measured from: the scored population's mean points
    when the card has them (a fitted card: the development sample's), else its best points."""
    if characteristic.mean_points is not None:
        return characteristic.mean_points
    return characteristic.best_points


def worst_points(characteristic: Characteristic) -> float:
    candidates = [min(b.points_at_lower, b.points_at_upper) for b in characteristic.bins]
    return min(candidates)


def code_loss_exprs(card: Scorecard, *, reference: bool = True) -> dict[str, pl.Expr]:
    """Each reason code's points below the reference (``reference``) or below the best, summed
    over the characteristics that report it, each counted only when below. Needs the
    ``raw_<characteristic>`` columns."""
    by_code: dict[str, list[Characteristic]] = {}
    for characteristic in card.characteristics:
        by_code.setdefault(characteristic.reason_code, []).append(characteristic)
    return {
        code: pl.sum_horizontal(
            (
                pl.lit(reference_points(c) if reference else c.best_points)
                - pl.col(f"raw_{c.name}")
            ).clip(lower_bound=0.0)
            for c in characteristics
        )
        for code, characteristics in by_code.items()
    }


def _adverse_fact_exprs(card: Scorecard) -> dict[str, pl.Expr]:
    """Each adverse fact's points below having none (its best), where the user has the fact."""
    exprs = {}
    for code, kind in ADVERSE_FACTS.items():
        characteristics = [c for c in card.characteristics if c.reason_code == code]
        if not characteristics:
            continue
        below_best = pl.sum_horizontal(
            pl.lit(c.best_points) - pl.col(f"raw_{c.name}") for c in characteristics
        )
        if kind == "at_worst":
            present = (
                pl.any_horizontal(
                    pl.col(f"raw_{c.name}") <= worst_points(c) + MIN_LOSS
                    for c in characteristics
                    if worst_points(c) < c.best_points
                )
                if any(worst_points(c) < c.best_points for c in characteristics)
                else pl.lit(False)
            )
        else:
            present = below_best > MIN_LOSS
        exprs[code] = pl.when(present & (below_best > MIN_LOSS)).then(below_best).otherwise(0.0)
    return exprs


def code_points_lost(features: pl.LazyFrame, *, card: Scorecard) -> pl.LazyFrame:
    """Grain: one row per (user_id, code) of a scorable user: the points the user's
    characteristics reporting the code fall below their best (unrounded)."""
    by_code: dict[str, list[Characteristic]] = {}
    for characteristic in card.characteristics:
        by_code.setdefault(characteristic.reason_code, []).append(characteristic)
    lost = [
        pl.sum_horizontal(pl.lit(c.best_points) - c.points_expr() for c in characteristics).alias(
            code
        )
        for code, characteristics in by_code.items()
    ]
    return (
        features.filter(pl.col("is_scorable"))
        .select("user_id", *lost)
        .unpivot(index="user_id", variable_name="factor", value_name="points_lost")
    )


def reason_columns(frame: pl.LazyFrame, card: Scorecard) -> pl.LazyFrame:
    """Adds ``reasons``: up to four principal reason codes (contract section 3, version 2).

    The method (Reg B, commentary to 1002.9(b)(2), "below the average points of the scored
    population"): a code's loss is how far the user's points fall below the reference points of
    its characteristics (the development sample's mean points for a fitted card, the best points
    for a card without them), summed over the characteristics that report it. The adverse facts
    the user has (``ADVERSE_FACTS``: overdues, deliberate defaults, counting records, frequent
    changes, violations, receipts left unconfirmed, no living payments) come first, ranked by the
    points each costs against not having it, so a fact that sets a user apart is always named;
    then the other codes that fall below their reference, most points first; places still free
    go to codes that fall only below their best (most points first). Ties: card order.
    Needs the ``raw_<characteristic>`` columns.

    Vectorised over columns, not rows: each of the four rounds takes the largest remaining key
    across the codes (the first code in card order on a tie) and removes it.
    """
    losses = code_loss_exprs(card)
    below_best = code_loss_exprs(card, reference=False)
    adverse = _adverse_fact_exprs(card)
    codes = list(losses)
    # one sort key per code, in three tiers: adverse facts the user has, then codes below their
    # reference, then codes only below their best (they fill what places are left)
    offset = 10.0 * (card.max_score - card.min_score + 1.0)
    key = {code: f"_key_{i}" for i, code in enumerate(codes)}
    picked = [f"_reason_{k}" for k in range(REASON_LIMIT)]

    def tiered(code: str) -> pl.Expr:
        ranked = (
            pl.when(losses[code] > MIN_LOSS)
            .then(losses[code] + offset)
            .otherwise(pl.when(below_best[code] > MIN_LOSS).then(below_best[code] / offset))
            .fill_null(0.0)
        )
        if code in adverse:
            return (
                pl.when(adverse[code] > MIN_LOSS).then(adverse[code] + 2 * offset).otherwise(ranked)
            )
        return ranked

    frame = frame.with_columns(tiered(code).alias(key[code]) for code in codes)
    for column in picked:
        largest = pl.max_horizontal(pl.col(key[code]) for code in codes)
        choice: Any = pl.when(largest <= MIN_LOSS).then(pl.lit(None, dtype=pl.String))
        for code in codes:
            choice = choice.when(pl.col(key[code]) == largest).then(pl.lit(code))
        frame = frame.with_columns(choice.otherwise(None).alias(column)).with_columns(
            pl.when(pl.col(column) == code)
            .then(pl.lit(float("-inf")))
            .otherwise(pl.col(key[code]))
            .alias(key[code])
            for code in codes
        )
    return frame.with_columns(pl.concat_list(picked).list.drop_nulls().alias("reasons")).drop(
        *key.values(), *picked
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
