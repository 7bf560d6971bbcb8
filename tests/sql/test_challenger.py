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
