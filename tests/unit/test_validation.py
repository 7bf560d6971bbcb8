"""The validation statistics against independent computations: AUC from every (good, bad) pair,
KS from a scan of every threshold, PSI from a frame worked out by hand, bands by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
import pytest

from sesame.transforms.scorecard import load_scorecard
from sesame.transforms.validation import (
    EMPTY_SHARE,
    bootstrap_gini,
    characteristic_bins,
    cumulative_accuracy,
    rank_order_breaks,
    ranking,
    score_bands,
    stability_index,
)


def pairs_auc(scores: list[float], bad: list[int]) -> float:
    """P(a good scores above a bad) + half P(tie), over every (good, bad) pair."""
    goods = [s for s, b in zip(scores, bad, strict=True) if not b]
    bads = [s for s, b in zip(scores, bad, strict=True) if b]
    wins = sum(1.0 if g > b else 0.5 if g == b else 0.0 for g, b in itertools.product(goods, bads))
    return wins / (len(goods) * len(bads))


def scan_ks(scores: list[float], bad: list[int]) -> float:
    """max over every threshold t of |share of bads <= t - share of goods <= t|."""
    goods = [s for s, b in zip(scores, bad, strict=True) if not b]
    bads = [s for s, b in zip(scores, bad, strict=True) if b]
    return max(
        abs(sum(b <= t for b in bads) / len(bads) - sum(g <= t for g in goods) / len(goods))
        for t in sorted(set(scores))
    )


@pytest.mark.parametrize(
    ("scores", "bad", "gini"),
    [
        ([700, 650, 600, 550], [0, 0, 1, 1], 1.0),  # every bad below every good
        ([550, 600, 650, 700], [0, 0, 1, 1], -1.0),  # every bad above every good
        ([600, 600, 600, 600], [0, 1, 0, 1], 0.0),  # all tied: no ranking at all
        # goods 700, 600, 500 and bads 650, 550: pairs won 2 + 1 of 6 -> AUC 0.5, Gini 0
        ([700, 650, 600, 550, 500], [0, 1, 0, 1, 0], 0.0),
        # goods 700, 650 and bads 650, 500: wins 1 + 0.5 + 1 + 1 of 4 -> AUC 0.875, Gini 0.75
        ([700, 650, 650, 500], [0, 0, 1, 1], 0.75),
    ],
)
def test_gini_on_frames_worked_out_by_hand(scores: list[int], bad: list[int], gini: float) -> None:
    assert ranking(scores, bad).gini == pytest.approx(gini)


def test_auc_gini_and_ks_equal_the_pairwise_and_threshold_scans_on_random_scores() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        n = int(rng.integers(5, 80))
        scores = rng.integers(350, 400, n).tolist()  # many ties
        bad = (rng.random(n) < 0.3).astype(int).tolist()
        if sum(bad) in (0, n):
            continue
        result = ranking(scores, bad)
        assert result.auc == pytest.approx(pairs_auc(scores, bad))
        assert result.gini == pytest.approx(2 * pairs_auc(scores, bad) - 1)
        assert result.ks == pytest.approx(scan_ks(scores, bad))
        assert (result.users, result.bads) == (n, sum(bad))


def test_a_sample_without_bads_or_goods_has_no_statistics() -> None:
    assert ranking([600, 700], [0, 0]).gini is None
    assert ranking([600, 700], [1, 1]).auc is None
    assert bootstrap_gini([600, 700], [0, 0], samples=10) == (None, None)


def test_the_bootstrap_interval_is_reproducible_and_holds_the_estimate() -> None:
    rng = np.random.default_rng(2)
    scores = rng.integers(350, 950, 3000)
    bad = (rng.random(3000) < 1 / (1 + np.exp((scores - 520) / 60))).astype(int)
    low, high = bootstrap_gini(scores, bad, samples=200)
    assert (low, high) == bootstrap_gini(scores, bad, samples=200)
    gini = ranking(scores, bad).gini
    assert low is not None and high is not None and gini is not None
    assert low < gini < high
    assert high - low < 0.2
    # the interval matches a bootstrap that resamples user indices directly
    direct = []
    other = np.random.default_rng(9)
    for _ in range(300):
        pick = other.integers(0, scores.size, scores.size)
        direct.append(ranking(scores[pick], bad[pick]).gini)
    low_direct, high_direct = np.quantile(direct, [0.025, 0.975])
    assert low == pytest.approx(low_direct, abs=0.03)
    assert high == pytest.approx(high_direct, abs=0.03)


def test_psi_equals_the_sum_worked_out_by_hand() -> None:
    # bins a, b, c: actual 50% / 30% / 20%, expected 25% / 25% / 50%
    actual = pl.Series("bin", ["a"] * 5 + ["b"] * 3 + ["c"] * 2)
    expected = pl.Series("bin", ["a"] + ["b"] + ["c"] * 2)
    by_hand = sum((a - e) * math.log(a / e) for a, e in ((0.5, 0.25), (0.3, 0.25), (0.2, 0.5)))
    assert stability_index(actual, expected) == pytest.approx(by_hand)
    assert stability_index(expected, expected) == pytest.approx(0.0)


def test_an_empty_bin_counts_with_the_floor_share() -> None:
    actual = pl.Series("bin", ["a", "b"])
    expected = pl.Series("bin", ["a", "a"])
    by_hand = (0.5 - 1.0) * math.log(0.5 / 1.0) + (0.5 - EMPTY_SHARE) * math.log(0.5 / EMPTY_SHARE)
    assert stability_index(actual, expected) == pytest.approx(by_hand)


def test_score_bands_count_users_and_bads_per_50_points() -> None:
    sample = pl.LazyFrame(
        {
            "score": [549, 550, 599, 600, 649, 650],
            "bad": [1, 1, 0, 0, 1, 0],
            "predicted_bad_rate": [0.2, 0.1, 0.1, 0.05, 0.05, None],
        }
    )
    bands = score_bands(sample).collect().to_dicts()
    assert [(b["band_low"], b["users"], b["bads"]) for b in bands] == [
        (500, 1, 1),
        (550, 2, 1),
        (600, 2, 1),
        (650, 1, 0),
    ]
    assert [b["bad_rate"] for b in bands] == [1.0, 0.5, 0.5, 0.0]
    assert bands[1]["predicted_bad_rate"] == pytest.approx(0.1)
    assert bands[3]["predicted_bad_rate"] is None


def test_a_rank_order_break_is_where_bad_rate_does_not_fall() -> None:
    bands = pl.DataFrame(
        {
            "band_low": [500, 550, 600, 650, 700, 750],
            "users": [200, 200, 50, 200, 200, 200],
            "bads": [40, 20, 30, 30, 0, 0],
            "bad_rate": [0.2, 0.1, 0.6, 0.15, 0.0, 0.0],
        }
    )
    # 600 has too few users to judge; 550 -> 650 rises; 700 -> 750: both without a bad
    breaks = rank_order_breaks(bands, min_users=100)
    assert len(breaks) == 1
    assert "band 550" in breaks[0] and "band 650" in breaks[0]


def test_the_cap_curve_runs_from_nothing_to_every_bad() -> None:
    curve = cumulative_accuracy([350, 400, 800, 900], [1, 1, 0, 0], points=4)
    assert curve[0] == {"share_users": 0.0, "share_bads": 0.0}
    assert [p["share_bads"] for p in curve] == [0.0, 0.5, 1.0, 1.0, 1.0]
    assert curve[-1]["share_users"] == 1.0


def test_characteristics_fall_in_the_card_s_bins() -> None:
    card = load_scorecard()
    overdue = card.characteristic("overdue_bills")
    frame = pl.LazyFrame(
        {c.name: [None] * 3 for c in card.characteristics}
        | {"overdue_bills": [0, 1, 12], "receipt_confirmed_share": [None, 0.95, 1.0]},
        schema={c.name: pl.Float64 for c in card.characteristics},
    )
    labels = characteristic_bins(frame, card=card).collect()
    assert labels["overdue_bills"].to_list() == [0, 1, len(overdue.bins) - 1]
    assert labels["receipt_confirmed_share"][0] == -1  # missing
