"""``sesame generate``: synthetic exports that follow the contract, or one more night of them.

Registered on the app by sesame.flows.cli, in the order ``sesame --help`` lists.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from sesame.errors import UsageError
from sesame.flows.cli_common import (
    out,
    parse_date,
    users_progress,
)


def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="directory to write the exports to")],
    users: Annotated[
        int | None, typer.Option("--users", min=1, help="number of users (not with --next-day)")
    ] = None,
    months: Annotated[int, typer.Option("--months", min=1, help="months of history")] = 24,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    end: Annotated[
        str | None,
        typer.Option("--end", help="last day of the generated world \\[default: yesterday]"),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="write the exports as they stood at the end of this day of the window, to grow "
            "them with --next-day up to --end \\[default: --end]",
        ),
    ] = None,
    next_day: Annotated[
        bool,
        typer.Option(
            "--next-day",
            help="add the next day to --out: its new and corrected rows as new files, as "
            "upstream delivers a night (the other options come from the folder)",
        ),
    ] = False,
    shock: Annotated[
        str | None,
        typer.Option(
            "--shock",
            help="YYYY-MM: from that month on, every user's latent credit quality drops by 0.5 "
            "(a population shock)",
        ),
    ] = None,
    truth: Annotated[
        bool,
        typer.Option(
            "--truth/--no-truth",
            help="write each user's true probability of going bad beside the exports "
            "(_truth/user_months/, not a contract table)",
        ),
    ] = True,
) -> None:
    """Write synthetic exports that follow the contract (same seed, same files), and the
    generator's truth beside them; or grow such exports by one night (--next-day)."""
    import time

    from sesame.synthetic import generate_exports

    if next_day:
        given = [
            name
            for name, value in (
                ("--users", users),
                ("--end", end),
                ("--as-of", as_of),
                ("--shock", shock),
            )
            if value is not None
        ]
        if given:
            raise UsageError(
                f"--next-day takes the generation's parameters from {out_dir}; "
                f"leave out {', '.join(given)}"
            )
        _generate_next_day(out_dir)
        return
    if users is None:
        raise UsageError("--users is required (or --next-day to grow an existing folder)")
    last = parse_date(end, "--end")
    first = None if as_of is None else parse_date(as_of, "--as-of")
    if first is not None and first > last:
        raise UsageError(f"--as-of {first} is after --end {last}")
    if shock is not None:
        try:
            date.fromisoformat(f"{shock}-01")
        except ValueError:
            raise UsageError(f"--shock {shock!r} is not a month of the form YYYY-MM") from None
    started = time.perf_counter()
    try:
        with users_progress(users) as advance:
            rows = generate_exports(
                out_dir,
                users=users,
                months=months,
                seed=seed,
                end=last,
                shock=shock,
                truth=truth,
                on_progress=advance,
                as_of=first,
            )
    except ValueError as error:
        raise UsageError(str(error)) from None
    elapsed = time.perf_counter() - started
    total = sum(rows.values())
    table = Table(title=f"Exports written to {out_dir}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in rows.items():
        table.add_row(name, f"{count:,}")
    out.print(table)
    out.print(f"{total:,} rows in {elapsed:.1f} s ({total / max(elapsed, 1e-9):,.0f} rows/s)")
    if truth:
        out.print(
            Text(f"truth: {out_dir / '_truth' / 'user_months'}/ (pd_12m per user and month-end)")
        )
    if first is not None and first < last:
        out.print(
            f"the exports as they stood at the end of {first}; the generated world runs to {last}"
        )
        out.print(f"grow them night by night: sesame generate --out {out_dir} --next-day")


def _generate_next_day(out_dir: Path) -> None:
    import time

    from sesame.synthetic import generate_next_day, generated_users

    if not out_dir.is_dir():
        raise UsageError(f"--out {out_dir} is not a folder of generated exports")
    started = time.perf_counter()
    try:
        with users_progress(generated_users(out_dir)) as advance:
            added = generate_next_day(out_dir, on_progress=advance)
    except ValueError as error:
        raise UsageError(str(error)) from None
    elapsed = time.perf_counter() - started
    table = Table(title=f"New files of {added.day}")
    table.add_column("table")
    table.add_column("new rows", justify="right")
    table.add_column("corrected rows", justify="right")
    for name, count in added.new_rows.items():
        table.add_row(name, f"{count:,}", f"{added.corrected_rows[name]:,}")
    out.print(table)
    left = f"{added.days_left} more day(s) to its end" if added.days_left else "its last day"
    out.print(f"{elapsed:.1f} s; {out_dir} now shows the end of {added.day} ({left})")
    out.print(f"score it: sesame nightly --input {out_dir} --as-of {added.day}")
