"""Arguments, paths and dates are checked before Prefect starts: a wrong one is refused with
exit 2 and creates nothing (issue 15 item 3). Prefect's start-up takes 10-30 s; the proof that
it never started is that nothing, not even its state folder under the warehouse, was made."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def sesame(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "sesame", *args], capture_output=True, text=True, env=env
    )


@pytest.mark.parametrize(
    "command",
    [
        ["nightly", "--as-of", "2026-10-31"],
        ["backfill", "--start", "2026-09-30", "--end", "2026-10-31"],
        ["ingest"],
    ],
)
def test_a_missing_input_folder_is_refused_before_anything_starts(
    command: list[str], tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse"
    done = sesame(*command, "--input", str(tmp_path / "nowhere"), "--warehouse", str(warehouse))
    assert done.returncode == 2, done.stderr
    assert f"--input {tmp_path / 'nowhere'}: no such directory" in done.stderr
    assert not warehouse.exists()  # nothing created: no warehouse, no Prefect state


def test_an_input_that_is_a_file_is_refused(tmp_path: Path) -> None:
    exports = tmp_path / "exports.parquet"
    exports.write_bytes(b"")
    warehouse = tmp_path / "warehouse"
    done = sesame("nightly", "--input", str(exports), "--warehouse", str(warehouse))
    assert done.returncode == 2 and "not a directory" in done.stderr
    assert not warehouse.exists()


def test_a_missing_warehouse_is_a_usage_error_for_the_readers(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    for command in (["report", "--as-of", "2026-10-31"], ["sql", "select 1"], ["validate"]):
        done = sesame(*command, "--warehouse", str(warehouse))
        assert done.returncode == 2, (command, done.stderr)
        assert f"no warehouse at {warehouse / 'sesame.duckdb'}" in done.stderr
    assert not warehouse.exists()
