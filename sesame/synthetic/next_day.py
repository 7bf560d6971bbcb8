"""``generate_next_day``: the rows the next day adds or corrects, as new files."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from sesame.schema import TABLES
from sesame.synthetic.as_of import _changed_rows, _truth_between, as_exported, registered_by
from sesame.synthetic.columns import _write
from sesame.synthetic.parameters import TRUTH_DIR, TRUTH_TABLE
from sesame.synthetic.truth import _write_truth
from sesame.synthetic.world import _World


@dataclass(frozen=True)
class NextDay:
    """What ``generate_next_day`` added: the day, and per table its new and corrected rows."""

    day: datetime.date
    new_rows: dict[str, int]
    corrected_rows: dict[str, int]
    days_left: int


def generated_users(out_dir: Path) -> int:
    """How many users the generation in ``out_dir`` has (from its manifest), for progress."""
    return _World.load(Path(out_dir)).users


def _write_update(write: Callable[[pa.Table, Path], None], data: pa.Table, path: Path) -> None:
    """A new file under its final name only once it is whole: ingest never reads half of it."""
    partial = path.with_name(f".{path.name}.partial")
    write(data, partial)
    os.replace(partial, path)


def generate_next_day(
    out_dir: Path, *, on_progress: Callable[[int], None] | None = None
) -> NextDay:
    """Adds the next day to exports written by ``generate_exports`` with an ``as_of`` before
    ``end``: new files with the rows that day adds or corrects, and the truth of a month-end it
    passes. Files already there are never changed; the manifest moves on last, so a run stopped
    half-way writes the same files again when repeated."""
    out_dir = Path(out_dir)
    world = _World.load(out_dir)
    if world.as_of >= world.end:
        raise ValueError(
            f"{out_dir} already shows the last day of its generated world, {world.end}; generate "
            "it again with a later --end (and --as-of the day to start from) to grow it further"
        )
    day = world.as_of + datetime.timedelta(days=1)
    new_rows = {table.name: 0 for table in TABLES}
    corrected_rows = dict(new_rows)
    file_name = f"update-{day.isoformat()}-part-{{chunk:05d}}.parquet"
    for chunk, tables in world.chunks():
        registered_before = registered_now = pa.array([], pa.int64())
        for name, data in tables:
            path_name = file_name.format(chunk=chunk)
            if name == TRUTH_TABLE:
                truth = _truth_between(data, world.as_of, day)
                if world.truth and truth.num_rows:
                    path = out_dir / TRUTH_DIR / TRUTH_TABLE / path_name
                    _write_update(_write_truth, truth, path)
                continue
            if name == "users":
                registered_before = registered_by(data, world.as_of)
                registered_now = registered_by(data, day)
            before = as_exported(name, data, world.as_of, registered_before)
            now = as_exported(name, data, day, registered_now)
            changed, corrected = _changed_rows(name, now, before)
            if changed.num_rows:
                _write_update(_write, changed, out_dir / name / path_name)
            new_rows[name] += changed.num_rows - corrected
            corrected_rows[name] += corrected
        if on_progress is not None:
            on_progress(world.chunk_size(chunk))
    moved = _World(**{**world.__dict__, "as_of": day})
    moved.save(out_dir)
    return NextDay(day, new_rows, corrected_rows, (world.end - day).days)
