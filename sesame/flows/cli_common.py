"""What every ``sesame`` command shares: the Typer app, the consoles, the options, the settings
and dates they parse, progress and log set-up, running a flow."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.logging import RichHandler

from sesame.dates import yesterday
from sesame.display import OneLineFormatter, console, is_terminal, number, visible
from sesame.errors import SesameError, UsageError
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
VERBOSE = {"on": False}
PREFECT_SERVICE_LOGGERS = ("EventsWorker", "APILogWorker")  # prefect._internal.concurrency.services


@contextlib.contextmanager
def users_progress(users: int) -> Iterator[Callable[[int], None]]:
    """A bar on a terminal; elsewhere (a log, a pipe) a timed line per chunk of users."""
    if is_terminal(sys.stderr):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeElapsedColumn(), console=err) as progress:
            bar = progress.add_task("generating users", total=users)
            yield lambda n: progress.advance(bar, n)
        return
    log_progress(quiet=False)
    done = [0]

    def advance(n: int) -> None:
        done[0] += n
        logging.getLogger("sesame.generate").info(
            "generated %s of %s users", f"{done[0]:,}", f"{users:,}"
        )

    yield advance


def cell(value: object) -> str:
    """A value of a terminal table: floats rounded for reading, text made visible and cut."""
    if isinstance(value, float):
        return number(value)
    return visible(str(value), CELL_LIMIT)


def log_progress(quiet: bool, verbose: bool = False) -> None:
    """Progress lines (one per step, table ingested and date scored) on stderr."""
    if quiet and verbose:
        raise UsageError("--quiet and --verbose exclude each other")
    VERBOSE["on"] = verbose
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


def make_settings(
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


def parse_date(value: str | None, option: str, *, allow_today: bool = False) -> date:
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


def cluster_options(workers: int | None, dask_address: str | None) -> dict[str, Any]:
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


def run_flow(kind: str, settings: Settings, **parameters: Any) -> Any:
    """Runs one flow. Without PREFECT_API_URL, against a Prefect API server started for this
    run as a child that dies with the process (see sesame.flows.prefect_server). With
    ``workers`` or ``dask_address``, on Prefect's Dask task runner (see sesame.cluster)."""
    from sesame.cluster import check_cluster, is_distributed
    from sesame.flows.prefect_env import configure_prefect, prefect_api

    check_paths(kind, settings)  # before Prefect starts (10-30 s) and before anything is created
    distributed = kind != "report" and is_distributed(settings)  # reports score nothing
    if distributed:
        if not VERBOSE["on"]:  # Dask logs each worker's start and stop at INFO
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


def check_paths(kind: str, settings: Settings) -> None:
    """Refuses a missing export or warehouse folder at once, creating nothing (exit 2)."""
    if kind != "report" and not settings.input.is_dir():
        what = "no such directory" if not settings.input.exists() else "not a directory"
        raise UsageError(
            f"--input {settings.input}: {what} (the export directory, one folder per table)"
        )
    if settings.warehouse.exists() and not settings.warehouse.is_dir():
        raise UsageError(f"--warehouse {settings.warehouse}: not a directory")


def latest_scored_date(con: Any) -> date:
    from sesame.sqlmodels import relation

    rows = relation(con, "database/latest_snapshot_date").fetchall()
    if rows[0][0] is None:
        raise SesameError("the warehouse holds no snapshot yet: run `sesame nightly` first")
    return rows[0][0]


def challenger_option(path: Path | None) -> dict[str, Any]:
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


def cluster_phrase(settings: Settings) -> str:
    if settings.workers is not None:
        return f", scoring on a local Dask cluster of {settings.workers} workers"
    if settings.dask_address is not None:
        return f", scoring on the Dask cluster at {settings.dask_address}"
    return ""


# what a stop signal is said to have stopped (``sesame serve`` mostly waits for its schedule)
ON_STOP = {"said": "nothing was published"}
