"""The nightly flow on a local Dask cluster (prefect-dask) gives the single-process snapshots."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sesame import cluster
from sesame.errors import SesameError
from sesame.flows.nightly import nightly_flow
from sesame.settings import Settings
from tests import pipeline
from tests.builders import Exports, at

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

D = date(2026, 6, 30)
USERS = 16


def exports() -> Exports:
    """Users spread over the partitions, with what reads across rows: friends (their previous
    published scores), refresh days (earlier scores), a repair, an overdue bill."""
    made = Exports()
    for user_id in range(1, USERS + 1):
        made.active_user(user_id, D, months=16, score_refresh_day=(user_id % 3) * 9 or None)
    for user_id in range(1, USERS, 2):
        made.friend(user_id, user_id + 1, at(date(2025, 1, 1)))
    bill = made.bill(3, date(2026, 4, 10), paid=at(date(2026, 4, 20)))
    made.repair(3, bill, at(date(2026, 4, 25)))
    made.bill(5, date(2026, 6, 10), paid=None)  # overdue at D
    made.user(USERS + 1, registered=date(2026, 6, 1))  # unscorable
    return made


def published(settings: Settings) -> dict[str, pl.DataFrame]:
    return {
        table: pipeline.query(
            settings, f"select * exclude (run_id) from {table} order by snapshot_date, user_id"
        )
        for table in ("score_snapshots", "dimension_aggregates")
    }


def test_a_local_dask_cluster_gives_the_single_process_snapshots(tmp_path: Path) -> None:
    def settings(name: str, **values: Any) -> Settings:
        folder = tmp_path / name
        exports().write(folder / "exports")
        # the single process uses every core, each worker of the cluster fewer: the models
        # must not depend on the thread count (sums of money are exact decimals)
        return Settings(
            warehouse=folder / "warehouse", input=folder / "exports", history_months=2, **values
        )

    alone = settings("alone")
    nightly_flow(as_of=D, settings=alone)

    spread = settings("dask", workers=2)
    assert cluster.slots(spread) == 2  # one partition per worker at least
    spread = spread.model_copy(update={"user_partitions": 4})
    # the flow starts the cluster its settings ask for: no task runner is given to it here
    state = nightly_flow(as_of=D, settings=spread, return_state=True)
    summary = state.result()

    # the two month-ends, led by the one before them (history_months=2 on an empty warehouse)
    history = [date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]
    assert [d.snapshot_date for d in summary.dates] == [*history, D]
    expected, actual = published(alone), published(spread)
    for table in expected:
        assert actual[table].height > 0
        assert_frame_equal(actual[table], expected[table], check_exact=True)
    repairs = "select * exclude (run_id) from repair_decisions order by request_id"
    assert pipeline.query(spread, repairs).equals(pipeline.query(alone, repairs))
    # the refresh days scored point in time come back from the workers' parts too
    kept = "select * exclude (run_id) from refresh_day_scores order by refresh_date, user_id"
    assert pipeline.query(spread, kept).height > 0
    assert pipeline.query(spread, kept).equals(pipeline.query(alone, kept))
    assert _partition_runs(state.state_details.flow_run_id) == 4 * 4  # dates x partitions
    leftovers = [p.name for p in spread.warehouse.iterdir() if ".sesame.duckdb" in p.name]
    assert leftovers == []


def _partition_runs(flow_run_id: Any) -> int:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return sum(1 for run in runs if run.name.startswith("score ") and "partition" in run.name)


def sesame(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sesame", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_workers_and_an_address_exclude_each_other(tmp_path: Path) -> None:
    result = sesame(
        "nightly", "--warehouse", str(tmp_path), "--workers", "2", "--dask-address", "x:1"
    )
    assert result.returncode == 2
    assert "exclude each other" in result.stderr


def test_a_malformed_address_is_a_usage_error(tmp_path: Path) -> None:
    result = sesame(
        "backfill", "--start", "2026-01-01", "--end", "2026-01-31",
        "--warehouse", str(tmp_path), "--dask-address", "tcp://127.0.0.1:notaport",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "tcp://127.0.0.1:notaport" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unreachable_cluster_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_SECONDS", 1)
    with pytest.raises(SesameError, match=re.escape("answers at tcp://127.0.0.1:9 ")):
        cluster.check_cluster(Settings(dask_address="tcp://127.0.0.1:9"))
