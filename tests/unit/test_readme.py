"""The README documents the model and settings that run: its generated sections match the code."""

from __future__ import annotations

import pytest

from sesame.docs import SECTIONS, section
from sesame.settings import PROJECT_DIR, Settings


@pytest.mark.parametrize("name", list(SECTIONS))
def test_readme_generated_section_matches_the_code(name: str) -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    assert section(readme, name).strip() == SECTIONS[name]().strip(), "run `make docs`"


def test_readme_lists_every_setting() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    for name in Settings.model_fields:
        assert f"`SESAME_{name.upper()}`" in readme
