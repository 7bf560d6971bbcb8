"""The fast pipeline helper scores a small hand-made export end to end."""

from __future__ import annotations

from datetime import date

from sesame.settings import Settings
from tests import pipeline
from tests.builders import Exports

D = date(2026, 6, 30)


def test_active_user_is_scored(settings: Settings, exports: Exports) -> None:
    exports.active_user(1, D)
    pipeline.run(settings, [D], exports)
    row = pipeline.snapshot(settings, D)[1]
    assert row["score"] is not None
    assert 350 <= row["score"] <= 950
    assert row["published_score"] == row["score"]
