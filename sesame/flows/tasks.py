"""Prefect tasks: thin typed wrappers over ingest, the SQL models and the scorecard.

Tasks share the run's DuckDB connection to its private copy of the warehouse, looked up by run
id (Prefect records the id, never the connection). None caches results. The one exception is
``score_partition``, which may run on a Dask worker: it opens the copy read-only itself and
hands its rows back as Parquet files.

Only the steps that read or write files retry, and only on an operating-system error (a
network file system that hiccups); bad data never retries. They are safe to retry: ingest loads
each table in one transaction and skips the tables already loaded, and the file writers write
aside and overwrite. Scoring and reports are pure computation on the copy: they do not retry.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from sesame import recovery
from sesame.damage import no_room
from sesame.dates import month_ends_before
from sesame.errors import SesameError
from sesame.freshness import TableFreshness, check_freshness, limits_from_settings
from sesame.ingest import TableIngest, ingest_exports
from sesame.outcomes import latest_closed_month_end
from sesame.reports import ReportSummary, build_reports, write_report_files
from sesame.retention import prune_history
from sesame.rules import PERFORMANCE_MONTHS
from sesame.scoring import (
    DateResult,
    PartitionJob,
    PartitionParts,
    challenger_cards,
    has_users,
    lead_in_month_end,
    missing_dates,
    score_date,
    score_partition_to_parquet,
    stage_parts,
)
from sesame.settings import Settings
from sesame.snapshot_files import write_snapshot_partitions
from sesame.transforms.scorecard import Scorecard
from sesame.warehouse import audit_copy, building_connection, publish_copy

IO_RETRY_DELAYS = [2.0, 10.0]  # seconds before the first and later retries


def transient_io_error(task: Any, task_run: Any, state: Any) -> bool:
    """Retry condition: an operating-system error, never a data error of sesame's, nor a
    full disk (a retry would only fill it again)."""
    error = state.data
    return (
        isinstance(error, OSError) and not isinstance(error, SesameError) and no_room(error) is None
    )


def io_task(name: str, **options: Any) -> Any:
    """A task that reads or writes files: retried on transient I/O errors only."""
    return task(
        name=name,
        cache_policy=NO_CACHE,
        retries=len(IO_RETRY_DELAYS),
        retry_delay_seconds=IO_RETRY_DELAYS,
        retry_condition_fn=transient_io_error,
        **options,
    )


@io_task("ingest exports")
def ingest(
    run_id: str, settings: Settings, accept_changed: tuple[str, ...] = ()
) -> list[TableIngest]:
    """Loads the export files not ingested yet; bad rows go to quarantine, and too many bad
    rows in a table stop the run (the circuit breaker). A delivered file that changed stops the
    run unless it is in ``accept_changed``."""
    return ingest_exports(
        building_connection(run_id),
        settings.input,
        run_id,
        settings.max_bad_row_share,
        accept_changed=accept_changed,
    )


@task(name="check freshness", cache_policy=NO_CACHE)
def freshness(
    run_id: str, settings: Settings, as_of: date, allow_stale: bool
) -> dict[str, TableFreshness]:
    """Each table's latest event on or before ``as_of``; stale exports stop the run unless
    ``allow_stale``."""
    return check_freshness(
        building_connection(run_id),
        as_of,
        limits_from_settings(settings),
        allow_stale=allow_stale,
    )


@task(name="plan history", cache_policy=NO_CACHE)
def plan_history(
    run_id: str, as_of: date, months: int, model_version: str, challengers: list[str]
) -> list[date]:
    """The month-ends of the months before ``as_of`` that the warehouse does not hold yet, the
    month-end the validation reads (the latest whose performance window has closed) when the
    champion or a challenger lacks it and the exports reach back to it, and in a warehouse with
    no snapshot before them the month-end before the earliest (``lead_in_month_end``: friends'
    published scores exist at every date that follows)."""
    con = building_connection(run_id)
    dates = set(missing_dates(con, month_ends_before(as_of, months), model_version))
    validated = latest_closed_month_end(as_of)
    if months >= PERFORMANCE_MONTHS and (  # a shorter history (SESAME_HISTORY_MONTHS) gets
        has_users(con, validated)  # no validation month-end; the report says so
        and any(
            missing_dates(con, [validated], version) for version in [model_version, *challengers]
        )
    ):
        dates.add(validated)
    lead_in = lead_in_month_end(con, sorted(dates))
    return sorted(dates if lead_in is None else {*dates, lead_in})


@task(name="score date", task_run_name="score {snapshot_date}", cache_policy=NO_CACHE)
def score(run_id: str, settings: Settings, card: Scorecard, snapshot_date: date) -> DateResult:
    """Aggregates, scores, checks and replaces one snapshot date."""
    return score_date(building_connection(run_id), settings, card, snapshot_date, run_id)


@io_task("score partition", task_run_name="score {job.snapshot_date} partition {job.partition}")
def score_partition(job: PartitionJob, settings: Settings, card: Scorecard) -> PartitionParts:
    """Aggregates and scores one user partition in any process that can read the run's copy
    (a Dask worker); its rows go to Parquet parts. Retried on I/O errors: it rewrites them."""
    return score_partition_to_parquet(job, settings, card)


@task(name="merge partitions", task_run_name="merge {snapshot_date}", cache_policy=NO_CACHE)
def merge_partitions(
    run_id: str,
    settings: Settings,
    card: Scorecard,
    snapshot_date: date,
    parts: list[PartitionParts],
    started: float | None = None,
) -> DateResult:
    """Loads the partitions' parts of one date, checks them and replaces that date's rows."""
    return stage_parts(
        building_connection(run_id), settings, card, snapshot_date, run_id, parts, started
    )


@io_task("write parquet copies")
def write_partitions(run_id: str, settings: Settings, dates: list[date]) -> list[tuple[Path, Path]]:
    """Writes each scored date's Parquet copy aside, to be moved in place on publish."""
    return write_snapshot_partitions(building_connection(run_id), settings, dates, run_id)


@task(name="keep history", cache_policy=NO_CACHE)
def keep_history(run_id: str, settings: Settings, written: list[date]) -> list[date]:
    """Removes from the copy the daily dates older than the database keeps (their Parquet
    copies keep them), after the reports have read the day before."""
    return prune_history(building_connection(run_id), settings, written)


@task(name="audit the copy", cache_policy=NO_CACHE)
def audit(run_id: str) -> None:
    """Ends the writes to the run's copy and reads every table of it once: a damaged block
    stops the run here, before anything is published (the data checks ran as each date was
    scored: sql/checks)."""
    audit_copy(run_id)


@task(name="publish", cache_policy=NO_CACHE)
def publish(run_id: str) -> None:
    """Publishes the audited copy in one rename, then moves the Parquet copies and report
    folders in place, under a journal (never retried: a failure is recovered by the next run)."""
    publish_copy(run_id)


@task(name="build reports", task_run_name="reports {report_date}", cache_policy=NO_CACHE)
def reports(run_id: str, settings: Settings, card: Scorecard, report_date: date) -> ReportSummary:
    """Computes the report tables for ``report_date`` (replacing that date's rows), the model
    validation of the champion and the challengers included."""
    return build_reports(
        building_connection(run_id), settings, card, report_date, challenger_cards(settings)
    )


@io_task("write report files")
def report_files(run_id: str, settings: Settings, report_date: date) -> Path:
    """Writes the reports' CSV, Parquet and HTML aside, to be moved in place on publish."""
    return write_report_files(building_connection(run_id), settings, report_date, run_id)


@task(name="carry the runs of the replaced warehouse", cache_policy=NO_CACHE)
def carry_runs(run_id: str, settings: Settings) -> int:
    """A rebuild keeps the audit trail of the file it replaces, when its ``runs`` still read."""
    return recovery.carry_runs(building_connection(run_id), settings.database_path())


@io_task("put back the published snapshots")
def put_back_snapshots(run_id: str, settings: Settings, snapshot_date: date) -> DateResult:
    """A rebuild's date: the published snapshots from their Parquet copy replace the rows the
    rebuild scored again."""
    return recovery.put_back_kept_snapshots(building_connection(run_id), settings, snapshot_date)
