"""The briefing's borrowing-risk sections name the watched score from its setting, the one home
of that threshold (SESAME_BORROWING_RISK_MIN_SCORE), not a number written into the template."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sesame.briefing import render_briefing
from sesame.ingest import ingest_exports
from sesame.reports import build_reports
from sesame.scoring import score_date
from sesame.settings import Settings
from sesame.transforms.scorecard import load_scorecard
from sesame.warehouse import building, warehouse_lock
from tests.builders import Exports

DATES = [date(2026, 5, 31), date(2026, 6, 30)]


@pytest.mark.parametrize("threshold", [650, 720])
def test_the_briefing_names_the_watched_score_from_its_setting(
    tmp_path: Path, threshold: int
) -> None:
    settings = Settings(
        warehouse=tmp_path / "warehouse",
        input=tmp_path / "exports",
        borrowing_risk_min_score=threshold,
    )
    exports = Exports()
    for user_id in range(1, 4):
        exports.active_user(user_id, DATES[-1], months=16)
    exports.write(settings.input)
    card = load_scorecard()
    with warehouse_lock(settings), building(settings, "threshold") as con:
        ingest_exports(con, settings.input, "threshold")
        for day in DATES:
            score_date(con, settings, card, day, "threshold")
        build_reports(con, settings, card, DATES[-1])
        html = render_briefing(con, settings, DATES[-1])
    assert f"Borrowing risk among {threshold}+" in html
    assert f"{threshold}+ at borrowing risk" in html
    assert "700+" not in html
