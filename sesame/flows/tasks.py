"""Prefect tasks: thin typed wrappers over ingest, the SQL models and the scorecard.

Tasks share the run's DuckDB connection to its private copy of the warehouse, looked up by run
id (Prefect records the id, never the connection). None caches results or retries: a retry
would run on a half-changed copy. I/O that fails for passing reasons (reading export files)
fails the run before anything is published, and the next run starts clean.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from sesame.ingest import TableIngest, ingest_exports
from sesame.reports import ReportSummary, build_reports, write_report_files
from sesame.scoring import DateResult, missing_dates, month_ends_before, score_date
from sesame.settings import Settings
from sesame.transforms.scorecard import Scorecard
from sesame.warehouse import building_connection, write_snapshot_partitions


@task(name="ingest exports", cache_policy=NO_CACHE)
def ingest(run_id: str, input_dir: Path) -> list[TableIngest]:
    """Loads the export files not ingested yet; bad rows go to quarantine."""
    return ingest_exports(building_connection(run_id), input_dir, run_id)


@task(name="plan history", cache_policy=NO_CACHE)
def plan_history(run_id: str, as_of: date, months: int, model_version: str) -> list[date]:
    """The month-ends of the months before ``as_of`` that the warehouse does not hold yet."""
    con = building_connection(run_id)
    return missing_dates(con, month_ends_before(as_of, months), model_version)


@task(name="score date", task_run_name="score {snapshot_date}", cache_policy=NO_CACHE)
def score(run_id: str, settings: Settings, card: Scorecard, snapshot_date: date) -> DateResult:
    """Aggregates, scores, checks and replaces one snapshot date."""
    return score_date(building_connection(run_id), settings, card, snapshot_date, run_id)


@task(name="write parquet copies", cache_policy=NO_CACHE)
def write_partitions(run_id: str, settings: Settings, dates: list[date]) -> list[tuple[Path, Path]]:
    """Writes each scored date's Parquet copy aside, to be moved in place on publish."""
    return write_snapshot_partitions(building_connection(run_id), settings, dates, run_id)


@task(name="build reports", task_run_name="reports {report_date}", cache_policy=NO_CACHE)
def reports(run_id: str, settings: Settings, card: Scorecard, report_date: date) -> ReportSummary:
    """Computes the report tables for ``report_date`` (replacing that date's rows)."""
    return build_reports(building_connection(run_id), settings, card, report_date)


@task(name="write report files", cache_policy=NO_CACHE)
def report_files(run_id: str, settings: Settings, report_date: date) -> Path:
    """Writes the reports' CSV, Parquet and HTML aside, to be moved in place on publish."""
    return write_report_files(building_connection(run_id), settings, report_date, run_id)
