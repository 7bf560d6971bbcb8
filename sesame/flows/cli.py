"""The ``sesame`` command. Commands that need no orchestration never import Prefect."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.logging import RichHandler
from rich.table import Table
from rich.text import Text

from sesame import rules
from sesame.dates import yesterday
from sesame.display import OneLineFormatter, console, is_terminal, number, visible
from sesame.errors import SesameError, UsageError
from sesame.runs_text import print_reports, print_summary
from sesame.settings import Settings

app = typer.Typer(
    name="sesame",
    help="Nightly consumer credit scoring over warehouse exports (data contract v2).",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish
    pretty_exceptions_enable=False,
)
out = console()
err = console(stderr=True)


def _print_version(value: bool) -> None:
    if not value:
        return
    from sesame import __version__
    from sesame.schema import CONTRACT_VERSION
    from sesame.transforms.scorecard import load_scorecard

    out.print(
        f"sesame {__version__}, data contract v{CONTRACT_VERSION}, "
        f"champion card {load_scorecard().model_version}",
        soft_wrap=True,
    )
    raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="print sesame's version, the data contract's and the champion card's, and exit",
        ),
    ] = False,
) -> None:
    """Nightly consumer credit scoring over warehouse exports (data contract v2)."""


WarehouseOption = Annotated[
    Path | None,
    typer.Option(
        "--warehouse", help="warehouse directory \\[default: warehouse/]", show_default=False
    ),
]
InputOption = Annotated[
    Path | None,
    typer.Option(
        "--input",
        help="export directory \\[default: the bundled sample_data/ in a clone, else exports/]",
    ),
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="snapshot date D, YYYY-MM-DD \\[default: yesterday]")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="print errors only")]
VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="debug lines, Prefect's own logs, and tracebacks on errors"
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="score each date's user partitions on a local Dask cluster of N worker processes",
    ),
]
DaskAddressOption = Annotated[
    str | None,
    typer.Option(
        "--dask-address",
        help="score each date's user partitions on the existing Dask cluster at ADDR "
        "(tcp://host:8786); its workers need the warehouse directory and PREFECT_API_URL",
    ),
]
ChallengerOption = Annotated[
    Path | None,
    typer.Option(
        "--challenger",
        help="a challenger scorecard TOML, scored beside the champion into challenger_snapshots "
        "(never published) \\[default: SESAME_CHALLENGER_CARD]",
    ),
]
AllowStaleOption = Annotated[
    bool,
    typer.Option(
        "--allow-stale",
        help="publish although a table's latest event is older than its freshness limit "
        "(a deliberate backfill); the run record says so",
    ),
]
FullOption = Annotated[
    bool,
    typer.Option(
        "--full",
        help="score every user again, with no row carried from the day before (after a change "
        "of sesame's rules or a suspected drift; a new card does it by itself) "
        "\\[default: SESAME_FULL_RESCORE]",
    ),
]
CELL_LIMIT = 500  # characters of one value a terminal table shows (the rest: --format csv)
# set by the command; main() prints a traceback for unexpected errors when it is on
_VERBOSE = {"on": False}
PREFECT_SERVICE_LOGGERS = ("EventsWorker", "APILogWorker")  # prefect._internal.concurrency.services


@contextlib.contextmanager
def _users_progress(users: int) -> Iterator[Callable[[int], None]]:
    """A bar on a terminal; elsewhere (a log, a pipe) a timed line per chunk of users."""
    if is_terminal(sys.stderr):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeElapsedColumn(), console=err) as progress:
            bar = progress.add_task("generating users", total=users)
            yield lambda n: progress.advance(bar, n)
        return
    _log_progress(quiet=False)
    done = [0]

    def advance(n: int) -> None:
        done[0] += n
        logging.getLogger("sesame.generate").info(
            "generated %s of %s users", f"{done[0]:,}", f"{users:,}"
        )

    yield advance


def _cell(value: object) -> str:
    """A value of a terminal table: floats rounded for reading, text made visible and cut."""
    if isinstance(value, float):
        return number(value)
    return visible(str(value), CELL_LIMIT)


def _log_progress(quiet: bool, verbose: bool = False) -> None:
    """Progress lines (one per step, table ingested and date scored) on stderr."""
    if quiet and verbose:
        raise UsageError("--quiet and --verbose exclude each other")
    _VERBOSE["on"] = verbose
    handler: logging.Handler
    if is_terminal(sys.stderr):
        handler = RichHandler(
            console=err, show_path=verbose, show_level=verbose, markup=False, log_time_format="%X"
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:  # a log file or a pipe: one event per line, each with its ISO time
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(OneLineFormatter(verbose))
    logger = logging.getLogger("sesame")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    logger.propagate = False
    if verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    else:
        # Prefect's background services log under their class names, outside PREFECT_LOGGING_LEVEL:
        # a run that ends while events are still queued (a busy machine) printed "EventsWorker -
        # Still processing items" above the run's own one-line outcome. --verbose keeps them.
        for service in PREFECT_SERVICE_LOGGERS:
            logging.getLogger(service).setLevel(logging.ERROR)


class Every(StrEnum):
    month_end = "month-end"
    day = "day"


def _settings(
    warehouse: Path | None = None, input_dir: Path | None = None, **overrides: Any
) -> Settings:
    from pydantic import ValidationError

    if warehouse is not None:
        overrides["warehouse"] = warehouse
    if input_dir is not None:
        overrides["input"] = input_dir
    from sesame.settings import ConfigFileError

    try:
        return Settings(**overrides)
    except ConfigFileError as error:
        raise UsageError(str(error)) from None
    except ValidationError as error:
        problems = "; ".join(
            (f"SESAME_{'_'.join(str(p) for p in e['loc']).upper()}: " if e["loc"] else "")
            + e["msg"].removeprefix("Value error, ")
            for e in error.errors()
        )
        raise UsageError(f"bad setting: {problems}") from None


def _date(value: str | None, option: str, *, allow_today: bool = False) -> date:
    """A date option; ``allow_today`` for the commands that only read (explain, validate)."""
    if value is None:
        return yesterday()
    if len(value) != 10:
        raise UsageError(f"{option} {value!r} is not a date of the form YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise UsageError(f"{option} {value!r} is not a valid date (YYYY-MM-DD)") from error
    if day > date.today():
        raise UsageError(f"{option} {day} is in the future: a snapshot needs the day to be over")
    if day == date.today() and not allow_today:
        raise UsageError(
            f"{option} {day} is today: a snapshot needs the day to be over (yesterday, "
            "the default, is the latest date a run can score)"
        )
    return day


def _cluster_options(workers: int | None, dask_address: str | None) -> dict[str, Any]:
    """The settings of ``--workers`` / ``--dask-address`` (over SESAME_WORKERS and
    SESAME_DASK_ADDRESS: an option given on the command line replaces both)."""
    if workers is not None and dask_address is not None:
        raise UsageError(
            "--workers (a local Dask cluster) and --dask-address (an existing one) exclude "
            "each other"
        )
    if workers is None and dask_address is None:
        return {}
    return {"workers": workers, "dask_address": dask_address}


def _run_flow(kind: str, settings: Settings, **parameters: Any) -> Any:
    """Runs one flow. Without PREFECT_API_URL, against a Prefect API server started for this
    run as a child that dies with the process (see sesame.flows.prefect_server). With
    ``workers`` or ``dask_address``, on Prefect's Dask task runner (see sesame.cluster)."""
    from sesame.cluster import check_cluster, is_distributed
    from sesame.flows.prefect_env import configure_prefect, prefect_api

    _check_paths(kind, settings)  # before Prefect starts (10-30 s) and before anything is created
    distributed = kind != "report" and is_distributed(settings)  # reports score nothing
    if distributed:
        if not _VERBOSE["on"]:  # Dask logs each worker's start and stop at INFO
            os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
        check_cluster(settings)  # fails fast when the cluster does not answer

    configure_prefect(settings)
    with prefect_api(services=False):
        from sesame.flows.nightly import (
            backfill_flow,
            ingest_flow,
            nightly_flow,
            rebuild_flow,
            report_flow,
        )

        flows: dict[str, Any] = {
            "rebuild": rebuild_flow,
            "nightly": nightly_flow,
            "backfill": backfill_flow,
            "report": report_flow,
            "ingest": ingest_flow,
        }
        return flows[kind](settings=settings, **parameters)


def _check_paths(kind: str, settings: Settings) -> None:
    """Refuses a missing export or warehouse folder at once, creating nothing (exit 2)."""
    if kind != "report" and not settings.input.is_dir():
        what = "no such directory" if not settings.input.exists() else "not a directory"
        raise UsageError(
            f"--input {settings.input}: {what} (the export directory, one folder per table)"
        )
    if settings.warehouse.exists() and not settings.warehouse.is_dir():
        raise UsageError(f"--warehouse {settings.warehouse}: not a directory")


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
    _log_progress(quiet, verbose)
    settings = _settings(
        warehouse,
        input_dir,
        **_cluster_options(workers, dask_address),
        **_challenger_option(challenger),
        **({"full_rescore": True} if full else {}),
    )
    summary = _run_flow("nightly", settings, as_of=_date(as_of, "--as-of"), allow_stale=allow_stale)
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

    _log_progress(quiet, verbose)
    first, last = _date(start, "--start"), _date(end, "--end")
    if first > last:
        raise UsageError(f"--start {first} is after --end {last}")
    if every is Every.day:
        dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    else:
        dates = month_ends_between(first, last)
    if not dates:
        raise UsageError(f"no month-end lies between {first} and {last}; use --every day")
    settings = _settings(
        warehouse,
        input_dir,
        **_cluster_options(workers, dask_address),
        **_challenger_option(challenger),
    )
    summary = _run_flow(
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
    _log_progress(quiet, verbose)
    settings = _settings(warehouse, input_dir, **_challenger_option(challenger))
    day = _date(as_of, "--as-of")
    from sesame.warehouse import has_snapshot

    if not has_snapshot(settings, day):
        raise UsageError(
            f"the warehouse has no snapshots for {day}: run `sesame nightly --as-of {day}` "
            "or `sesame backfill` first"
        )
    summary = _run_flow("report", settings, as_of=day)
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
    _log_progress(quiet, verbose)
    settings = _settings(warehouse, input_dir)
    summary = _run_flow(
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

    settings = _settings(warehouse)
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
            table.add_row(*(Text("NULL" if v is None else _cell(v)) for v in row))
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

    settings = _settings(warehouse)
    day = _date(as_of, "--as-of", allow_today=True) if as_of else None
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

    _log_progress(quiet)
    settings = _settings(warehouse, input_dir, **_challenger_option(challenger))
    con = connect_read_only(settings)
    try:
        day = _date(as_of, "--as-of", allow_today=True) if as_of else _latest_scored_date(con)
        s = _date(snapshot, "--snapshot") if snapshot else None
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


def _latest_scored_date(con: Any) -> date:
    rows = con.execute("select max(snapshot_date) from snapshot_dates").fetchall()
    if rows[0][0] is None:
        raise SesameError("the warehouse holds no snapshot yet: run `sesame nightly` first")
    return rows[0][0]


def _challenger_option(path: Path | None) -> dict[str, Any]:
    """``--challenger``: a card that loads (checked before any run starts), or nothing."""
    if path is None:
        return {}
    from sesame.transforms.scorecard import load_scorecard

    if not path.is_file():
        raise UsageError(f"--challenger {path}: no such card file")
    try:
        load_scorecard(path)
    except (ValueError, KeyError, OSError) as error:
        raise UsageError(f"--challenger {path}: not a valid scorecard: {error}") from None
    return {"challenger_card": path}


@app.command()
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
    last = _date(end, "--end")
    first = None if as_of is None else _date(as_of, "--as-of")
    if first is not None and first > last:
        raise UsageError(f"--as-of {first} is after --end {last}")
    if shock is not None:
        try:
            date.fromisoformat(f"{shock}-01")
        except ValueError:
            raise UsageError(f"--shock {shock!r} is not a month of the form YYYY-MM") from None
    started = time.perf_counter()
    try:
        with _users_progress(users) as advance:
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
        with _users_progress(generated_users(out_dir)) as advance:
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


@app.command()
def serve(
    input_dir: InputOption = None,
    warehouse: WarehouseOption = None,
    cron: Annotated[
        str | None,
        typer.Option("--cron", help="schedule, cron syntax \\[default: 0 2 * * *, daily at 02:00]"),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="IANA time zone of the schedule \\[default: UTC]"),
    ] = None,
    port: Annotated[
        int, typer.Option("--port", help="port of the embedded Prefect server and its UI")
    ] = 4200,
    workers: WorkersOption = None,
    dask_address: DaskAddressOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Serve the nightly flow on its schedule with Prefect (each run scores the previous day).

    Without PREFECT_API_URL it starts Prefect's server itself (embedded, state under the
    warehouse, UI on --port); with it, it uses that server (e.g. `prefect server start`).
    With --workers or --dask-address, each scheduled run scores on that Dask cluster."""
    _log_progress(False, verbose)
    schedule: dict[str, Any] = {}
    if cron is not None:
        schedule["schedule_cron"] = cron
    if timezone is not None:
        schedule["schedule_timezone"] = timezone
    settings = _settings(
        warehouse, input_dir, **schedule, **_cluster_options(workers, dask_address)
    )
    # scheduled runs start in Prefect's working directory: absolute paths
    settings = settings.model_copy(
        update={"warehouse": settings.warehouse.resolve(), "input": settings.input.resolve()}
    )
    from sesame.flows.prefect_env import configure_prefect, prefect_api

    # scheduled runs log through Prefect (to the UI), sesame's progress lines included
    os.environ["PREFECT_LOGGING_EXTRA_LOGGERS"] = "sesame"
    os.environ["PREFECT_LOGGING_LEVEL"] = "DEBUG" if verbose else "INFO"
    configure_prefect(settings)
    embedded = "PREFECT_API_URL" not in os.environ
    if settings.dask_address is not None:
        from sesame.cluster import check_cluster

        check_cluster(settings)  # before serving: a schedule that would fail every night
    if (settings.workers or settings.dask_address) and not verbose:
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    # the server first: Prefect reads PREFECT_API_URL when it is imported
    with prefect_api(services=True, port=port) as api_url:
        from prefect import serve as prefect_serve

        from sesame.flows.serve import build_deployment, next_run

        _ON_STOP["said"] = "stopped serving; a run in progress published nothing"

        deployment = build_deployment(settings)
        start, scores = next_run(settings)
        err.print(
            f"serving sesame-nightly on '{settings.schedule_cron}' ({settings.schedule_timezone}) "
            f"for {settings.warehouse}{_cluster_phrase(settings)}; Prefect API {api_url}"
            + (" (embedded; UI at " + api_url.removesuffix("/api") + ")" if embedded else "")
            + f". Next run {start:%Y-%m-%d %H:%M} {settings.schedule_timezone} (scores {scores}). "
            "Ctrl-C stops.",
            soft_wrap=True,
        )
        prefect_serve(deployment, print_starting_message=False)


@app.command()
def fit(
    dev: Annotated[str, typer.Option("--dev", help="development snapshot S1, YYYY-MM-DD")],
    oot: Annotated[str, typer.Option("--oot", help="out-of-time snapshot S2, YYYY-MM-DD")],
    out_path: Annotated[Path, typer.Option("--out", help="card file to write")] = Path(
        "scorecard_v2.toml"
    ),
    warehouse: WarehouseOption = None,
    version: Annotated[
        str, typer.Option("--version", help="model_version of the new card")
    ] = "scorecard-v2",
    contract_floor: Annotated[
        float | None,
        typer.Option(
            "--contract-floor",
            min=1,
            help="points for a characteristic the contract requires to move the score but the "
            "data cannot support \\[default: refuse the fit]",
        ),
    ] = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Fit a new card from outcomes (contract section 5): dev S1, out-of-time S2. No Prefect."""
    try:
        from sesame.fitting import fit_scorecard
    except ImportError as error:
        raise UsageError(
            f"sesame fit needs the optional extra `fit` ({error.name} is missing): "
            "pip install -e '.[fit]'"
        ) from None

    _log_progress(quiet, verbose)
    settings = _settings(warehouse)
    first, second = _date(dev, "--dev"), _date(oot, "--oot")
    result = fit_scorecard(
        settings.database_path(),
        first,
        second,
        out_path,
        model_version=version,
        contract_floor=contract_floor,
    )
    if quiet:
        return
    out.print(f"[bold]sesame fit[/bold] {result.model_version} written to {result.path}")
    out.print(
        f"S1 {result.dev_snapshot}: {result.dev_users:,} users, {result.dev_bads:,} bad, "
        f"Gini {result.dev_gini:.3f}; S2 {result.oot_snapshot}: {result.oot_users:,} users, "
        f"{result.oot_bads:,} bad, Gini {result.oot_gini:.3f} (a default optbinning card: "
        f"{result.baseline_oot_gini:.3f}; gradient-boosted trees: "
        f"{result.trees_oot_gini:.3f})"
    )
    scaling = result.scaling
    out.print(
        f"scaling: {scaling['method']}, {scaling['odds']:g}:1 good:bad at {scaling['score']:g}, "
        f"odds double every {scaling['pdo']:g} points; possible scores "
        f"{result.min_score}..{result.max_score}; calibration P(bad) = 1 / (1 + exp(-("
        f"{result.calibration[0]:.4f} + {result.calibration[1]:.6f} x score)))"
    )
    table = Table(title="Information value on S1")
    table.add_column("characteristic")
    table.add_column("IV", justify="right")
    table.add_column("points")
    for name, value in sorted(result.iv.items(), key=lambda item: -item[1]):
        table.add_row(name, f"{value:.4f}", "fitted" if name in result.kept else "no / floor")
    out.print(table)
    out.print(f"fingerprint {result.data_fingerprint[:16]}, {result.seconds:.1f} s")


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
    from sesame.warehouse import connect_read_only

    settings = _settings(warehouse)
    con = connect_read_only(settings)
    try:
        if table is None:
            listed = con.execute(
                "select table_name, estimated_size, comment from duckdb_tables() "
                "where database_name = current_database() and schema_name = 'main' "
                "order by table_name"
            ).fetchall()
            shown = Table(title=f"Tables of {settings.database_path()}")
            for column in ("table", "rows (estimated)", "what it holds"):
                shown.add_column(column, justify="right" if column.startswith("rows") else "left")
            for name, size, comment in listed:
                shown.add_row(Text(visible(name)), f"{size:,}", Text(comment or "-"))
            out.print(shown)
            out.print(Text("a table's columns: sesame describe TABLE"))
            return
        columns = con.execute(
            "select column_name, data_type, comment from duckdb_columns() "
            "where database_name = current_database() and schema_name = 'main' "
            "and table_name = $t order by column_index",
            {"t": table},
        ).fetchall()
        if not columns:
            names = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
            import difflib

            close = difflib.get_close_matches(table, names, n=3)
            hint = (
                f"; did you mean {', '.join(close)}?" if close else ": sesame describe lists them"
            )
            raise UsageError(f"the warehouse has no table {visible(table)!r}{hint}")
        comment = con.execute(
            "select comment from duckdb_tables() where database_name = current_database() "
            "and schema_name = 'main' and table_name = $t",
            {"t": table},
        ).fetchall()[0][0]
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

    settings = _settings(warehouse)
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

    settings = _settings(warehouse)
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

    _log_progress(quiet, verbose)
    settings = _settings(warehouse, input_dir)
    dates = kept_snapshot_dates(settings)
    if not dates:
        raise UsageError(
            f"no Parquet snapshot copies in {settings.warehouse / 'score_snapshots'}: nothing "
            "to rebuild from (run `sesame nightly` to start a warehouse)"
        )
    summary = _run_flow("rebuild", settings, as_of=dates[-1], dates=dates)
    if not quiet:
        print_summary(out, summary, settings)
        print_reports(out, summary)


def _cluster_phrase(settings: Settings) -> str:
    if settings.workers is not None:
        return f", scoring on a local Dask cluster of {settings.workers} workers"
    if settings.dask_address is not None:
        return f", scoring on the Dask cluster at {settings.dask_address}"
    return ""


# what a stop signal is said to have stopped (``sesame serve`` mostly waits for its schedule)
_ON_STOP = {"said": "nothing was published"}


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
            err.print(f"[red]interrupted[/red] ({stopped_by}): {_ON_STOP['said']}")
            sys.exit(exit_code(stopped_by))  # 130 for SIGINT (Ctrl-C), 143 for SIGTERM
        if isinstance(error, SesameError):
            err.print("[red]error:[/red] ", end="")
            err.print(str(error), soft_wrap=True, markup=False)
            sys.exit(error.exit_code)
        if not isinstance(error, Exception):
            raise  # SystemExit (typer's exit codes), GeneratorExit
        # an unexpected failure: one line, the traceback with --verbose
        if _VERBOSE["on"]:
            err.print_exception()
        err.print("[red]error:[/red] ", end="")
        err.print(
            f"unexpected {type(error).__name__}: {error} "
            "(nothing was published; --verbose shows the traceback)",
            soft_wrap=True,
            markup=False,
        )
        sys.exit(1)
