"""Damaged warehouse, and a way back (issue 13 item 6): verify before publish, kept backups,
``restore`` and ``rebuild``, through the real Prefect flows on small exports made here."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from sesame.backups import backups
from sesame.damage import verify_database
from sesame.errors import WarehouseDamagedError
from sesame.flows.nightly import nightly_flow, rebuild_flow
from sesame.recovery import kept_snapshot_dates, list_backups, restore
from sesame.settings import Settings
from tests import pipeline
from tests.builders import Exports, at

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

D = date(2026, 6, 30)
SESAME = Path(sys.executable).with_name("sesame")
HEADER_BYTES = 3 * 4096  # DuckDB's file header and its two database headers


def small_exports() -> Exports:
    exports = Exports()
    for user_id in range(1, 7):
        exports.active_user(user_id, D, months=16)
        for night in range(1, 6):  # fresh for the nights after D too (scored point in time)
            exports.transaction(user_id, at(D + timedelta(days=night), 9), "dining")
    exports.bill(3, date(2026, 6, 10), paid=None)
    return exports


def small(settings: Settings, **changes: object) -> Settings:
    """Two month-ends of history instead of twelve: the same code, fewer dates to score."""
    return settings.model_copy(update={"history_months": 2, **changes})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def flip_a_byte_of(path: Path, table: str) -> None:
    """Flips one byte inside the first data block of ``table``, as a bad disk would."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        block = con.execute(
            "select min(block_id) from pragma_storage_info($table) where block_id >= 0",
            {"table": table},
        ).fetchall()[0][0]
        block_size = con.execute("select block_size from pragma_database_size()").fetchall()[0][0]
    finally:
        con.close()
    offset = HEADER_BYTES + block * block_size + 1000
    with path.open("r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0xFF]))


def snapshots(settings: Settings) -> list[tuple[object, ...]]:
    return pipeline.query(settings, "select * from score_snapshots order by all").rows()


@dataclass(frozen=True)
class TwoNights:
    """A warehouse published by the nights D and D + 1, made once for the module."""

    settings: Settings
    first: str  # the digest of D's published file (the backup D + 1 kept)


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> TwoNights:
    root = tmp_path_factory.mktemp("two-nights")
    settings = small(Settings(warehouse=root / "warehouse", input=root / "exports"))
    small_exports().write(settings.input)
    nightly_flow(as_of=D, settings=settings)
    first = digest(settings.database_path())
    nightly_flow(as_of=D + timedelta(days=1), settings=settings)
    return TwoNights(settings, first)


@pytest.fixture
def scene(two_nights: TwoNights, tmp_path: Path) -> Settings:
    """A copy of the two nights' warehouse of the test's own (the exports are shared: no run
    writes them)."""
    warehouse = tmp_path / "warehouse"
    shutil.copytree(two_nights.settings.warehouse, warehouse)
    return two_nights.settings.model_copy(update={"warehouse": warehouse})


def test_verification_names_the_damaged_table(scene: Settings) -> None:
    verify_database(scene.database_path())  # a good file passes
    flip_a_byte_of(scene.database_path(), "stg_transactions")
    with pytest.raises(WarehouseDamagedError, match="table stg_transactions: Corrupt database"):
        verify_database(scene.database_path())


def test_a_damaged_block_is_never_published_again_and_restore_brings_back_the_last_good_file(
    scene: Settings, two_nights: TwoNights
) -> None:
    [kept] = backups(scene.warehouse)  # D's file, kept by the night of D + 1
    assert digest(kept) == two_nights.first
    database = scene.database_path()
    flip_a_byte_of(database, "stg_transactions")
    damaged = digest(database)
    with pytest.raises(WarehouseDamagedError) as error:
        nightly_flow(as_of=D + timedelta(days=2), settings=scene)
    message = str(error.value)
    assert str(database) in message and "building" not in message  # the published file's name
    assert "sesame restore" in message and "sesame rebuild" in message
    assert digest(database) == damaged  # nothing published
    assert not list(scene.warehouse.glob(".sesame.duckdb.building-*"))
    assert [b.latest_snapshot for b in list_backups(scene)] == [D]

    restored = restore(scene)
    assert restored.backup == kept and restored.latest_snapshot == D
    assert digest(database) == two_nights.first
    assert restored.replaced is not None and digest(restored.replaced) == damaged
    nightly_flow(as_of=D + timedelta(days=2), settings=scene)  # works again
    commands = pipeline.query(scene, "select command, status from runs order by started_at")
    assert ("restore", "succeeded") in commands.rows()
    assert ("nightly", "failed") in commands.rows()


def test_a_truncated_warehouse_is_named_as_the_published_file(scene: Settings) -> None:
    database = scene.database_path()
    with database.open("r+b") as handle:
        handle.truncate(database.stat().st_size // 2)
    with pytest.raises(WarehouseDamagedError) as error:
        nightly_flow(as_of=D + timedelta(days=1), settings=scene)
    assert str(database) in str(error.value)
    assert ".sesame.duckdb.building" not in str(error.value)
    assert not list(scene.warehouse.glob(".sesame.duckdb.building-*"))


def test_backups_keep_the_last_n_published_files(scene: Settings) -> None:
    before = digest(scene.database_path())  # D + 1's file; D's is the one backup
    one = scene.model_copy(update={"backups_kept": 1})
    nightly_flow(as_of=D + timedelta(days=2), settings=one)
    assert [digest(b) for b in backups(scene.warehouse)] == [before]  # D's file went
    none = scene.model_copy(update={"backups_kept": 0})
    nightly_flow(as_of=D + timedelta(days=3), settings=none)
    assert backups(scene.warehouse) == []  # 0: none kept, and the older ones go


def test_rebuild_loses_no_published_snapshot_and_the_next_night_is_the_same(
    scene: Settings, tmp_path: Path
) -> None:
    before = snapshots(scene)
    runs_before = {r[0] for r in pipeline.query(scene, "select run_id from runs").rows()}
    copy = scene.model_copy(update={"warehouse": tmp_path / "copy"})
    shutil.copytree(scene.warehouse, copy.warehouse)
    flip_a_byte_of(copy.database_path(), "score_snapshots")
    damaged = digest(copy.database_path())

    dates = kept_snapshot_dates(copy)
    assert dates[-2:] == [D, D + timedelta(days=1)]
    summary = rebuild_flow(as_of=dates[-1], dates=dates, settings=copy)
    assert [d.snapshot_date for d in summary.dates] == dates
    assert snapshots(copy) == before  # every published row, every column, run ids included
    runs = {r[0] for r in pipeline.query(copy, "select run_id from runs").rows()}
    assert runs_before <= runs  # the audit trail came across (the runs still read)
    [aside] = [b for b in backups(copy.warehouse) if "-before-rebuild" in b.name]
    assert digest(aside) == damaged  # the file it replaced is kept

    day = D + timedelta(days=2)
    nightly_flow(as_of=day, settings=scene)
    nightly_flow(as_of=day, settings=copy)
    same = "select * exclude (run_id) from score_snapshots where snapshot_date = $d order by all"
    assert (
        pipeline.query(copy, same, {"d": day}).rows()
        == pipeline.query(scene, same, {"d": day}).rows()
    )


def test_the_command_says_damage_in_one_line_and_restore_lists_and_restores(
    scene: Settings,
) -> None:
    flip_a_byte_of(scene.database_path(), "stg_transactions")
    # as a user runs it: its own Prefect server, none of the test session's Prefect settings
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environment |= {"SESAME_HISTORY_MONTHS": "2", "COLUMNS": "80"}
    where = ["--warehouse", str(scene.warehouse)]
    night = [*where, "--input", str(scene.input), "--as-of", str(D + timedelta(days=2))]
    failed = subprocess.run(
        [str(SESAME), "nightly", "-q", *night], capture_output=True, text=True, env=environment
    )
    assert failed.returncode == 7, failed.stderr
    lines = [line for line in failed.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "is damaged" in lines[0], failed.stderr  # no leak report
    assert "sesame restore" in lines[0]

    listed = subprocess.run(
        [str(SESAME), "restore", "--list", *where], capture_output=True, text=True, check=True
    )
    [backup] = backups(scene.warehouse)
    assert backup.name in listed.stdout and f"latest snapshot {D}" in listed.stdout
    restored = subprocess.run(
        [str(SESAME), "restore", *where], capture_output=True, text=True, check=True
    )
    assert f"restored {backup.name}" in restored.stdout
    assert "1 snapshot date(s) published after it" in restored.stdout  # D + 1: `rebuild`
    verify_database(scene.database_path())
