"""Production guarantees, proven by doing the thing: a real SIGKILL at each step of a run, a
second run at the same time, an analyst holding the file open in another process, the circuit
breaker, the scored-users check, failed runs in ``runs``.

Runs are real ``sesame`` processes. They share one Prefect API server started for the module
(as a deployment with ``PREFECT_API_URL`` would), except the test that proves a killed run
leaves no Prefect server behind.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sesame.flows.prefect_server import prefect_server
from sesame.synthetic import generate_exports
from sesame.warehouse import ASIDE_PREFIX, JOURNAL_PREFIX
from tests.processes import alive, env, fingerprint, nightly_command, wait_for

E = date(2026, 6, 30)  # the night the killed runs score
BASE_DAY = date(2026, 6, 29)  # the night before, already published
PROJECT = Path(__file__).resolve().parents[2]


@dataclass
class Scene:
    api_url: str
    exports: Path  # the exports the killed runs read (with the new file of night E)
    base: Path  # a published warehouse of the night before
    expected: pl.DataFrame  # E's snapshots from an uninterrupted run


def spawn(
    warehouse: Path, exports: Path, log: Path, environment: dict[str, str], day: date = E
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        nightly_command(warehouse, exports, day),
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        env=environment,
        cwd=PROJECT,
    )


def run(
    warehouse: Path, exports: Path, api_url: str | None, day: date = E, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        nightly_command(warehouse, exports, day),
        capture_output=True,
        text=True,
        env=env(api_url, **extra),
        cwd=PROJECT,
        timeout=300,
    )


def leftovers(warehouse: Path) -> list[Path]:
    return [
        *warehouse.glob(f"{ASIDE_PREFIX}*"),
        *warehouse.glob(f"{JOURNAL_PREFIX}*"),
        *warehouse.glob("score_snapshots/*/.data-*"),
        *warehouse.glob("reports/.*"),
    ]


def query(warehouse: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(warehouse / "sesame.duckdb"), read_only=True) as con:
        return con.sql(sql).pl()


def snapshots_of(warehouse: Path, day: date) -> pl.DataFrame:
    with duckdb.connect(str(warehouse / "sesame.duckdb"), read_only=True) as con:
        return (
            con.sql(
                "select * exclude (run_id) from score_snapshots where snapshot_date = $d "
                "order by user_id",
                params={"d": day},
            )
            .pl()
            .drop("snapshot_date")
        )


def parquet_of(warehouse: Path, day: date) -> pl.DataFrame:
    path = warehouse / "score_snapshots" / f"snapshot_date={day}" / "data.parquet"
    return pl.read_parquet(path).drop("run_id")


def new_night_file(exports: Path) -> None:
    """One new transaction on night E: the killed runs have something to ingest."""
    row = {
        "txn_id": [10**12],
        "user_id": [1],
        "txn_ts": pa.array([time_on(E)], pa.timestamp("us")),
        "direction": ["out"],
        "category": ["dining"],
        "amount": [42.0],
        "receipt_confirmed": pa.array([None], pa.bool_()),
    }
    pq.write_table(pa.table(row), exports / "transactions" / "night-2026-06-30.parquet")


def time_on(day: date) -> object:
    from datetime import datetime, time

    return datetime.combine(day, time(20))


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    root = tmp_path_factory.mktemp("safety")
    exports = root / "exports"
    generate_exports(exports, users=300, months=14, seed=3, end=E)
    with prefect_server(services=False) as api_url:
        base = root / "base"
        done = run(base, exports, api_url, day=BASE_DAY)
        assert done.returncode == 0, done.stderr
        new_night_file(exports)
        reference = root / "reference"
        shutil.copytree(base, reference)
        done = run(reference, exports, api_url)
        assert done.returncode == 0, done.stderr
        yield Scene(api_url, exports, base, snapshots_of(reference, E))


def fresh_copy(scene: Scene, tmp_path: Path) -> Path:
    warehouse = tmp_path / "warehouse"
    shutil.copytree(scene.base, warehouse)
    return warehouse


# The moments a run can die, in order; "moves" is after the database's rename (published).
BEFORE_PUBLISH = ["started", "ingest", "score", "checkpoint", "publish"]


@pytest.mark.parametrize("point", BEFORE_PUBLISH)
def test_a_run_killed_before_publishing_leaves_the_warehouse_as_it_was(
    scene: Scene, tmp_path: Path, point: str
) -> None:
    warehouse = fresh_copy(scene, tmp_path)
    before = fingerprint(warehouse)
    log = tmp_path / "killed.log"
    process = spawn(warehouse, scene.exports, log, env(scene.api_url, SESAME_TEST_PAUSE_AT=point))
    wait_for(log, f"paused at {point}", process)
    process.send_signal(signal.SIGKILL)
    process.wait()

    assert fingerprint(warehouse) == before  # byte for byte
    assert query(warehouse, "select max(snapshot_date) from snapshot_dates").item() == BASE_DAY
    # the next run needs no clean-up, gives what an uninterrupted run gives, leaves nothing
    done = run(warehouse, scene.exports, scene.api_url)
    assert done.returncode == 0, done.stderr
    assert snapshots_of(warehouse, E).equals(scene.expected)
    assert parquet_of(warehouse, E).equals(scene.expected)
    assert leftovers(warehouse) == []
    runs = query(warehouse, "select status, error from runs order by started_at")
    assert runs["status"].to_list() == ["succeeded", "interrupted", "succeeded"]
    assert "nothing was published" in runs["error"][1]


def test_a_run_killed_after_the_database_is_published_is_finished_by_the_next(
    scene: Scene, tmp_path: Path
) -> None:
    warehouse = fresh_copy(scene, tmp_path)
    log = tmp_path / "killed.log"
    process = spawn(warehouse, scene.exports, log, env(scene.api_url, SESAME_TEST_PAUSE_AT="moves"))
    wait_for(log, "paused at moves", process)
    process.send_signal(signal.SIGKILL)
    process.wait()

    # the database is the new one (its rename is the commit); its Parquet copies wait aside
    assert snapshots_of(warehouse, E).equals(scene.expected)
    assert list(warehouse.glob(f"{JOURNAL_PREFIX}*.json"))
    assert (
        not (warehouse / "score_snapshots" / f"snapshot_date={E}").joinpath("data.parquet").exists()
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sesame",
            "report",
            "--as-of",
            str(E),
            "--warehouse",
            str(warehouse),
        ],
        capture_output=True,
        text=True,
        env=env(scene.api_url),
        cwd=PROJECT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    # the next run (here a report) finished the killed run's moves first
    assert parquet_of(warehouse, E).equals(scene.expected)
    assert leftovers(warehouse) == []
    runs = query(warehouse, "select command, status from runs order by started_at")
    assert runs.rows() == [
        ("nightly", "succeeded"),
        ("nightly", "succeeded"),
        ("report", "succeeded"),
    ]


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children += [int(c) for c in text]
    return children


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_a_killed_run_leaves_no_prefect_server_behind(scene: Scene, tmp_path: Path) -> None:
    warehouse = fresh_copy(scene, tmp_path)
    log = tmp_path / "killed.log"
    # no PREFECT_API_URL: the run starts its own Prefect server
    process = spawn(warehouse, scene.exports, log, env(None, SESAME_TEST_PAUSE_AT="started"))
    wait_for(log, "paused at started", process)
    servers = _children(process.pid)
    assert servers, "the run should have started a Prefect server"
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in servers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in servers)


def test_a_run_killed_during_start_up_changes_nothing(scene: Scene, tmp_path: Path) -> None:
    warehouse = fresh_copy(scene, tmp_path)
    before = fingerprint(warehouse)
    process = spawn(warehouse, scene.exports, tmp_path / "killed.log", env(scene.api_url))
    time.sleep(1.0)  # importing, starting: before the lock is taken
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert fingerprint(warehouse) == before
    done = run(warehouse, scene.exports, scene.api_url)
    assert done.returncode == 0, done.stderr
    assert snapshots_of(warehouse, E).equals(scene.expected)


def paused_run(
    scene: Scene, warehouse: Path, tmp_path: Path
) -> tuple[subprocess.Popen[bytes], Path, Path]:
    """A first run, holding the warehouse lock paused in its scoring until the returned resume
    file exists (an event the test makes, not a delay that a slow machine could outlast)."""
    log = tmp_path / "first.log"
    resume = tmp_path / "resume-first"
    environment = env(
        scene.api_url, SESAME_TEST_PAUSE_AT="score", SESAME_TEST_RESUME_FILE=str(resume)
    )
    first = spawn(warehouse, scene.exports, log, environment)
    wait_for(log, "paused at score", first)
    return first, log, resume


def test_two_runs_at_once_one_runs_the_other_is_refused(scene: Scene, tmp_path: Path) -> None:
    warehouse = fresh_copy(scene, tmp_path)
    first, log, resume = paused_run(scene, warehouse, tmp_path)
    second = run(warehouse, scene.exports, scene.api_url)  # the first holds the lock throughout
    resume.touch()
    assert second.returncode == 4
    assert "another sesame run is writing" in second.stderr
    assert first.wait(timeout=300) == 0, log.read_text()
    assert snapshots_of(warehouse, E).equals(scene.expected)
    runs = query(warehouse, "select status from runs")["status"].to_list()
    assert runs == ["succeeded", "succeeded"]  # the refused run never touched the warehouse


def test_a_second_run_can_wait_for_the_first(scene: Scene, tmp_path: Path) -> None:
    warehouse = fresh_copy(scene, tmp_path)
    first, log, resume = paused_run(scene, warehouse, tmp_path)
    second_log = tmp_path / "second.log"
    second = spawn(
        warehouse, scene.exports, second_log, env(scene.api_url, SESAME_LOCK_WAIT_SECONDS="300")
    )
    wait_for(second_log, "waiting for it", second)  # the second is waiting on the lock ...
    resume.touch()  # ... when the first goes on
    assert first.wait(timeout=300) == 0, log.read_text()
    assert second.wait(timeout=300) == 0, second_log.read_text()
    assert query(warehouse, "select count(*) from runs").item() == 3


ANALYST = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
q = "select count(*), max(snapshot_date) from snapshot_dates"
print(con.execute(q).fetchall(), flush=True)
sys.stdin.readline()  # the nightly run happens meanwhile
print(con.execute(q).fetchall(), flush=True)
con.close()
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute(q).fetchall(), flush=True)
"""


def test_an_analyst_holding_the_file_read_only_keeps_a_consistent_view(
    scene: Scene, tmp_path: Path
) -> None:
    warehouse = fresh_copy(scene, tmp_path)
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(warehouse / "sesame.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert analyst.stdout is not None and analyst.stdin is not None
    before = analyst.stdout.readline().strip()
    done = run(warehouse, scene.exports, scene.api_url)  # while the analyst holds the file
    assert done.returncode == 0, done.stderr
    analyst.stdin.write("go\n")
    analyst.stdin.flush()
    during, after = analyst.stdout.readline().strip(), analyst.stdout.readline().strip()
    assert analyst.wait(timeout=60) == 0
    assert during == before  # the open connection still sees the night before
    assert "2026, 6, 30" in after and after != before  # reopening shows the new night


def test_the_duckdb_cli_holding_the_file_does_not_stop_the_run(
    scene: Scene, tmp_path: Path
) -> None:
    cli = PROJECT / ".venv" / "bin" / "duckdb"
    if not cli.exists():
        pytest.skip("the duckdb CLI is installed by make setup")
    warehouse = fresh_copy(scene, tmp_path)
    shell = subprocess.Popen(
        [str(cli), "-readonly", "-csv", str(warehouse / "sesame.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert shell.stdin is not None and shell.stdout is not None
    shell.stdin.write("select max(snapshot_date) as d from snapshot_dates;\n")
    shell.stdin.flush()
    assert shell.stdout.readline().strip() == "d"
    assert shell.stdout.readline().strip() == str(BASE_DAY)
    done = run(warehouse, scene.exports, scene.api_url)  # while the CLI holds the file
    assert done.returncode == 0, done.stderr
    shell.stdin.write("select max(snapshot_date) as d from snapshot_dates;\n")
    shell.stdin.flush()
    assert shell.stdout.readline().strip() == "d"
    assert shell.stdout.readline().strip() == str(BASE_DAY)  # its view stays consistent
    shell.stdin.close()
    assert shell.wait(timeout=60) == 0
    assert query(warehouse, "select max(snapshot_date) from snapshot_dates").item() == E
