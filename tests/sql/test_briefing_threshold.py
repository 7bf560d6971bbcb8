"""The briefing names its thresholds from their one home: the watched score of the
borrowing-risk sections from its setting (SESAME_BORROWING_RISK_MIN_SCORE), the stuck months
from rules.py, never a number written into the template."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sesame import rules
from sesame.briefing import render_briefing
from sesame.reports import build_reports
from sesame.settings import Settings
from sesame.transforms.scorecard import load_scorecard
from sesame.warehouse import building, warehouse_lock
from tests import pipeline
from tests.builders import Exports

DATES = [date(2026, 5, 31), date(2026, 6, 30)]


def _briefing(tmp_path: Path, **settings_values: int) -> str:
    settings = Settings(
        warehouse=tmp_path / "warehouse", input=tmp_path / "exports", **settings_values
    )
    exports = Exports()
    for user_id in range(1, 4):
        exports.active_user(user_id, DATES[-1], months=16)
    pipeline.run(settings, DATES, exports)
    with warehouse_lock(settings), building(settings, "reports") as con:
        build_reports(con, settings, load_scorecard(), DATES[-1])
        return render_briefing(con, settings, DATES[-1])


@pytest.mark.parametrize("threshold", [650, 720])
def test_the_borrowing_risk_sections_name_the_watched_score_from_its_setting(
    tmp_path: Path, threshold: int
) -> None:
    html = _briefing(tmp_path, borrowing_risk_min_score=threshold)
    assert f"Borrowing risk among {threshold}+" in html
    assert f"{threshold}+ at borrowing risk" in html
    assert f"No user scoring {threshold} or more is flagged." in html  # none of the 3 is
    assert "700+" not in html and "700 or more" not in html


def test_the_stuck_sections_name_the_months_of_the_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rules, "STUCK_MONTHS", 5)  # the page reads the rule, not a copy of 7
    html = _briefing(tmp_path)
    assert "Stuck for 5 months or more" in html
    assert "stuck 5+ months" in html
    assert "has not risen for 5 months or more" in html
