"""Champion and challenger (contract section 5): a challenger card scores the same requests into
challenger_snapshots, never into the published score_snapshots."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sesame.settings import Settings
from sesame.transforms.scorecard import HAND_SET_SCORECARD, load_scorecard
from tests import pipeline
from tests.builders import Exports

D = date(2026, 6, 30)


def test_a_challenger_scores_the_same_users_and_is_never_published(tmp_path: Path) -> None:
    settings = Settings(
        warehouse=tmp_path / "warehouse",
        input=tmp_path / "exports",
        challenger_card=HAND_SET_SCORECARD,
    )
    exports = Exports()
    for user_id in range(1, 6):
        exports.active_user(user_id, D)
    exports.bill(2, date(2026, 6, 1), paid=None)
    pipeline.run(settings, [D], exports)
    champion = pipeline.query(settings, "select * from score_snapshots order by user_id")
    challenger = pipeline.query(settings, "select * from challenger_snapshots order by user_id")
    assert challenger["user_id"].to_list() == champion["user_id"].to_list()
    assert set(champion["model_version"]) == {load_scorecard().model_version}
    assert set(challenger["model_version"]) == {load_scorecard(HAND_SET_SCORECARD).model_version}
    assert challenger["published_score"].is_null().all()  # a challenger is never published
    # the challenger's own points: the hand-set card on the same features
    assert challenger["score"].to_list() != champion["score"].to_list()
    assert challenger["score"][1] < challenger["score"][0]  # the overdue user scores lower
    # scoring the date again replaces the challenger's rows, never doubles them
    pipeline.run(settings, [D])
    again = pipeline.query(settings, "select count(*) as n from challenger_snapshots")
    assert again["n"][0] == challenger.height


def test_an_incremental_night_carries_the_challenger_s_rows_of_the_users_it_carries(
    tmp_path: Path,
) -> None:
    settings = Settings(
        warehouse=tmp_path / "warehouse",
        input=tmp_path / "exports",
        challenger_card=HAND_SET_SCORECARD,
    )
    previous, day = date(2026, 6, 14), date(2026, 6, 15)  # the same month: D is incremental
    exports = Exports()
    for user_id in range(1, 6):
        exports.active_user(user_id, previous)
    pipeline.run(settings, [previous, day], exports)
    rows = {
        table: pipeline.query(
            settings,
            f"select user_id, snapshot_date, score, reasons, carried_from from {table} "
            "order by user_id, snapshot_date",
        )
        for table in ("score_snapshots", "challenger_snapshots")
    }
    for table, frame in rows.items():
        at_day = frame.filter(frame["snapshot_date"] == day)
        assert at_day["user_id"].to_list() == [1, 2, 3, 4, 5], table
        carried = at_day.filter(at_day["carried_from"] == previous)
        assert carried.height > 0, f"{table}: no row carried"
        before = frame.filter(frame["snapshot_date"] == previous)
        for row in carried.iter_rows(named=True):
            then = before.filter(before["user_id"] == row["user_id"]).row(0, named=True)
            assert (row["score"], row["reasons"]) == (then["score"], then["reasons"]), table
    # the challenger carries the same users as the champion
    carried_users = [
        set(f.filter(f["carried_from"] == previous)["user_id"].to_list()) for f in rows.values()
    ]
    assert carried_users[0] == carried_users[1]
