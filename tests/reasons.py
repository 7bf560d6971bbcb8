"""An independent, row-by-row statement of the reason rule (contract section 3, version 2), for
tests: each code's sort key for one user's features, in plain Python."""

from __future__ import annotations

import itertools
from typing import Any

from sesame.reason_codes import ADVERSE_FACTS
from sesame.transforms.scorecard import Characteristic, Scorecard

EPSILON = 1e-9


def _worst(c: Characteristic) -> float:
    return min(min(b.points_at_lower, b.points_at_upper) for b in c.bins)


def reason_keys(card: Scorecard, row: dict[str, Any]) -> dict[str, tuple[int, float]]:
    """Per code (card order of first appearance): (1 for an adverse fact the user has, 0 for a
    code below its reference, -1 for one only below its best; the points it costs: against
    having none, below the reference, below the best)."""
    keys: dict[str, tuple[int, float]] = {}
    codes: dict[str, list[Characteristic]] = {}
    for c in card.characteristics:
        codes.setdefault(c.reason_code, []).append(c)
    for code, characteristics in codes.items():
        points = {c.name: c.points(row[c.name]) for c in characteristics}
        below_best = sum(c.best_points - points[c.name] for c in characteristics)
        kind = ADVERSE_FACTS.get(code)
        if kind == "below_best":
            present = below_best > EPSILON
        elif kind == "at_worst":
            present = any(
                points[c.name] <= _worst(c) + EPSILON and _worst(c) < c.best_points
                for c in characteristics
            )
        else:
            present = False
        if present and below_best > EPSILON:
            keys[code] = (1, below_best)
            continue
        reference = sum(
            max(
                (c.mean_points if c.mean_points is not None else c.best_points) - points[c.name],
                0.0,
            )
            for c in characteristics
        )
        if reference > EPSILON:
            keys[code] = (0, reference)
        else:  # only below its best: fills a free place
            keys[code] = (
                -1,
                sum(max(c.best_points - points[c.name], 0.0) for c in characteristics),
            )
    return keys


def check_reasons(card: Scorecard, row: dict[str, Any], reasons: list[str]) -> None:
    """``reasons`` are the (up to) four largest keys, largest first, ties in card order."""
    keys = reason_keys(card, row)
    order = list(keys)
    losing = [code for code, key in keys.items() if key[1] > EPSILON]
    assert len(reasons) == min(4, len(losing)), (row, reasons, keys)
    assert len(set(reasons)) == len(reasons), reasons
    assert all(code in losing for code in reasons), (reasons, keys)

    def before(a: tuple[int, float], b: tuple[int, float]) -> bool:  # a ranks at or above b
        return a[0] > b[0] or (a[0] == b[0] and a[1] >= b[1] - EPSILON)

    for a, b in itertools.pairwise(reasons):
        assert before(keys[a], keys[b]), (reasons, keys)
        if keys[a][0] == keys[b][0] and abs(keys[a][1] - keys[b][1]) <= EPSILON:
            assert order.index(a) < order.index(b), (reasons, keys)
    if reasons:
        last = reasons[-1]
        for code in losing:
            if code not in reasons:
                assert before(keys[last], keys[code]), (code, reasons, keys)
