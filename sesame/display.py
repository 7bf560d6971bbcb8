"""Data shown to a person as data: control and direction-changing characters made visible, and
long text cut, for the terminal and the HTML page (the CSV and Parquet files keep every value
whole)."""

from __future__ import annotations

import logging
import math
import os
import re
import sys
from datetime import UTC, datetime
from typing import TextIO

from rich.console import Console

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


def number(value: float) -> str:
    """A float for reading: four decimals at most, trailing zeros dropped (0.30000000000000004
    shows as 0.3), tiny and huge values in scientific notation. Files keep full precision."""
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return str(value)
    if 1e-3 <= abs(value) < 1e15:
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return f"{value:.3e}"


# A log file or a pipe gets lines as long as their content: a table as wide as its columns, a
# message on one line (a terminal gets rich's layout at its own width).
UNWRAPPED_WIDTH = 10_000


def is_terminal(stream: TextIO) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def console(*, stderr: bool = False) -> Console:
    """A rich console for stdout or stderr: the terminal's width on a terminal; on a pipe or a
    file no wrapping and no colour, unless COLUMNS asks for a width."""
    stream = sys.stderr if stderr else sys.stdout
    if is_terminal(stream) or "COLUMNS" in os.environ:
        return Console(stderr=stderr, highlight=False)
    return Console(
        stderr=stderr, highlight=False, width=UNWRAPPED_WIDTH, soft_wrap=True, no_color=True
    )


class OneLineFormatter(logging.Formatter):
    """``2026-12-02T01:25:43+00:00 message`` (with the level and the logger when verbose), a
    message's line breaks written as `` | ``: one event, one line, for logs and pipes."""

    def __init__(self, verbose: bool) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s" if verbose else "%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).astimezone().isoformat("T", "seconds")
        text = super().format(record).replace("\r\n", "\n").replace("\n", " | ")
        return f"{when} {text}"
