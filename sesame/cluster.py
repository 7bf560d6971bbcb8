"""Scoring a date's user partitions on a Dask cluster, with the flow's process the one writer.

The flow's process holds the warehouse lock and the run's private copy of the warehouse, as in
a single-process run. For each date it checkpoints the copy and detaches it (DuckDB lets many
processes open a file read-only only while none holds it read-write), submits one Prefect task
per user partition to the flow's task runner (``prefect-dask``'s ``DaskTaskRunner``), and each
task opens the copy read-only and writes its rows as Parquet parts beside it. When every part is
in, the writer attaches the copy again, loads the parts, runs the checks and replaces the date,
exactly as it does for its own partitions. So the warehouse directory must be on storage that
every worker can read and write (the same path on every machine).

Dask is imported only when a run asks for it: single-process runs never load it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import urllib.parse
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from sesame.errors import SesameError, UsageError
from sesame.partitions import user_ranges
from sesame.scoring import PartitionJob
from sesame.settings import Settings
from sesame.sqlmodels import relation
from sesame.warehouse import ALIAS, attach_copy

CONNECT_TIMEOUT_SECONDS = 10
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def is_distributed(settings: Settings) -> bool:
    """Whether the run scores its partitions in other processes (a Dask cluster)."""
    return settings.workers is not None or settings.dask_address is not None


def check_cluster(settings: Settings) -> None:
    """Before a run on a cluster: the cluster answers, and its workers can reach Prefect."""
    if settings.dask_address is not None:
        _check_api_reachable_from(settings.dask_address)
        cluster_slots(settings.dask_address)


def slots(settings: Settings) -> int:
    """The partitions a pass on the cluster takes at least: one per worker slot."""
    if settings.dask_address is not None:
        return cluster_slots(settings.dask_address)
    return settings.workers or 1


def cluster_slots(address: str) -> int:
    """The threads of the workers of the cluster at ``address`` (1 if none has joined yet);
    a cluster that does not answer is a one-line error naming it."""
    import distributed

    try:
        with distributed.Client(address, timeout=CONNECT_TIMEOUT_SECONDS) as client:
            return max(1, sum(client.nthreads().values()))
    except ValueError as error:
        raise UsageError(
            f"--dask-address {address} is not a Dask scheduler address such as "
            f"tcp://host:8786 ({error})"
        ) from None
    except (OSError, TimeoutError) as error:
        raise SesameError(
            f"no Dask scheduler answers at {address} within {CONNECT_TIMEOUT_SECONDS} s "
            f"({type(error).__name__}): start one (`dask scheduler`, then `dask worker "
            f"{address}` on each machine) or check --dask-address"
        ) from None


def _check_api_reachable_from(address: str) -> None:
    """Workers on other machines report their task runs to Prefect's API: without
    ``PREFECT_API_URL`` the run's API server listens on this machine's loopback only."""
    if os.environ.get("PREFECT_API_URL") or _host(address) in LOOPBACK:
        return
    raise UsageError(
        f"--dask-address {address}: the workers need a Prefect server they can reach; run "
        "`prefect server start --host 0.0.0.0` and set PREFECT_API_URL=http://HOST:4200/api "
        "for sesame and for every Dask worker"
    )


def _host(address: str) -> str | None:
    return urllib.parse.urlsplit(address if "://" in address else f"tcp://{address}").hostname


@contextlib.contextmanager
def scoring_runner(settings: Settings, dates: list[date]) -> Iterator[Any]:
    """The run's Dask task runner, started for the block (a local cluster starts and stops with
    it), or None when the run is one process or scores no date. The flow starts it itself, so
    any way of running the flow (the CLI, ``sesame serve``'s scheduled runs, Python) gets the
    cluster its settings ask for."""
    if not is_distributed(settings) or not dates:
        yield None
        return
    with task_runner(settings) as runner:
        yield runner


def task_runner(settings: Settings) -> Any:
    """Prefect's Dask task runner for the run: a local cluster of ``workers`` processes, or the
    existing cluster at ``dask_address``."""
    from prefect_dask import DaskTaskRunner

    if settings.dask_address is not None:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(cluster_kwargs=local_cluster_kwargs(settings))


def local_cluster_kwargs(settings: Settings) -> dict[str, Any]:
    """One single-threaded process per worker (DuckDB and Polars bring their own threads);
    the workers report to the run's Prefect API, not to temporary servers of their own."""
    from prefect.settings import PREFECT_API_URL

    env = {"DASK_LOGGING__DISTRIBUTED": os.environ.get("DASK_LOGGING__DISTRIBUTED", "warning")}
    api_url = PREFECT_API_URL.value()  # from the environment, or a test harness's settings
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return {
        "n_workers": settings.workers,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": None,  # no web server of its own (nor a port to collide on)
        "env": env,
    }


def worker_settings(settings: Settings) -> Settings:
    """The settings a partition task runs with: on a local cluster, the machine's cores shared
    among the workers, so that N DuckDB processes do not each start one thread per core."""
    if settings.workers is None or settings.threads is not None:
        return settings
    threads = max(1, (os.cpu_count() or 1) // settings.workers)
    return settings.model_copy(update={"threads": threads})


def partition_jobs(
    con: duckdb.DuckDBPyConnection, settings: Settings, snapshot_date: date, run_id: str
) -> list[PartitionJob]:
    """One job per user partition of ``snapshot_date`` (at least one per worker slot, unless
    ``user_partitions`` is set), on the run's copy of the warehouse."""
    database = attached_path(con)
    folder = parts_folder(database, snapshot_date)
    ranges = user_ranges(con, settings, snapshot_date, minimum=slots(settings))
    return [
        PartitionJob(database, folder, snapshot_date, run_id, partition, len(ranges), users)
        for partition, users in enumerate(ranges)
    ]


def attached_path(con: duckdb.DuckDBPyConnection) -> Path:
    """The absolute path of the copy the run's connection writes (the same on every worker,
    when the warehouse directory is shared storage mounted at one path)."""
    rows = relation(con, "database/attached_path", {"alias": ALIAS}).fetchall()
    if not rows or rows[0][0] is None:
        raise SesameError("the run's connection has no warehouse copy attached")
    return Path(rows[0][0]).resolve()


def parts_folder(database: Path, snapshot_date: date) -> Path:
    """Where one date's partitions write their parts: beside the copy and named after it, so
    the next run's clean-up of a killed run's leftovers removes these too."""
    return database.with_name(f"{database.name}.parts-{snapshot_date.isoformat()}")


@contextlib.contextmanager
def open_to_readers(con: duckdb.DuckDBPyConnection) -> Iterator[Path]:
    """Detaches the run's copy for the block, so other processes can open it read-only; yields
    its path. Temporary tables and macros live in the connection's memory and stay. The copy
    is attached again only when the block succeeds: on an error the run is failing, and the
    copy is thrown away (a worker still reading it would also refuse the attach)."""
    database = attached_path(con)
    con.execute("checkpoint")  # everything in the file itself: readers do not replay a WAL
    con.execute("use memory")
    con.execute(f"detach {ALIAS}")
    yield database
    attach_copy(con, database)


def remove_parts(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
