"""The benchmark's exports: generated once per (users, months, seed, date), cached, reused.

``sesame generate --end D+1`` writes the exports; they are then split by each table's event time
(its first timestamp or date column in the contract: ``registered_at``, ``changed_at``,
``txn_ts``, ``opened_at``, ``due_date``, ``applied_at``, ``occurred_at``, ``requested_at``,
``since``, ``as_of``, ``event_ts``) into

- ``<cache>/exports/<table>/part-NNNNN.parquet``: the rows up to D, the input of day and history;
- ``<cache>/next_day/<table>/day-<D+1>.parquet``: the new rows of D+1, added for "next".

For "steady" (a night after a night), ``split_days`` cuts the base files once more, in the run's
scratch directory: the rows up to D-2, and the rows of D-1 and of D as a day file each.

Each row lands in exactly one of the two, so keys stay unique. (A row created up to D whose
later field, a payment or a closing, falls on D+1 stays in the base files; point in time ignores
it for D.)
"""

from __future__ import annotations

import datetime
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel

from benchmarks.measure import log_tail, run_measured
from sesame.schema import TABLES, Table
from sesame.validation import TRUTH_DIR as TRUTH

META = "meta.json"


class Dataset(BaseModel):
    """A cached set of exports and how long generating it took."""

    root: Path
    users: int
    months: int
    seed: int
    as_of: datetime.date
    base_rows: dict[str, int]
    day_rows: dict[str, int]
    generate_seconds: float
    generate_rows: int
    generate_peak_rss_bytes: int
    generate_summary: str  # the last line `sesame generate` printed (its own rows/s)
    generated_at: datetime.datetime

    @property
    def next_day(self) -> datetime.date:
        return self.as_of + datetime.timedelta(days=1)

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def day_files(self) -> Path:
        return self.root / "next_day"

    def day_file(self, table: str) -> Path:
        return self.day_files / table / f"day-{self.next_day}.parquet"


def default_cache_root() -> Path:
    env = os.environ.get("SESAME_BENCH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "sesame-bench"


def dataset_dir(root: Path, users: int, months: int, seed: int, as_of: datetime.date) -> Path:
    return root / f"{users}u-{months}m-seed{seed}-{as_of}"


def event_column(table: Table) -> str:
    """The table's event time: its first timestamp or date column."""
    return next(c.name for c in table.columns if c.type in ("timestamp", "date"))


def _up_to(column: pa.ChunkedArray, day: datetime.date) -> pa.ChunkedArray:
    """A mask: the values on or before ``day`` (timestamps compared at day precision)."""
    return pc.less_equal(pc.cast(column, pa.date32()), pa.scalar(day, pa.date32()))


def split_table(raw: Path, dataset: Dataset, table: Table) -> tuple[int, int]:
    """Writes the table's rows up to D as base files and those after D as one day file."""
    base_dir = dataset.exports / table.name
    base_dir.mkdir(parents=True, exist_ok=True)
    later: list[pa.Table] = []
    base_rows = 0
    for part in sorted((raw / table.name).glob("*.parquet")):
        data = pq.read_table(part)
        mask = _up_to(data[event_column(table)], dataset.as_of)
        base = data.filter(mask)
        pq.write_table(base, base_dir / part.name, compression="zstd")
        later.append(data.filter(pc.invert(mask)))
        base_rows += base.num_rows
    day = pa.concat_tables(later)
    dataset.day_file(table.name).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(day, dataset.day_file(table.name), compression="zstd")
    return base_rows, day.num_rows


def load_dataset(directory: Path) -> Dataset | None:
    meta = directory / META
    if not meta.is_file():
        return None
    return Dataset.model_validate_json(meta.read_text())


def generate_dataset(
    directory: Path,
    *,
    users: int,
    months: int,
    seed: int,
    as_of: datetime.date,
    sesame: Path,
    env: Mapping[str, str],
) -> Dataset:
    """Generates, measures and splits the exports into ``directory``; writes its meta last."""
    shutil.rmtree(directory, ignore_errors=True)
    raw = directory / "raw"
    command = [str(sesame), "generate", "--out", str(raw), "--users", str(users)]
    command += ["--months", str(months), "--seed", str(seed)]
    command += ["--end", str(as_of + datetime.timedelta(days=1))]
    measured = run_measured(command, env, directory / "generate.log")
    if measured.returncode != 0:
        raise RuntimeError(f"sesame generate failed:\n{log_tail(measured.log)}")
    rows = sum(pq.read_metadata(p).num_rows for p in raw.rglob("*.parquet"))
    dataset = Dataset(
        root=directory,
        users=users,
        months=months,
        seed=seed,
        as_of=as_of,
        base_rows={},
        day_rows={},
        generate_seconds=measured.seconds,
        generate_rows=rows,
        generate_peak_rss_bytes=measured.peak_rss_bytes,
        generate_summary=log_tail(measured.log, 1).strip(),
        generated_at=datetime.datetime.now(datetime.UTC),
    )
    for table in TABLES:
        dataset.base_rows[table.name], dataset.day_rows[table.name] = split_table(
            raw, dataset, table
        )
    if (raw / TRUTH).is_dir():  # the generator's truth: the oracle of the validation reports
        shutil.move(raw / TRUTH, dataset.exports / TRUTH)
    shutil.rmtree(raw)
    (directory / META).write_text(dataset.model_dump_json(indent=2))
    return dataset


def split_days(dataset: Dataset, target: Path, days: list[datetime.date]) -> dict[str, Path]:
    """Cuts the base files once more, below ``target``: ``before/<table>/part-NNNNN`` holds the
    rows up to the day before ``days[0]``, and ``<day>/<table>/day-<day>.parquet`` each day's
    rows (the last day, D, is the base files' last). Returns the folders by name."""
    folders = {"before": target / "before"} | {str(d): target / str(d) for d in days}
    for table in TABLES:
        for folder in folders.values():
            (folder / table.name).mkdir(parents=True, exist_ok=True)
        of_days: dict[datetime.date, list[pa.Table]] = {d: [] for d in days}
        for part in sorted((dataset.exports / table.name).glob("*.parquet")):
            data = pq.read_table(part)
            dates = pc.cast(data[event_column(table)], pa.date32())
            before = pc.less(dates, pa.scalar(days[0], pa.date32()))
            pq.write_table(data.filter(before), folders["before"] / table.name / part.name)
            for day in days:
                of_days[day].append(data.filter(pc.equal(dates, pa.scalar(day, pa.date32()))))
        for day, parts in of_days.items():
            file = folders[str(day)] / table.name / f"day-{day}.parquet"
            pq.write_table(pa.concat_tables(parts), file, compression="zstd")
    return folders


def link_input(target: Path, folders: list[Path], truth: Path | None) -> Path:
    """An export directory of symlinks to every file of ``folders`` (each holding
    ``<table>/<file>.parquet``): the same files for every night that reads them, so ingest sees
    only a night's added files as new."""
    for table in TABLES:
        (target / table.name).mkdir(parents=True, exist_ok=True)
        for folder in folders:
            for part in sorted((folder / table.name).glob("*.parquet")):
                (target / table.name / part.name).symlink_to(part)
    if truth is not None and truth.is_dir():
        (target / TRUTH).symlink_to(truth)
    return target


def overlay_input(dataset: Dataset, target: Path) -> Path:
    """The exports up to D plus the files of D+1, as symlinks (same relative paths, sizes and
    modification times as the base files, so ingest sees only the day files as new)."""
    return link_input(target, [dataset.exports, dataset.day_files], dataset.exports / TRUTH)
