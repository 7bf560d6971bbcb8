"""A run's summary as terminal text (nightly, backfill, report, ingest, rebuild). Values are
printed as text, never read as markup."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sesame.settings import Settings

if TYPE_CHECKING:  # the CLI imports this module at start: the run's modules load with a run
    from sesame.runs import RunSummary


def print_summary(out: Console, summary: RunSummary, settings: Settings) -> None:
    """A run's summary: what it ingested and scored, the tiers, and how to query the result."""
    from sesame.transforms.tiers import TIER_NAMES

    latest = summary.latest
    out.print(f"[bold]sesame {summary.command}[/bold] run {summary.run_id}")
    out.print(
        f"ingested {summary.files_ingested} new file(s), {summary.rows_ingested:,} rows, "
        f"{summary.rows_quarantined:,} quarantined"
    )
    if summary.dates:
        days = ", ".join(d.snapshot_date.isoformat() for d in summary.dates)
        out.print(f"scored {len(summary.dates)} date(s): {days}")
        if summary.latest is not None and summary.latest.rescored is not None:
            latest = summary.latest
            out.print(
                f"{latest.snapshot_date}: {latest.rescored:,} of {latest.users:,} users scored "
                f"again; the others' rows carried from {latest.carried_from} unchanged "
                "(--full scores all)"
            )
    if summary.empty_tables:
        out.print(
            Text(
                "empty export folders (scored without them): " + ", ".join(summary.empty_tables),
                style="yellow",
            )
        )
    stale = [f for f in summary.freshness.values() if f.is_stale]
    if stale:
        out.print(
            Text(
                "published from stale exports (--allow-stale): "
                + ", ".join(f"{f.table} latest {f.latest_event}" for f in stale),
                style="yellow",
            )
        )
    if latest is not None:
        table = Table(title=f"Users by tier on {latest.snapshot_date}")
        table.add_column("tier")
        table.add_column("users", justify="right")
        table.add_column("share", justify="right")
        for tier in TIER_NAMES:
            count = latest.tiers.get(tier, 0)
            share = count / latest.users if latest.users else 0.0
            table.add_row(tier, f"{count:,}", f"{share:.1%}")
        out.print(table)
        out.print(
            f"{latest.users - latest.unscorable:,} users scored, {latest.unscorable:,} unscorable"
        )
    database = settings.database_path().resolve()
    out.print(f"warehouse: {database}")
    # paths that work from any directory: the commands of this environment, the warehouse's
    bin_dir = Path(sys.executable).parent
    out.print(
        f'query it:  {bin_dir / "sesame"} sql "select tier, count(*) from score_snapshots '
        f"where snapshot_date = '{summary.as_of}' group by tier\" --warehouse {database.parent}",
        soft_wrap=True,
    )
    out.print(f"or:        {bin_dir / 'duckdb'} -readonly {database}", soft_wrap=True)


def print_reports(out: Console, summary: RunSummary) -> None:
    """The reports a run wrote: rows per report, the folder, the validation's warnings."""
    if summary.reports is None:
        return
    table = Table(title=f"Reports for {summary.reports.report_date}")
    table.add_column("report")
    table.add_column("rows", justify="right")
    for name, rows in summary.reports.rows.items():
        table.add_row(name, f"{rows:,}")
    out.print(table)
    if summary.report_folder is not None:
        out.print(f"files: {summary.report_folder}/ (CSV, Parquet; open index.html)")
    for warning in summary.reports.warnings:
        out.print(Text(f"validation warning: {warning}", style="yellow"))
