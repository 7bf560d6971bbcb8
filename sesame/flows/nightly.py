"""The Prefect flows: nightly, backfill and report. Wiring only; the work is in the tasks."""

from __future__ import annotations

import logging
import os
import time
import traceback
from datetime import date, datetime
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.futures import wait
from prefect.runtime import flow_run

from sesame import cluster
from sesame.catalog import write_comments
from sesame.dates import previous_day
from sesame.flows import tasks
from sesame.flows.prefect_env import stopping_signal
from sesame.reports import report_folder
from sesame.retention import kept_in_database
from sesame.runs import (
    RunSummary,
    insert_runs,
    new_run_id,
    read_run_logs,
    remove_run_logs,
    run_log_file,
    run_log_path,
    write_run_log,
)
from sesame.scoring import DateResult, challenger_cards
from sesame.settings import Settings
from sesame.transforms.scorecard import Scorecard, load_scorecard
from sesame.warehouse import building, building_connection, pause_point, warehouse_lock

log = logging.getLogger(__name__)


PRIVATE_UMASK = 0o077  # every file and folder a run creates is its user's alone


def _run(
    command: str,
    settings: Settings,
    as_of: date,
    dates: list[date],
    *,
    reports: bool,
    allow_stale: bool = False,
    accept_changed: tuple[str, ...] = (),
) -> RunSummary:
    """``_run_steps`` with files created private to the user, however the flow was started
    (the CLI sets the same umask; a flow called from Python or a deployment did not)."""
    previous = os.umask(PRIVATE_UMASK)
    try:
        return _run_steps(
            command,
            settings,
            as_of,
            dates,
            reports=reports,
            allow_stale=allow_stale,
            accept_changed=accept_changed,
        )
    finally:
        os.umask(previous)


def _run_steps(
    command: str,
    settings: Settings,
    as_of: date,
    dates: list[date],
    *,
    reports: bool,
    allow_stale: bool,
    accept_changed: tuple[str, ...],
) -> RunSummary:
    """Ingest, check freshness, score ``dates`` (nightly: missing month-ends, then ``as_of``),
    report, audit and publish: all on one private copy of the warehouse, published in one
    step. ``allow_stale``: publish from stale exports anyway (the run record says so);
    ``accept_changed``: delivered files whose change the operator accepts."""
    progress = logging.getLogger("sesame")
    if progress.level == logging.NOTSET:  # a scheduled run: the CLI did not set it up
        progress.setLevel(logging.INFO)
    card = load_scorecard()
    run_id = new_run_id(command, as_of)
    summary = RunSummary(run_id, command, as_of, str(settings.warehouse), card.model_version)
    moves: list[tuple[Path, Path]] = []  # written aside, moved in place on publish
    rebuilding = command == "rebuild"  # a new warehouse, published snapshots put back
    if rebuilding:  # every date scored from the features, none carried from the day before
        settings = settings.model_copy(update={"full_rescore": True})
    with warehouse_lock(settings), run_log_file(settings, run_id):
        write_run_log(settings, summary.row("running"))
        pause_point("started")
        try:
            # no local name for the connection: a failed run's traceback must not hold it
            with building(
                settings,
                run_id,
                summary.steps,
                moves,
                fresh=rebuilding,
                backup_label="-before-rebuild" if rebuilding else "",
                publish=False,
            ):
                if rebuilding:
                    tasks.carry_runs(run_id, settings)
                earlier_runs, earlier_logs = read_run_logs(settings, exclude=run_id)
                insert_runs(building_connection(run_id), earlier_runs)
                if command != "report":
                    with summary.step("ingest", settings):
                        summary.ingested = tasks.ingest(run_id, settings, accept_changed)
                if command in ("nightly", "backfill"):
                    summary.stale_accepted = allow_stale
                    summary.freshness = tasks.freshness(run_id, settings, as_of, allow_stale)
                if command == "nightly":
                    history = tasks.plan_history(
                        run_id,
                        as_of,
                        settings.history_months,
                        card.model_version,
                        [c.model_version for c in challenger_cards(settings)],
                    )
                    dates = [*history, as_of]
                with (
                    summary.step("score", settings),
                    cluster.scoring_runner(settings, dates) as runner,
                ):
                    for snapshot_date in dates:
                        result = _score(run_id, settings, card, snapshot_date, runner)
                        if rebuilding:  # the features scored again, the published rows kept
                            result = tasks.put_back_snapshots(run_id, settings, snapshot_date)
                        summary.dates.append(result)
                if not rebuilding:  # a rebuild's snapshots are their Parquet copies
                    with summary.step("parquet copies", settings):
                        moves += tasks.write_partitions(run_id, settings, dates)
                if reports:
                    with summary.step("reports", settings):
                        summary.reports = tasks.reports(run_id, settings, card, as_of)
                        folder = tasks.report_files(run_id, settings, as_of)
                        summary.report_folder = report_folder(settings, as_of)
                        moves.append((folder, summary.report_folder))
                if command in ("nightly", "backfill"):
                    with summary.step("history kept", settings):
                        tasks.keep_history(run_id, settings, dates)
                missing = write_comments(building_connection(run_id), card)
                if missing:  # a table or column the catalog does not describe yet
                    log.warning("sesame/catalog.toml lacks %s", ", ".join(missing))
                summary.record(building_connection(run_id))
                with summary.step("audit", settings):
                    tasks.audit(run_id)
            with summary.step("publish", settings):
                tasks.publish(run_id)
        except BaseException as error:
            summary.finished_at = datetime.now()
            stopped_by = stopping_signal(error)  # SIGINT, SIGTERM, or None
            if stopped_by is None:
                write_run_log(settings, summary.row("failed", _one_line(error)))
            else:
                message = f"interrupted ({stopped_by}); nothing was published"
                write_run_log(settings, summary.row("interrupted", message))
            _clear_frames_behind(error)
            raise
        remove_run_logs([*earlier_logs, run_log_path(settings, run_id)])
        log.info("published %s in %.1f s", settings.database_path(), summary.seconds)
    create_markdown_artifact(
        key=f"sesame-{command}", markdown=summary.markdown(), description=f"{command} {as_of}"
    )
    return summary


def _score(
    run_id: str, settings: Settings, card: Scorecard, snapshot_date: date, runner: Any
) -> DateResult:
    """One date: in this process on the run's connection, or, on a cluster (``runner``, a
    started Dask task runner), one task per user partition while this process (the only
    writer) waits."""
    if runner is None:
        return tasks.score(run_id, settings, card, snapshot_date)
    started = time.perf_counter()
    con = building_connection(run_id)
    jobs = cluster.partition_jobs(con, settings, snapshot_date, run_id)
    try:
        with cluster.open_to_readers(con):
            for_workers = cluster.worker_settings(settings)
            futures = [
                runner.submit(
                    tasks.score_partition, {"job": job, "settings": for_workers, "card": card}
                )
                for job in jobs
            ]
            wait(futures)  # every worker done with the copy before it is attached again
            parts = [future.result() for future in futures]
        return tasks.merge_partitions(run_id, settings, card, snapshot_date, parts, started)
    finally:
        cluster.remove_parts(jobs[0].folder)


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:1000]


def _clear_frames_behind(error: BaseException) -> None:
    """Frees the frames of the exceptions behind ``error`` (its causes and contexts; building()
    frees its own). A DuckDB statement stopped by a signal leaves such a chain (the stopped
    statement, then the rollback's error), Prefect keeps the error, and frames holding the
    connection at exit make DuckDB's bindings report it as leaked."""
    seen = {id(error)}
    behind = error.__cause__ or error.__context__
    while behind is not None and id(behind) not in seen:
        seen.add(id(behind))
        traceback.clear_frames(behind.__traceback__)
        behind = behind.__cause__ or behind.__context__


def _nightly_run_name() -> str:
    parameters = flow_run.parameters
    as_of = parameters.get("as_of")
    if as_of is None:
        settings = settings_from(parameters.get("settings"))
        as_of = previous_day(settings.schedule_timezone)
    return f"nightly {as_of}"


@flow(name="sesame-nightly", flow_run_name=_nightly_run_name, validate_parameters=False)
def nightly_flow(
    as_of: date | None = None,
    settings: Settings | dict[str, Any] | None = None,
    allow_stale: bool = False,
) -> RunSummary:
    """Ingest, validate, aggregate, score and snapshot for ``as_of`` (and missing month-ends),
    then the reports for ``as_of``. Without ``as_of`` (a scheduled run): yesterday in the
    schedule's time zone. ``settings`` may come as a dict (a deployment's parameters)."""
    settings = settings_from(settings)
    return _run(
        "nightly",
        settings,
        as_of or previous_day(settings.schedule_timezone),
        [],
        reports=True,
        allow_stale=allow_stale,
    )


def settings_from(value: Settings | dict[str, Any] | None) -> Settings:
    if isinstance(value, Settings):
        return value
    return Settings(**(value or {}))


@flow(name="sesame-backfill", flow_run_name="backfill {start} to {end}", validate_parameters=False)
def backfill_flow(
    start: date, end: date, dates: list[date], settings: Settings, allow_stale: bool = False
) -> RunSummary:
    """Snapshots for past dates, point in time, oldest first."""
    return _run(
        "backfill", settings, end, sorted(set(dates)), reports=False, allow_stale=allow_stale
    )


@flow(name="sesame-ingest", flow_run_name="ingest {as_of}", validate_parameters=False)
def ingest_flow(as_of: date, settings: Settings, accept_changed: list[str]) -> RunSummary:
    """Ingests the exports (and the delivered files whose change the operator accepts), scores
    nothing: the next nightly scores from them."""
    return _run("ingest", settings, as_of, [], reports=False, accept_changed=tuple(accept_changed))


@flow(name="sesame-report", flow_run_name="report {as_of}", validate_parameters=False)
def report_flow(as_of: date, settings: Settings) -> RunSummary:
    """The reports for ``as_of`` again, from the warehouse's snapshots."""
    return _run("report", settings, as_of, [], reports=True)


@flow(name="sesame-rebuild", flow_run_name="rebuild {as_of}", validate_parameters=False)
def rebuild_flow(as_of: date, dates: list[date], settings: Settings) -> RunSummary:
    """A new warehouse from the exports: every date of ``dates`` (those with a Parquet copy of
    their snapshots) scored again for its features, its published snapshots put back from the
    copy, then the reports for ``as_of`` (the latest). The file it replaces is kept. The daily
    dates older than the database keeps (``sesame.retention``) stay in their copies only."""
    latest = max(dates, default=as_of)
    kept = [d for d in dates if kept_in_database(d, latest, settings.daily_history_days)]
    return _run("rebuild", settings, as_of, sorted(set(kept)), reports=True)
