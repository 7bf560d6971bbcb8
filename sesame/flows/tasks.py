"""Prefect tasks: thin typed wrappers over ingest, the SQL models and the scorecard.

Tasks share the run's DuckDB connection (one private copy of the warehouse per run), so none of
them caches results or retries: a retry would run on a half-changed copy. The I/O that can
fail for passing reasons (reading export files) fails the run before anything is published, and
the next run starts clean.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
from prefect import task
from prefect.cache_policies import NO_CACHE

from sesame.ingest import TableIngest, ingest_exports
from sesame.scoring import DateResult, missing_dates, month_ends_before, score_date
from sesame.settings import Settings
from sesame.transforms.scorecard import Scorecard
from sesame.warehouse import write_snapshot_partitions


@task(name="ingest exports", cache_policy=NO_CACHE)
def ingest(con: duckdb.DuckDBPyConnection, input_dir: Path, run_id: str) -> list[TableIngest]:
    """Loads the export files not ingested yet; bad rows go to quarantine."""
    return ingest_exports(con, input_dir, run_id)


@task(name="plan history", cache_policy=NO_CACHE)
def plan_history(
    con: duckdb.DuckDBPyConnection, as_of: date, months: int, model_version: str
) -> list[date]:
    """The month-ends of the months before ``as_of`` that the warehouse does not hold yet."""
    return missing_dates(con, month_ends_before(as_of, months), model_version)


@task(name="score date", task_run_name="score {snapshot_date}", cache_policy=NO_CACHE)
def score(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    card: Scorecard,
    snapshot_date: date,
    run_id: str,
) -> DateResult:
    """Aggregates, scores, checks and replaces one snapshot date."""
    return score_date(con, settings, card, snapshot_date, run_id)


@task(name="write parquet copies", cache_policy=NO_CACHE)
def write_partitions(
    con: duckdb.DuckDBPyConnection, settings: Settings, dates: list[date], run_id: str
) -> list[tuple[Path, Path]]:
    """Writes each scored date's Parquet copy aside, to be moved in place on publish."""
    return write_snapshot_partitions(con, settings, dates, run_id)
