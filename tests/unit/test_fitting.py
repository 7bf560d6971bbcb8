"""`sesame fit` (sesame/fitting.py) and the required directions (sesame/transforms/directions.py).

One small generated population (2,500 users), scored with the real pipeline helpers at three
month-ends, is fitted once per module (and once more for determinism); the direction checks and
the binning of rare facts run on tiny literal cards and frames.
"""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from sesame.fitting import (
    ODDS,
    ODDS_SCORE,
    PDO_LADDER,
    SCORE_MAX,
    SCORE_MIN,
    FitError,
    FitResult,
    _binning_params,
    fit_scorecard,
)
from sesame.settings import Settings
from sesame.synthetic import generate_exports
from sesame.transforms.directions import DIRECTIONS, check_directions
from sesame.transforms.scorecard import HAND_SET_SCORECARD, Bin, load_scorecard
from tests import pipeline

END = date(2026, 10, 31)  # the exports' last day; the latest bill falls due by the 28th
FRIENDS_DATE = date(2025, 7, 31)  # scored first, so friends have published scores at DEV
DEV = date(2025, 8, 31)
OOT = date(2025, 9, 30)  # the latest month-end whose window closes by the exports' end
FLOOR = 2.0  # a 2,500-user sample cannot support every strict fact: the contract floor
V1 = load_scorecard(HAND_SET_SCORECARD)  # the hand-set card: the tests know its points


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("fit")
    settings = Settings(warehouse=root / "warehouse", input=root / "exports")
    generate_exports(settings.input, users=2500, months=24, seed=5, end=END)
    pipeline.run(settings, [FRIENDS_DATE, DEV, OOT])
    return settings


@pytest.fixture(scope="module")
def fitted(world: Settings, tmp_path_factory: pytest.TempPathFactory) -> FitResult:
    out = tmp_path_factory.mktemp("card") / "scorecard_v2.toml"
    lines: list[str] = []
    result = fit_scorecard(
        world.database_path(), DEV, OOT, out, contract_floor=FLOOR, on_progress=lines.append
    )
    for step in ("reading", "binning", "regression", "scaling", "calibration", "checks", "written"):
        assert any(line.startswith(step) for line in lines), step
    return result


def dev_features(settings: Settings) -> pl.DataFrame:
    return pipeline.query(
        settings,
        "select * from dimension_aggregates where snapshot_date = $d and is_scorable "
        "order by user_id",
        {"d": DEV},
    )


# ----------------------------------------------------------------------------- the fitted card


def test_the_fit_is_deterministic(world: Settings, fitted: FitResult, tmp_path: Path) -> None:
    again = fit_scorecard(
        world.database_path(), DEV, OOT, tmp_path / "again.toml", contract_floor=FLOOR
    )
    assert again.path.read_bytes() == fitted.path.read_bytes()


def test_the_card_loads_and_scores_as_the_sum_of_its_parts(
    world: Settings, fitted: FitResult
) -> None:
    from sesame.transforms.scorecard import points_column, score_features

    card = load_scorecard(fitted.path)
    assert card.name == "scorecard-v2"
    assert [c.name for c in card.characteristics] == [c.name for c in V1.characteristics]
    scored = score_features(dev_features(world).lazy(), card=card).collect()
    parts = (
        card.base_points
        + scored.select(
            pl.sum_horizontal(points_column(c.name) for c in card.characteristics)
        ).to_series()
    )
    assert (scored["score"] == parts).all()
    assert scored["score"].min() >= max(350, fitted.min_score)
    assert scored["score"].max() <= min(950, fitted.max_score)
    for dimension in ("credit_history", "identity", "capacity", "behavior", "relationships"):
        assert scored[dimension].is_between(0, 100).all(), dimension
    for c in card.characteristics:  # worst points are 0, flat bins, open-ended last bin
        assert min(b.points_at_lower for b in c.bins) == 0 or (c.missing == 0), c.name
        assert all(b.points_at_lower == b.points_at_upper for b in c.bins), c.name
        assert math.isinf(c.bins[-1].upper), c.name
        assert c.iv is not None and c.mean_points is not None, c.name


def test_the_card_records_how_it_was_made(fitted: FitResult) -> None:
    card = load_scorecard(fitted.path)
    meta = card.metadata
    assert meta["dev_snapshot"] == DEV.isoformat() and meta["oot_snapshot"] == OOT.isoformat()
    assert meta["dev_users"] == fitted.dev_users and meta["oot_bads"] == fitted.oot_bads
    assert len(meta["data_fingerprint"]) == 64
    assert "90 or more days past due" in meta["bad_definition"]
    assert "optbinning 1.0.0" in meta["fitted_with"]
    assert card.scaling["method"] == "pdo_odds"
    assert (card.scaling["odds"], card.scaling["score"]) == (ODDS, ODDS_SCORE)
    assert card.scaling["pdo"] in PDO_LADDER  # the widest whose possible range fits 350..950
    assert card.min_score >= SCORE_MIN and card.max_score <= SCORE_MAX
    assert meta["baseline_oot_gini"] == pytest.approx(fitted.baseline_oot_gini, abs=1e-6)
    assert meta["trees_oot_gini"] == pytest.approx(fitted.trees_oot_gini, abs=1e-6)
    assert card.parameters == V1.parameters
    assert 0 < fitted.dev_gini <= 1 and 0 < fitted.oot_gini <= 1


def test_every_characteristic_respects_its_direction(fitted: FitResult) -> None:
    check_directions(load_scorecard(fitted.path))  # raises on a violation


def test_the_calibration_predicts_the_observed_bad_rate(world: Settings, fitted: FitResult) -> None:
    from sesame.transforms.scorecard import score_features

    card = load_scorecard(fitted.path)
    intercept, slope = fitted.calibration
    assert card.calibration == pytest.approx((intercept, slope), rel=1e-8)
    # fitted on every good and bad user at S2 (the latest closed window): there, the mean
    # predicted bad rate is the observed one (a logistic regression with an intercept)
    sample_mean = _calibration_sample_mean(world, card, intercept, slope, OOT)
    assert sample_mean == pytest.approx(fitted.oot_bads / fitted.oot_users, rel=0.02)
    # and over every scorable user at S1 it stays of the same order
    scored = score_features(dev_features(world).lazy(), card=card).collect()
    predicted = 1 / (1 + np.exp(-(intercept + slope * scored["score"].to_numpy())))
    assert predicted.mean() == pytest.approx(fitted.dev_bads / fitted.dev_users, rel=0.6)


def _calibration_sample_mean(
    world: Settings, card: Any, intercept: float, slope: float, day: date
) -> float:
    from sesame.outcomes import materialize_outcomes
    from sesame.transforms.scorecard import score_features
    from sesame.warehouse import connect_read_only

    con = connect_read_only(world)
    try:
        table = materialize_outcomes(con, day)
        outcomes = con.sql(f"select user_id, outcome from {table}").pl()
        features = con.sql(
            "select * from dimension_aggregates where snapshot_date = $d and is_scorable",
            params={"d": day},
        ).pl()
    finally:
        con.close()
    scored = score_features(features.lazy(), card=card).collect()
    sample = scored.join(outcomes.filter(pl.col("outcome") != "indeterminate"), on="user_id")
    return float((1 / (1 + np.exp(-(intercept + slope * sample["score"].to_numpy())))).mean())


def test_the_scaling_doubles_the_odds_every_pdo_points(fitted: FitResult) -> None:
    """The calibration, fitted freely on the card's scores, agrees with the card's own scaling:
    pdo points double the good:bad odds (a slope of -ln 2 / pdo), within sampling error."""
    pdo = fitted.scaling["pdo"]
    _, slope = fitted.calibration
    assert -slope * pdo == pytest.approx(math.log(2), rel=0.35)


def test_a_window_not_yet_closed_is_refused(world: Settings, tmp_path: Path) -> None:
    with pytest.raises(FitError, match=r"snapshot 2025-10-31: .*performance window is not closed"):
        fit_scorecard(world.database_path(), DEV, date(2025, 10, 31), tmp_path / "x.toml")
    assert not (tmp_path / "x.toml").exists()


def test_a_date_without_a_snapshot_is_refused(world: Settings, tmp_path: Path) -> None:
    with pytest.raises(FitError, match=r"no scored users at 2025-06-30"):
        fit_scorecard(world.database_path(), date(2025, 6, 30), OOT, tmp_path / "x.toml")


def test_the_warehouses_first_snapshot_is_refused(world: Settings, tmp_path: Path) -> None:
    # no friend has a published score before it: friends_mean_score is null for everyone
    with pytest.raises(FitError, match=r"snapshot 2025-07-31 is the warehouse's first snapshot"):
        fit_scorecard(world.database_path(), FRIENDS_DATE, OOT, tmp_path / "x.toml")


def test_an_unsupported_strict_fact_is_refused_without_a_floor(
    world: Settings, tmp_path: Path
) -> None:
    """On 2,500 users some strict facts (e.g. frequent phone changes) show no risk: without
    --contract-floor the fit refuses, naming them."""
    with pytest.raises(
        FitError,
        match=r"cannot support characteristics the contract requires to move the score: \w+",
    ):
        fit_scorecard(world.database_path(), DEV, OOT, tmp_path / "x.toml")


# ----------------------------------------------------------------------------- the directions


def _edited(name: str, **changes: Any) -> Any:
    """Scorecard v1 with one characteristic's bins or fields replaced."""
    characteristics = tuple(
        dataclasses.replace(c, **changes) if c.name == name else c for c in V1.characteristics
    )
    return dataclasses.replace(V1, characteristics=characteristics)


def test_directions_cover_every_characteristic_of_the_card() -> None:
    assert {c.name for c in V1.characteristics} == set(DIRECTIONS)
    check_directions(V1)


@pytest.mark.parametrize(
    ("name", "bins", "message"),
    [
        # an overdue bill that raises the score
        (
            "overdue_bills",
            (Bin(0, 1, 0, 0), Bin(1, math.inf, 30, 30)),
            r"overdue_bills: points go up",
        ),
        # more assets scoring lower ("not lower")
        (
            "assets_value_cny",
            (Bin(0, 1000, 10, 10), Bin(1000, math.inf, 0, 0)),
            r"assets_value_cny: points go down",
        ),
        # more loan applications scoring higher ("not higher"), inside a sloped bin
        (
            "loan_applications_recent",
            (Bin(0, 5, 0, 10), Bin(5, math.inf, 10, 10)),
            r"loan_applications_recent: points go up",
        ),
        # a violation that costs nothing: none and one or more score the same
        (
            "risk_events",
            (Bin(0, 2, 20, 20), Bin(2, math.inf, 0, 0)),
            r"risk_events: 0 scores 20 and 1 scores 20",
        ),
        # a strictly-better characteristic that is flat
        (
            "receipt_confirmed_share",
            (Bin(0, math.inf, 0, 0),),
            r"receipt_confirmed_share: its best and worst points are equal",
        ),
    ],
)
def test_a_card_against_a_direction_is_refused_naming_it(
    name: str, bins: tuple[Bin, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_directions(_edited(name, bins=bins))


def test_an_edited_fitted_card_is_refused(fitted: FitResult, tmp_path: Path) -> None:
    text = fitted.path.read_text()
    start = text.index('name = "overdue_bills"')
    bins_at = text.index("bins = [", start)
    end = text.index("]\n", bins_at)
    edited = (
        text[:bins_at]
        + (
            "bins = [\n"
            "    { lower = 0, upper = 1, points_at_lower = 0, points_at_upper = 0 },\n"
            "    { lower = 1, upper = inf, points_at_lower = 9, points_at_upper = 9 },\n"
        )
        + text[end:]
    )
    path = tmp_path / "edited.toml"
    path.write_text(edited)
    with pytest.raises(ValueError, match="overdue_bills"):
        check_directions(load_scorecard(path))


# ----------------------------------------------------------------------------- binning rare facts


def test_rare_derogatory_facts_keep_their_own_bin() -> None:
    """A fact 0.4% of users have, with three times the bad rate: optbinning's default
    min_prebin_size (5%) leaves it in one bin with IV 0; the fit's parameters split none from
    one or more."""
    from optbinning import OptimalBinning

    rng = np.random.default_rng(0)
    n = 20_000
    fact = (rng.random(n) < 0.004).astype(int) * rng.integers(1, 3, n)
    bad = (rng.random(n) < np.where(fact > 0, 0.15, 0.04)).astype(int)
    default = OptimalBinning("deliberate_defaults", monotonic_trend="ascending").fit(fact, bad)
    assert len(default.splits) == 0  # one bin: IV 0, no points
    params = _binning_params(
        "deliberate_defaults", DIRECTIONS["deliberate_defaults"], fact.astype(float), bad
    )
    fitted = OptimalBinning("deliberate_defaults", **params).fit(fact, bad)
    assert fitted.splits[0] == 0.5
    table = fitted.binning_table
    rates = table.build()["Event rate"]
    assert table.iv > 0.005
    assert rates.iloc[1] > rates.iloc[0]  # one or more: a higher bad rate than none


# ------------------------------------------------------------------------- the nightly imports


def test_the_nightly_never_imports_the_fitting_libraries() -> None:
    code = (
        "import json, sys\n"
        "import sesame.flows.nightly, sesame.scoring, sesame.reports\n"
        "import sesame.transforms.scorecard, sesame.transforms.directions\n"
        "print(json.dumps(sorted(m for m in ('optbinning', 'sklearn', 'pandas') "
        "if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
