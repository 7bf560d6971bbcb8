"""A first run's history starts one month-end early (``lead_in_month_end``): a snapshot reads
the friends' published scores from before its date, so the first date a warehouse scores has
none, and the validation month-end must not be that date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sesame.scoring import lead_in_month_end
from sesame.settings import Settings
from sesame.warehouse import connect_read_only
from tests import pipeline
from tests.builders import Exports, at

S = date(2025, 10, 31)
LEAD_IN = date(2025, 9, 30)
D = date(2026, 6, 30)


def exports(registered: date = date(2023, 1, 1)) -> Exports:
    made = Exports()
    for user_id in range(1, 9):
        made.active_user(user_id, D, registered=registered)
    for user_id in range(1, 8):
        made.friend(user_id, user_id + 1, at(date(2024, 1, 1)))
    return made


def _settings(tmp_path: Path, name: str) -> Settings:
    return Settings(warehouse=tmp_path / name / "warehouse", input=tmp_path / name / "exports")


def _lead_in(settings: Settings, dates: list[date]) -> date | None:
    con = connect_read_only(settings)
    try:
        return lead_in_month_end(con, dates)
    finally:
        con.close()


def _friends_scores(settings: Settings, day: date) -> list[object]:
    frame = pipeline.query(
        settings,
        "select friends_mean_score from dimension_aggregates where snapshot_date = $d "
        "order by user_id",
        {"d": day},
    )
    return frame["friends_mean_score"].to_list()


def test_an_empty_warehouse_gets_the_month_end_before_its_earliest_date(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "empty")
    pipeline.run(settings, [], exports())
    assert _lead_in(settings, [date(2026, 5, 31), S, date(2026, 1, 31)]) == LEAD_IN
    assert _lead_in(settings, []) is None


def test_a_snapshot_before_the_history_needs_no_lead_in(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "held")
    pipeline.run(settings, [date(2025, 8, 31)], exports())
    assert _lead_in(settings, [S]) is None


def test_exports_that_do_not_reach_back_get_no_lead_in(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "young")
    pipeline.run(settings, [], exports(registered=date(2025, 10, 10)))
    assert _lead_in(settings, [S]) is None


def test_without_the_lead_in_the_first_date_has_no_friends_score(tmp_path: Path) -> None:
    alone, led = _settings(tmp_path, "alone"), _settings(tmp_path, "led")
    pipeline.run(alone, [S], exports())
    pipeline.run(led, [LEAD_IN, S], exports())
    assert set(_friends_scores(alone, S)) == {None}
    with_lead_in = _friends_scores(led, S)
    assert sum(score is not None for score in with_lead_in) == 7  # users 1-7 have a friend
