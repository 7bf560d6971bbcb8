"""The ``sesame`` command. Commands that need no orchestration never import Prefect."""

from __future__ import annotations

import os
import sys
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from sesame import rules
from sesame.display import visible
from sesame.errors import SesameError, UsageError
from sesame.flows.cli_common import (
    ON_STOP,
    VERBOSE,
    AllowStaleOption,
    AsOfOption,
    ChallengerOption,
    DaskAddressOption,
    Every,
    FullOption,
    InputOption,
    QuietOption,
    VerboseOption,
    WarehouseOption,
    WorkersOption,
    app,
    cell,
    challenger_option,
    cluster_options,
    err,
    latest_scored_date,
    log_progress,
    make_settings,
    out,
    parse_date,
    run_flow,
)
from sesame.flows.cli_fit import fit
from sesame.flows.cli_generate import generate
from sesame.flows.cli_serve import serve
from sesame.runs_text import print_reports, print_summary


@app.command()
def nightly(
    as_of: AsOfOption = None,
    input_dir: InputOption = None,
    warehouse: WarehouseOption = None,
    workers: WorkersOption = None,
    dask_address: DaskAddressOption = None,
    challenger: ChallengerOption = None,
    allow_stale: AllowStaleOption = False,
    full: FullOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Ingest, validate, aggregate, score and snapshot for D (and any missing month-ends).

    A night scores again only the users whose snapshot can have changed since the day before
    and carries the others' rows forward (carried_from says since when); --full scores all."""
    log_progress(quiet, verbose)
    settings = make_settings(
        warehouse,
        input_dir,
        **cluster_options(workers, dask_address),
        **challenger_option(challenger),
        **({"full_rescore": True} if full else {}),
    )
    summary = run_flow(
        "nightly", settings, as_of=parse_date(as_of, "--as-of"), allow_stale=allow_stale
    )
    if not quiet:
        print_summary(out, summary, settings)
        print_reports(out, summary)


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--start", help="first date, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="last date, YYYY-MM-DD")],
    every: Annotated[Every, typer.Option("--every", help="which dates")] = Every.month_end,
    input_dir: InputOption = None,
    warehouse: WarehouseOption = None,
    workers: WorkersOption = None,
    dask_address: DaskAddressOption = None,
    challenger: ChallengerOption = None,
    allow_stale: AllowStaleOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Snapshots for past dates, point in time, oldest first."""
    from sesame.dates import month_ends_between

    log_progress(quiet, verbose)
    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    if first > last:
        raise UsageError(f"--start {first} is after --end {last}")
    if every is Every.day:
        dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    else:
        dates = month_ends_between(first, last)
    if not dates:
        raise UsageError(f"no month-end lies between {first} and {last}; use --every day")
    settings = make_settings(
        warehouse,
        input_dir,
        **cluster_options(workers, dask_address),
        **challenger_option(challenger),
    )
    summary = run_flow(
        "backfill", settings, start=first, end=last, dates=dates, allow_stale=allow_stale
    )
    if not quiet:
        print_summary(out, summary, settings)


@app.command()
def report(
    as_of: AsOfOption = None,
    warehouse: WarehouseOption = None,
    input_dir: InputOption = None,
    challenger: ChallengerOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Write the reports for D again, from the warehouse's snapshots (--input: where the
    generator's truth file is, for the oracle Gini)."""
    log_progress(quiet, verbose)
    settings = make_settings(warehouse, input_dir, **challenger_option(challenger))
    day = parse_date(as_of, "--as-of")
    from sesame.warehouse import has_snapshot

    if not has_snapshot(settings, day):
        raise UsageError(
            f"the warehouse has no snapshots for {day}: run `sesame nightly --as-of {day}` "
            "or `sesame backfill` first"
        )
    summary = run_flow("report", settings, as_of=day)
    if not quiet:
        print_reports(out, summary)


@app.command()
def ingest(
    accept_changed: Annotated[
        list[str] | None,
        typer.Option(
            "--accept-changed",
            help="a delivered export file whose change you accept (repeatable; the path "
            "relative to --input, as the error names it): its rows are replaced by its new "
            "content, in its original place in the delivery order",
        ),
    ] = None,
    input_dir: InputOption = None,
    warehouse: WarehouseOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Ingest the exports now (and accept changed delivered files), scoring nothing."""
    log_progress(quiet, verbose)
    settings = make_settings(warehouse, input_dir)
    summary = run_flow(
        "ingest", settings, as_of=date.today(), accept_changed=list(accept_changed or [])
    )
    if not quiet:
        print_summary(out, summary, settings)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class Shown(StrEnum):
    text = "text"
    json = "json"


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="one read-only query (select, with, describe...)")],
    warehouse: WarehouseOption = None,
    output_format: Annotated[
        Format | None,
        typer.Option("--format", help="how to print \\[default: table; csv with --output]"),
    ] = None,
    max_rows: Annotated[
        int,
        typer.Option(
            "--max-rows",
            min=1,
            help="most rows printed (table, json, csv to the terminal; stderr says when more "
            "were cut); --output takes every row",
        ),
    ] = 10_000,
    output_file: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="write every row as CSV to FILE (private, 0600; whole or not at all), "
            "not in the warehouse",
        ),
    ] = None,
    timeout: Annotated[
        int, typer.Option("--timeout", min=1, help="seconds before the query is stopped")
    ] = 300,
) -> None:
    """Run a query on the warehouse read-only and print the result (within a time limit, the
    memory limit and a row cap; it spills outside the warehouse). score_snapshot_history holds
    every date's published snapshots (the database keeps month-ends and the last 35 days)."""
    from sesame.adhoc import csv_text, fetch_rows, write_csv

    settings = make_settings(warehouse)
    if output_file is not None:
        if output_format not in (None, Format.csv):
            raise UsageError(
                f"--output writes CSV; --format {output_format} prints to the terminal: "
                "use --format csv (or leave --format out) with --output"
            )
        rows = write_csv(settings, query, output_file, timeout=timeout)
        err.print(Text(f"{rows:,} row(s) written to {output_file}"), soft_wrap=True)
        return
    import polars as pl

    result = fetch_rows(settings, query, max_rows=max_rows, timeout=timeout)
    frame = pl.from_arrow(result.table)
    assert isinstance(frame, pl.DataFrame)
    if output_format is Format.csv:
        sys.stdout.write(csv_text(result.table))
    elif output_format is Format.json:
        sys.stdout.write(frame.write_json() + "\n")
    else:
        table = Table(show_lines=False)
        for name in frame.columns:
            table.add_column(Text(visible(name)), overflow="fold")
        for row in frame.iter_rows():  # values as text: no markup, no escapes
            table.add_row(*(Text("NULL" if v is None else cell(v)) for v in row))
        out.print(table)
        if not result.cut:
            out.print(f"{frame.height:,} row(s)")
    if result.cut:
        err.print(
            Text(
                f"first {max_rows:,} of more rows shown; use --max-rows N or "
                "--format csv --output FILE for all"
            ),
            soft_wrap=True,
        )


@app.command()
def explain(
    user_id: Annotated[int, typer.Argument(help="the user to explain")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="date \\[default: the latest snapshot]")
    ] = None,
    target: Annotated[
        int | None,
        typer.Option(
            "--target",
            min=rules.SCORE_MIN,
            max=rules.SCORE_MAX,
            help="a score to reach: the fewest actions that reach it, or when time would",
        ),
    ] = None,
    output_format: Annotated[
        Shown,
        typer.Option("--format", help="text for a person, json (reason codes) for a program"),
    ] = Shown.text,
    warehouse: WarehouseOption = None,
) -> None:
    """One user's score, sub-scores, reasons in plain words, what changed since the previous
    snapshot, and score history; with --target, a plan to reach that score."""
    from sesame.explain import Plan, explain_user, plan_user
    from sesame.explain_text import print_explanation, print_plan
    from sesame.transforms.scorecard import load_scorecard
    from sesame.warehouse import connect_read_only

    settings = make_settings(warehouse)
    day = parse_date(as_of, "--as-of", allow_today=True) if as_of else None
    card = load_scorecard()
    plan: Plan | None = None
    con = connect_read_only(settings)
    try:
        explanation = explain_user(con, card, user_id, day)
        if target is not None:
            plan = plan_user(con, card, settings, user_id, target, day)
    finally:
        con.close()
    if output_format is Shown.json:
        import dataclasses
        import json

        document = dataclasses.asdict(explanation) | {
            "asked_date": day,
            "plan": None if plan is None else dataclasses.asdict(plan),
        }
        sys.stdout.write(json.dumps(document, default=str, indent=2) + "\n")
        return
    print_explanation(out, explanation, day)
    if plan is not None:
        print_plan(out, plan)


@app.command()
def validate(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="report date D \\[default: the latest scored date]"),
    ] = None,
    snapshot: Annotated[
        str | None,
        typer.Option(
            "--snapshot",
            help="the snapshot date S to validate \\[default: the latest month-end whose "
            "12-month window closed by D]",
        ),
    ] = None,
    warehouse: WarehouseOption = None,
    input_dir: InputOption = None,
    challenger: ChallengerOption = None,
    quiet: QuietOption = False,
) -> None:
    """Does the score rank risk? Gini, KS, bad rate by band and stability, champion and
    challenger side by side (contract section 5). Read-only; never starts Prefect."""
    from sesame.scoring import challenger_cards
    from sesame.transforms.scorecard import load_scorecard
    from sesame.validation import validate as validate_models
    from sesame.validation_text import bands_table, performance_table, stability_table
    from sesame.warehouse import connect_read_only

    log_progress(quiet)
    settings = make_settings(warehouse, input_dir, **challenger_option(challenger))
    con = connect_read_only(settings)
    try:
        day = parse_date(as_of, "--as-of", allow_today=True) if as_of else latest_scored_date(con)
        s = parse_date(snapshot, "--snapshot") if snapshot else None
        result = validate_models(
            con, settings, [load_scorecard(), *challenger_cards(settings)], day, s
        )
    finally:
        con.close()
    out.print(performance_table(result))
    for row in result.performance:
        if row["status"] != "ok":
            out.print(Text(f"{row['model_version']}: {row['status']}"))
    if result.bands:
        out.print(bands_table(result))
    if result.stability:
        out.print(stability_table(result))
    for warning in result.warnings:
        out.print(Text(f"warning: {warning}", style="yellow"))


# the commands that live in modules of their own, in the order `sesame --help` lists them
app.command()(generate)
app.command()(serve)
app.command()(fit)


@app.command()
def describe(
    table: Annotated[
        str | None, typer.Argument(help="a table \\[default: list every table]")
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """What the warehouse's tables and columns hold: the COMMENTs each run writes from
    sesame/catalog.toml (any DuckDB client sees them in duckdb_tables() and duckdb_columns()).
    Read-only; no Prefect."""
    from sesame.sqlmodels import relation
    from sesame.warehouse import connect_read_only

    settings = make_settings(warehouse)
    con = connect_read_only(settings)
    try:
        if table is None:
            listed = relation(con, "database/described_tables").fetchall()
            shown = Table(title=f"Tables of {settings.database_path()}")
            for column in ("table", "rows (estimated)", "what it holds"):
                shown.add_column(column, justify="right" if column.startswith("rows") else "left")
            for name, size, comment in listed:
                shown.add_row(Text(visible(name)), f"{size:,}", Text(comment or "-"))
            out.print(shown)
            out.print(Text("a table's columns: sesame describe TABLE"))
            return
        columns = relation(con, "database/described_columns", {"table": table}).fetchall()
        if not columns:
            names = [r[0] for r in relation(con, "database/table_names").fetchall()]
            import difflib

            close = difflib.get_close_matches(table, names, n=3)
            hint = (
                f"; did you mean {', '.join(close)}?" if close else ": sesame describe lists them"
            )
            raise UsageError(f"the warehouse has no table {visible(table)!r}{hint}")
        comment = relation(con, "database/table_comment", {"table": table}).fetchall()[0][0]
    finally:
        con.close()
    shown = Table(title=Text(f"{table}: {comment or '-'}"))
    for column in ("column", "type", "meaning"):
        shown.add_column(column)
    for name, kind, meaning in columns:
        shown.add_row(Text(visible(name)), kind, Text(meaning or "-"))
    out.print(shown)


@app.command()
def runs(
    last: Annotated[int, typer.Option("--last", min=1, help="most runs shown")] = 10,
    warehouse: WarehouseOption = None,
) -> None:
    """The run history, newest first: each run's command, date, status, time and error, from
    the warehouse's `runs` table and the records of runs that published nothing since (run_log/).
    Read-only; no Prefect."""
    from sesame.runs import run_history

    settings = make_settings(warehouse)
    rows = run_history(settings, last)
    table = Table(title=f"Last {len(rows)} run(s) of {settings.database_path()}, newest first")
    for column in ("started", "command", "as of", "status", "seconds", "users scored", "error"):
        table.add_column(
            column, justify="right" if column in ("seconds", "users scored") else "left"
        )
    for row in rows:
        finished = row["finished_at"]
        seconds = None if finished is None else (finished - row["started_at"]).total_seconds()
        table.add_row(
            f"{row['started_at']:%Y-%m-%d %H:%M:%S}",
            Text(visible(str(row["command"]))),
            str(row["as_of"] or "-"),
            Text(visible(str(row["status"]))),
            "-" if seconds is None else f"{seconds:,.1f}",
            f"{row['users_scored']:,}" if row["users_scored"] is not None else "-",
            Text(visible(str(row["error"] or ""), 160)),
        )
    out.print(table)


@app.command()
def restore(
    backup: Annotated[
        str | None,
        typer.Argument(help="the backup's file name (see --list) \\[default: the newest good one]"),
    ] = None,
    list_backups: Annotated[
        bool, typer.Option("--list", help="list the kept backups and restore nothing")
    ] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """Publish a kept backup of the warehouse again (each publish keeps the file it replaces,
    SESAME_BACKUPS_KEPT, default 2). The backup is read in full first; the file it replaces is
    kept too. No Prefect."""
    from sesame.recovery import kept_snapshot_dates
    from sesame.recovery import list_backups as kept_backups
    from sesame.recovery import restore as put

    settings = make_settings(warehouse)
    if list_backups:
        kept = kept_backups(settings)
        out.print(f"{len(kept)} backup(s) in {settings.warehouse / 'backups'}, newest first:")
        for item in kept:  # one line each: fits a log, a pipe and a narrow terminal
            latest = item.latest_snapshot or "none (the file does not open)"
            out.print(
                Text(
                    f"{item.name}  published {item.saved_at:%Y-%m-%d %H:%M:%S}  "
                    f"{item.size_bytes / 1e6:,.1f} MB  latest snapshot {latest}  "
                    f"last run {item.last_run or '-'}"
                ),
                soft_wrap=True,
            )
        return
    restored = put(settings, backup)
    out.print(
        f"restored {restored.backup.name} as {settings.database_path()} "
        f"(latest snapshot {restored.latest_snapshot})",
        soft_wrap=True,
    )
    if restored.replaced is not None:
        out.print(f"the file it replaced is kept as {restored.replaced.name}", soft_wrap=True)
    later = [
        d
        for d in kept_snapshot_dates(settings)
        if restored.latest_snapshot is None or d > restored.latest_snapshot
    ]
    if later:
        out.print(
            f"{len(later)} snapshot date(s) published after it ({later[0]} .. {later[-1]}) are "
            "only in the Parquet copies (score_snapshots/): `sesame rebuild` puts them back",
            soft_wrap=True,
        )


@app.command()
def rebuild(
    input_dir: InputOption = None,
    warehouse: WarehouseOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Recreate the warehouse from the exports and the Parquet snapshot copies: every date with
    a copy is scored again for its features and gets its published snapshots back unchanged,
    then the reports of the latest. The file it replaces is kept in backups/. Of the daily
    dates, those of the last SESAME_DAILY_HISTORY_DAYS days come back into the database (all
    month-ends do); older ones stay in their Parquet copies, as the nights left them."""
    from sesame.recovery import kept_snapshot_dates

    log_progress(quiet, verbose)
    settings = make_settings(warehouse, input_dir)
    dates = kept_snapshot_dates(settings)
    if not dates:
        raise UsageError(
            f"no Parquet snapshot copies in {settings.warehouse / 'score_snapshots'}: nothing "
            "to rebuild from (run `sesame nightly` to start a warehouse)"
        )
    summary = run_flow("rebuild", settings, as_of=dates[-1], dates=dates)
    if not quiet:
        print_summary(out, summary, settings)
        print_reports(out, summary)


def main() -> None:
    """Entry point: files private to the user, errors as one clear line and an exit code a
    scheduler can act on (see the README's exit codes)."""
    from sesame.flows.prefect_env import exit_code, stop_on_signals, stopping_signal

    os.umask(0o077)
    # SIGTERM (systemd, Kubernetes, kill) stops a run as Ctrl-C does: it unwinds, records the
    # run as interrupted and stops its Prefect server after it (see sesame.flows.prefect_env)
    stop_on_signals()
    try:
        app()
    except BaseException as error:  # typer turns KeyboardInterrupt into SystemExit(130)
        # after a stop signal any error is the stop's (DuckDB turns the interrupt into its own)
        stopped_by = stopping_signal(error)
        if stopped_by is not None:
            err.print(f"[red]interrupted[/red] ({stopped_by}): {ON_STOP['said']}")
            sys.exit(exit_code(stopped_by))  # 130 for SIGINT (Ctrl-C), 143 for SIGTERM
        if isinstance(error, SesameError):
            err.print("[red]error:[/red] ", end="")
            err.print(str(error), soft_wrap=True, markup=False)
            sys.exit(error.exit_code)
        if not isinstance(error, Exception):
            raise  # SystemExit (typer's exit codes), GeneratorExit
        # an unexpected failure: one line, the traceback with --verbose
        if VERBOSE["on"]:
            err.print_exception()
        err.print("[red]error:[/red] ", end="")
        err.print(
            f"unexpected {type(error).__name__}: {error} "
            "(nothing was published; --verbose shows the traceback)",
            soft_wrap=True,
            markup=False,
        )
        sys.exit(1)
