"""`sesame generate --next-day` (issue 15): exports grown night by night hold exactly what one
generation to that day writes, as the job reads them (the contract's later file wins on a key)."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from sesame.ingest import ingest_exports
from sesame.schema import TABLES, TABLES_BY_NAME
from sesame.settings import Settings
from sesame.synthetic import (
    EVENT_COLUMN,
    MANIFEST,
    as_exported,
    generate_exports,
    generate_next_day,
    registered_by,
)
from sesame.validation import truth_files
from sesame.warehouse import building, warehouse_lock

FIRST = datetime.date(2026, 10, 28)
END = datetime.date(2026, 11, 2)  # five nights, across a month-end and a 1st
WORLD = {"users": 400, "months": 14, "seed": 3, "end": END}
LINEAGE = "source_file, source_modified_ns, ingest_run_id"


def _staged(exports: Path, warehouse: Path) -> dict[str, pl.DataFrame]:
    """Every staged table after the job's own ingest of ``exports``, without lineage columns."""
    settings = Settings(warehouse=warehouse, input=exports)
    with warehouse_lock(settings), building(settings, "test-next-day") as con:
        ingest_exports(con, exports, "run-1")
        assert con.execute("select count(*) from quarantine").fetchall() == [(0,)]
        return {
            t.name: con.sql(f"select * exclude ({LINEAGE}) from stg_{t.name}").pl().sort(pl.all())
            for t in TABLES
        }


def _hashes(folder: Path) -> dict[Path, str]:
    return {
        path: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*.parquet"))
    }


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """A folder generated as of FIRST, then grown night by night to END."""
    folder = tmp_path_factory.mktemp("grown") / "exports"
    generate_exports(folder, **WORLD, as_of=FIRST)
    nights = []
    while True:
        before = _hashes(folder)
        try:
            nights.append(generate_next_day(folder))
        except ValueError as error:
            assert "already shows the last day" in str(error)
            break
        after = _hashes(folder)
        assert {p: h for p, h in after.items() if p in before} == before  # nothing rewritten
        assert all(p.name.startswith("update-") for p in set(after) - set(before))
    return folder, nights


def test_a_grown_folder_holds_what_one_generation_to_its_day_writes(
    grown: tuple[Path, list], tmp_path: Path
) -> None:
    folder, nights = grown
    assert [n.day for n in nights] == [
        FIRST + datetime.timedelta(days=k) for k in range(1, (END - FIRST).days + 1)
    ]
    once = tmp_path / "once"
    generate_exports(once, **WORLD)  # as of its end: the folder a plain generation writes
    got, want = _staged(folder, tmp_path / "w-grown"), _staged(once, tmp_path / "w-once")
    for name in want:
        assert want[name].height > 0, name
        assert got[name].equals(want[name]), name
    grown_truth = pl.read_parquet(truth_files(folder)).sort(pl.all())
    assert grown_truth.equals(pl.read_parquet(truth_files(once)).sort(pl.all()))
    assert datetime.date(2026, 10, 31) in set(grown_truth["month_end"].to_list())


def test_a_grown_folder_matches_one_generation_on_every_night_between(tmp_path: Path) -> None:
    folder = tmp_path / "grown"
    generate_exports(folder, **WORLD, as_of=FIRST)
    generate_next_day(folder)
    generate_next_day(folder)
    middle = FIRST + datetime.timedelta(days=2)
    once = tmp_path / "once"
    generate_exports(once, **WORLD, as_of=middle)
    got, want = _staged(folder, tmp_path / "w1"), _staged(once, tmp_path / "w2")
    for name in want:
        assert got[name].equals(want[name]), name
        day = pc.max(pc.cast(pq.read_table(once / name)[EVENT_COLUMN[name]], "date32"))
        assert day.as_py() <= middle, name  # nothing from after the day shown


def test_each_night_adds_only_new_rows_and_corrections(grown: tuple[Path, list]) -> None:
    folder, nights = grown
    for night in nights:
        for table in TABLES:
            files = sorted((folder / table.name).glob(f"update-{night.day}-*.parquet"))
            rows = sum(pq.read_metadata(f).num_rows for f in files)
            assert rows == night.new_rows[table.name] + night.corrected_rows[table.name]
    assert sum(n.new_rows["transactions"] for n in nights) > 0
    assert sum(n.new_rows["users"] for n in nights) > 0  # registrations arrive night by night
    assert sum(n.new_rows["assets"] for n in nights) > 0  # the month-end's valuations
    corrected = {t.name: sum(n.corrected_rows[t.name] for n in nights) for t in TABLES}
    assert corrected["relationships"] > 0  # friendships ended
    assert corrected["credit_accounts"] > 0  # accounts closed


def test_a_correction_is_the_same_key_with_its_state_now_known(grown: tuple[Path, list]) -> None:
    folder, _ = grown
    con = duckdb.connect()
    base = f"{folder}/relationships/part-*.parquet"
    updates = f"{folder}/relationships/update-*.parquet"
    key = TABLES_BY_NAME["relationships"].primary_key
    on = " and ".join(f"b.{c} = u.{c}" for c in key)
    rows = con.sql(
        f"select b.ended_at, u.ended_at from read_parquet($base) b "
        f"join read_parquet($updates) u on {on}",
        params={"base": base, "updates": updates},
    ).fetchall()
    assert rows
    assert all(before is None and after is not None for before, after in rows)


def test_a_plain_generation_has_no_night_left(tmp_path: Path) -> None:
    generate_exports(tmp_path, users=20, months=3, seed=1, end=END)
    assert (tmp_path / MANIFEST).is_file()
    with pytest.raises(ValueError, match="already shows the last day of its generated world"):
        generate_next_day(tmp_path)


def test_a_folder_without_a_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"holds no _generator/manifest\.json"):
        generate_next_day(tmp_path)


def test_as_of_must_lie_in_the_window(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must be a day of the generated window"):
        generate_exports(
            tmp_path, users=20, months=3, seed=1, end=END, as_of=END.replace(year=2025)
        )


def test_a_record_older_than_its_users_registration_waits_for_the_registration() -> None:
    import pyarrow as pa

    day = datetime.date(2026, 10, 30)
    users = pa.table(
        {
            "user_id": pa.array([1, 2], pa.int64()),
            "registered_at": pa.array(
                [datetime.datetime(2020, 1, 1), datetime.datetime(2026, 10, 31, 9)],
                pa.timestamp("us"),
            ),
        }
    )
    records = pa.table(
        {
            "user_id": pa.array([1, 2], pa.int64()),
            "occurred_at": pa.array([datetime.datetime(2019, 5, 1)] * 2, pa.timestamp("us")),
            "resolved_at": pa.array(
                [datetime.datetime(2026, 10, 30, 23, 59), datetime.datetime(2026, 10, 31)],
                pa.timestamp("us"),
            ),
        }
    )
    shown = as_exported("negative_records", records, day, registered_by(users, day))
    assert shown["user_id"].to_pylist() == [1]  # user 2 registers the day after
    assert shown["resolved_at"].to_pylist() == [datetime.datetime(2026, 10, 30, 23, 59)]
    later = as_exported(
        "negative_records",
        records,
        day + datetime.timedelta(days=1),
        registered_by(users, day + datetime.timedelta(days=1)),
    )
    assert later["user_id"].to_pylist() == [1, 2]
    earlier = as_exported(
        "negative_records", records, day - datetime.timedelta(days=1), registered_by(users, day)
    )
    assert earlier["resolved_at"].to_pylist() == [None]  # resolved the day after
