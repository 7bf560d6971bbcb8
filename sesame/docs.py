"""Generated README sections (`make docs`): the scorecard, the settings and the warehouse's
tables, from the code and sesame/catalog.toml.

``tests/unit/test_readme.py`` fails when the README no longer matches, so the documented model
is always the model that runs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sesame.settings import PROJECT_DIR, Settings
from sesame.transforms.scorecard import load_scorecard, scorecard_markdown

DEFAULT_SHOWN = {
    "warehouse": "warehouse/",
    "input": "the bundled sample_data/ in a clone, else exports/",
    "prefect_home": "<warehouse>/.prefect",
    "threads": "all cores",
    "user_partitions": "users / users_per_partition",
    "workers": "none (one process)",
    "dask_address": "none",
}


def settings_markdown() -> str:
    """Every SESAME_* setting with its default and meaning."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = DEFAULT_SHOWN.get(name, field.default)
        lines.append(f"| `SESAME_{name.upper()}` | {default} | {field.description} |")
    return "\n".join(lines)


def _tables() -> str:
    from sesame.catalog import tables_markdown

    return tables_markdown(load_scorecard())


SECTIONS = {
    "scorecard": lambda: scorecard_markdown(load_scorecard()),
    "settings": settings_markdown,
    "tables": _tables,
}


def section(text: str, name: str) -> str:
    """The text between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    match = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, flags=re.S)
    if match is None:
        raise ValueError(f"README has no {name} section markers")
    return match.group(1)


def update_readme(path: Path = PROJECT_DIR / "README.md") -> None:
    text = path.read_text(encoding="utf-8")
    for name, render in SECTIONS.items():
        old = section(text, name)
        start = text.index(f"<!-- {name}:start -->\n") + len(f"<!-- {name}:start -->\n")
        text = text[:start] + render().strip() + "\n" + text[start + len(old) :]
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    update_readme(Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_DIR / "README.md")
