"""Data shown to a person as data: control and direction-changing characters made visible, and
long text cut, for the terminal and the HTML page (the CSV and Parquet files keep every value
whole)."""

from __future__ import annotations

import re

# C0 and C1 controls and DEL (terminal escape sequences start with one), and the Unicode
# marks that reorder text on screen (U+202E, the right-to-left override, can disguise a name)
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
ELLIPSIS = "…"


def visible(text: str, limit: int | None = None) -> str:
    """``text`` with every invisible or reordering character written as ``\\uXXXX``, cut to
    ``limit`` characters (an ellipsis and the full length after a cut)."""
    shown = _INVISIBLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    if limit is not None and len(shown) > limit:
        return f"{shown[:limit]}{ELLIPSIS} ({len(text):,} characters)"
    return shown
