"""The contract's required directions (section 3, "Required directions"), as data in one home.

Each characteristic of the card gets the direction the contract requires of its points when a
user differs in that characteristic alone:

- ``higher is better strictly``: points never fall as the value rises, and the best points are
  above the worst (the contract's "strictly higher for the user who ...");
- ``not lower``: points never fall as the value rises (they may stay flat);
- ``lower is better strictly``: points never rise as the value rises, and the best are above the
  worst ("strictly lower for the user who has ...");
- ``not higher``: points never rise as the value rises;
- ``unconstrained``: the contract says nothing (history length, activity).

``step`` names the one comparison the contract makes explicitly for a fact, as (from, to): the
points at ``to`` must be strictly above those at ``from``. For a derogatory fact it is (1, 0):
"none" must score above "one or more". ``check_directions`` enforces all of it on a card; the fitter
calls it before it writes a card, and ``load_scorecard`` before it accepts one. A characteristic
this table does not know is unconstrained (a new characteristic must be added here on purpose).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

HIGHER_STRICT = "higher is better strictly"
NOT_LOWER = "not lower"
LOWER_STRICT = "lower is better strictly"
NOT_HIGHER = "not higher"
UNCONSTRAINED = "unconstrained"
KINDS = (HIGHER_STRICT, NOT_LOWER, LOWER_STRICT, NOT_HIGHER, UNCONSTRAINED)
# points closer than this are equal (guards float noise in sloped bins)
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Direction:
    """What the contract requires of one characteristic's points."""

    kind: str
    contract: str  # the contract's words this direction comes from
    step: tuple[float, float] | None = None  # (from, to): points(to) > points(from), strictly

    @property
    def strict(self) -> bool:
        """Whether the characteristic must move the score (a fit must keep it)."""
        return self.kind in (HIGHER_STRICT, LOWER_STRICT)

    @property
    def rising(self) -> bool | None:
        """True when points may only rise with the value, False when only fall, None if free."""
        if self.kind in (HIGHER_STRICT, NOT_LOWER):
            return True
        if self.kind in (LOWER_STRICT, NOT_HIGHER):
            return False
        return None


NONE_VS_SOME = (1.0, 0.0)  # a derogatory fact: none scores strictly above one or more

DIRECTIONS: dict[str, Direction] = {
    "overdue_bills": Direction(
        LOWER_STRICT, "strictly lower for the user who has an overdue bill", NONE_VS_SOME
    ),
    "weighted_overdue_days": Direction(
        LOWER_STRICT, "strictly lower for an overdue bill: the longer overdue, the lower"
    ),
    "deliberate_defaults": Direction(
        LOWER_STRICT,
        "strictly lower for a deliberate default (lower than an ordinary overdue)",
        NONE_VS_SOME,
    ),
    "credit_repaid_bills": Direction(
        HIGHER_STRICT, "strictly higher for the user who uses and repays huabei or jiebei", (0, 1)
    ),
    "card_repaid_bills": Direction(NOT_LOWER, "not lower for the user who repays a bound card"),
    "history_months": Direction(UNCONSTRAINED, "the contract does not constrain history length"),
    "negative_legal_records": Direction(
        LOWER_STRICT, "strictly lower for a counting negative record", NONE_VS_SOME
    ),
    "negative_financial_records": Direction(
        LOWER_STRICT, "strictly lower for a counting negative record", NONE_VS_SOME
    ),
    "negative_life_records": Direction(
        LOWER_STRICT, "strictly lower for a counting negative record", NONE_VS_SOME
    ),
    "profile_items": Direction(
        HIGHER_STRICT, "strictly higher for the user who has a complete profile", (6, 7)
    ),
    "phone_changes": Direction(
        LOWER_STRICT, "strictly lower for frequent phone changes in 12 months (several vs none)"
    ),
    "address_changes": Direction(
        LOWER_STRICT, "strictly lower for frequent address changes in 12 months (several vs none)"
    ),
    "assets_value_cny": Direction(NOT_LOWER, "not lower for the user who holds more assets"),
    "salary_months": Direction(NOT_LOWER, "not lower for the user who has steadier income"),
    "receipt_confirmed_share": Direction(
        HIGHER_STRICT, "strictly higher for the user who confirms receipts"
    ),
    "living_payment_months": Direction(
        HIGHER_STRICT,
        "strictly higher for the user who pays utility, phone or rent bills through the platform",
        (0, 1),
    ),
    "active_months": Direction(UNCONSTRAINED, "the contract does not constrain activity"),
    "loan_applications_recent": Direction(
        NOT_HIGHER, "not higher for more loan applications in the last 30 days"
    ),
    "risk_events": Direction(
        LOWER_STRICT, "strictly lower for the user who has a platform violation", NONE_VS_SOME
    ),
    # The score is only "not lower" for friends with higher scores, but "the relationships
    # sub-score is strictly higher", and this is that dimension's only characteristic: its points
    # must move, so it is strict here.
    "friends_mean_score": Direction(
        HIGHER_STRICT,
        "not lower for friends with higher scores, and the relationships sub-score strictly higher",
    ),
}


def _path(bins: Any) -> list[tuple[float, float]]:
    """(value, points) along the bins in rising value: each bin's two ends (the open end of the
    last bin is flat, so its lower end stands for it)."""
    points: list[tuple[float, float]] = []
    for current in bins:
        points.append((current.lower, current.points_at_lower))
        if not math.isinf(current.upper):
            points.append((current.upper, current.points_at_upper))
    return points


def check_directions(card: Any) -> None:
    """Raises ``ValueError`` naming the first characteristic of ``card`` (a ``Scorecard``) whose
    points move against the contract's required direction, or that a strict direction requires
    to move and does not."""
    for characteristic in card.characteristics:
        direction = DIRECTIONS.get(characteristic.name)
        if direction is None or direction.rising is None:
            continue
        name = characteristic.name
        path = _path(characteristic.bins)
        sign = 1.0 if direction.rising else -1.0
        for (low_value, low), (high_value, high) in itertools.pairwise(path):
            if sign * (high - low) < -TOLERANCE:
                raise ValueError(
                    f"{name}: points go {'down' if direction.rising else 'up'} from {low:g} at "
                    f"{low_value:g} to {high:g} at {high_value:g}, against the contract's "
                    f"direction ({direction.kind}: {direction.contract})"
                )
        if not direction.strict:
            continue
        values = [points for _, points in path]
        if max(values) - min(values) <= TOLERANCE:
            raise ValueError(
                f"{name}: its best and worst points are equal ({values[0]:g}), but the contract "
                f"requires it to move the score ({direction.kind}: {direction.contract})"
            )
        if direction.step is not None:
            worse, better = direction.step
            at_worse, at_better = characteristic.points(worse), characteristic.points(better)
            if at_better - at_worse <= TOLERANCE:
                raise ValueError(
                    f"{name}: {better:g} scores {at_better:g} and {worse:g} scores {at_worse:g}, "
                    f"but the contract requires {better:g} to score strictly more "
                    f"({direction.kind}: {direction.contract})"
                )
