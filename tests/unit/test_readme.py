"""The README documents the model that runs: its scorecard tables equal the card's."""

from __future__ import annotations

from sesame.settings import PROJECT_DIR, Settings
from sesame.transforms.scorecard import load_scorecard, scorecard_markdown


def test_readme_scorecard_tables_match_the_card() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    start = readme.index("<!-- scorecard:start -->") + len("<!-- scorecard:start -->")
    end = readme.index("<!-- scorecard:end -->")
    assert readme[start:end].strip() == scorecard_markdown(load_scorecard()).strip()


def test_readme_lists_every_setting() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    for name in Settings.model_fields:
        assert f"`SESAME_{name.upper()}`" in readme
