"""``sesame sql`` within bounds (issue 13, item 9): a time limit, a row cap for the terminal,
every row to a private CSV file, the job's memory limit, and a spill folder outside the
warehouse. Real processes and a real DuckDB; the timeouts stop queries that would run for
days, so no test depends on the machine's speed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from sesame.adhoc import SPILL_PREFIX, QueryTimeout, open_query, write_csv
from sesame.settings import Settings
from tests import pipeline
from tests.builders import Exports

D = date(2026, 6, 30)
# about 10**15 rows that no optimiser can skip: days of work on any machine
ENDLESS = "select count(*) from range(1000000000000000) t(i) where hash(i) % 7 = 3"
NOTE = "first {n} of more rows shown; use --max-rows N or --format csv --output FILE for all"


def sesame(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sesame", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **env},
        timeout=120,
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("sql-limits")
    settings = Settings(warehouse=root / "warehouse", input=root / "exports")
    exports = Exports()
    exports.active_user(1, D)
    pipeline.run(settings, [D], exports)
    return settings


def sql(settings: Settings, query: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return sesame("sql", query, "--warehouse", str(settings.warehouse), *args, **env)


def warehouse_files(settings: Settings) -> set[Path]:
    return set(settings.warehouse.rglob("*"))


# --- the row cap ------------------------------------------------------------------------------


def test_sql_prints_at_most_max_rows_and_says_so(warehouse: Settings) -> None:
    result = sql(warehouse, "select range from range(12) order by range desc", "--max-rows", "3")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert [line.strip("│ ") for line in lines] == ["11", "10", "9"]  # the first 3, in order
    assert NOTE.format(n=3) in result.stderr
    assert "row(s)" not in result.stdout  # no total: the rest was never read


def test_sql_default_cap_is_10000_rows_for_csv_to_the_terminal(warehouse: Settings) -> None:
    result = sql(warehouse, "select range from range(25000)", "--format", "csv")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "range" and len(lines) == 1 + 10_000
    assert lines[1:] == [str(n) for n in range(10_000)]
    assert NOTE.format(n="10,000") in result.stderr


def test_sql_json_is_capped_too(warehouse: Settings) -> None:
    result = sql(
        warehouse, "select range as n from range(50)", "--format", "json", "--max-rows", "2"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '[{"n":0},{"n":1}]'
    assert NOTE.format(n=2) in result.stderr


def test_sql_with_exactly_max_rows_has_no_note(warehouse: Settings) -> None:
    result = sql(warehouse, "select range from range(3)", "--max-rows", "3")
    assert result.returncode == 0, result.stderr
    assert "3 row(s)" in result.stdout
    assert "more rows" not in result.stderr


def test_sql_cap_never_reads_the_whole_result(warehouse: Settings) -> None:
    # 10**15 rows: only a LIMIT in the query's plan answers before the time limit
    result = sql(warehouse, "select range from range(1000000000000000)", "--max-rows", "5")
    assert result.returncode == 0, result.stderr
    assert NOTE.format(n=5) in result.stderr


# --- every row to a file ------------------------------------------------------------------------


def test_sql_output_writes_every_row_to_a_private_file(warehouse: Settings, tmp_path: Path) -> None:
    target = tmp_path / "all.csv"
    result = sql(
        warehouse,
        "select range as n, [range, 0] as pair from range(120000) order by range",
        "--format",
        "csv",
        "--output",
        str(target),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "120,000 row(s) written" in result.stderr
    lines = target.read_text().splitlines()
    assert lines[0] == "n,pair"  # one header, however many batches
    assert lines[1:] == [f"{n},{n}|0" for n in range(120_000)]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [target]  # no temporary file beside it


def test_sql_output_without_format_writes_csv(warehouse: Settings, tmp_path: Path) -> None:
    target = tmp_path / "empty.csv"
    result = sql(warehouse, "select 1 as a where false", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_text() == "a\n"  # no rows: the header alone


def test_write_csv_creates_the_file_private_whatever_the_umask(
    warehouse: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "rows.csv"
    previous = os.umask(0o022)
    try:
        rows = write_csv(warehouse, "select range from range(10)", target, timeout=60)
    finally:
        os.umask(previous)
    assert rows == 10
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_sql_output_leaves_no_file_when_the_query_times_out(
    warehouse: Settings, tmp_path: Path
) -> None:
    fresh = tmp_path / "fresh.csv"
    result = sql(warehouse, ENDLESS, "--output", str(fresh), "--timeout", "1")
    assert result.returncode == 1
    assert "ran longer than 1 s" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_sql_output_keeps_an_existing_file_when_the_query_fails(
    warehouse: Settings, tmp_path: Path
) -> None:
    existing = tmp_path / "kept.csv"
    existing.write_text("before\n")
    result = sql(warehouse, "select * from no_such_table", "--output", str(existing))
    assert result.returncode == 2
    assert "the query failed" in result.stderr
    assert existing.read_text() == "before\n"
    assert list(tmp_path.iterdir()) == [existing]


def test_sql_output_refuses_the_warehouse_and_other_formats(
    warehouse: Settings, tmp_path: Path
) -> None:
    before = warehouse_files(warehouse)
    inside = sql(warehouse, "select 1", "--output", str(warehouse.warehouse / "x.csv"))
    assert inside.returncode == 2
    assert "inside the warehouse" in inside.stderr
    assert warehouse_files(warehouse) == before
    json = sql(warehouse, "select 1", "--format", "json", "--output", str(tmp_path / "x.json"))
    assert json.returncode == 2
    assert "--output writes CSV" in json.stderr
    assert list(tmp_path.iterdir()) == []


# --- the time limit ------------------------------------------------------------------------------


def test_sql_stops_a_query_at_its_time_limit(warehouse: Settings) -> None:
    result = sql(warehouse, ENDLESS, "--timeout", "1")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: the query ran longer than 1 s and was stopped; raise --timeout or narrow the query"
    )


def test_open_query_raises_query_timeout(warehouse: Settings) -> None:
    with pytest.raises(QueryTimeout) as raised, open_query(warehouse, ENDLESS, timeout=0.5) as rows:
        list(rows)
    assert raised.value.exit_code == 1


def test_sql_timeout_must_be_positive(warehouse: Settings) -> None:
    assert sql(warehouse, "select 1", "--timeout", "0").returncode == 2


# --- memory limit and spill folder ------------------------------------------------------------


def test_sql_runs_under_the_jobs_memory_limit(warehouse: Settings) -> None:
    expected = duckdb.connect()
    expected.execute("set memory_limit = '100MB'")
    shown = expected.sql("select current_setting('memory_limit')").fetchall()[0][0]
    expected.close()
    result = sql(
        warehouse,
        "select current_setting('memory_limit') as m",
        "--format",
        "csv",
        SESAME_MEMORY_LIMIT="100MB",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["m", shown]


def test_sql_spills_outside_the_warehouse_and_removes_the_folder(warehouse: Settings) -> None:
    result = sql(warehouse, "select current_setting('temp_directory') as t", "--format", "csv")
    assert result.returncode == 0, result.stderr
    spill = Path(result.stdout.splitlines()[1])
    assert spill.name.startswith(SPILL_PREFIX)
    assert not spill.resolve().is_relative_to(warehouse.warehouse.resolve())
    assert not spill.exists()  # removed after the query


def test_a_big_sort_spills_to_its_own_folder_with_external_access_off(
    warehouse: Settings,
) -> None:
    # 1M rows of md5 text sorted under 64 MB on one thread: DuckDB must spill (or fail)
    tight = warehouse.model_copy(update={"memory_limit": "64MB", "threads": 1})
    before = warehouse_files(warehouse)
    query = "select i, md5(i::varchar) as s from range(1000000) t(i) order by s"
    with open_query(tight, query, timeout=600) as rows:
        batches = iter(rows)
        first = next(batches)  # the sort is done: its runs are on disk
        spilled = [path for path in rows.spill_dir.iterdir() if path.stat().st_size > 0]
        assert spilled, "DuckDB did not spill"
        assert not rows.spill_dir.resolve().is_relative_to(warehouse.warehouse.resolve())
        total = first.num_rows + sum(batch.num_rows for batch in batches)
    assert total == 1_000_000
    assert not rows.spill_dir.exists()
    assert warehouse_files(warehouse) == before  # nothing spilled into the warehouse
