"""``generate_exports``: a world's exports, in full or as they stood at the end of ``as_of``."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from sesame.schema import TABLES
from sesame.synthetic.as_of import _truth_between, as_exported, registered_by
from sesame.synthetic.columns import _write
from sesame.synthetic.parameters import MANIFEST, TRUTH_DIR, TRUTH_TABLE
from sesame.synthetic.truth import _write_truth
from sesame.synthetic.world import _World


def generate_exports(
    out_dir: Path,
    *,
    users: int,
    months: int = 24,
    seed: int = 0,
    end: datetime.date,
    chunk_users: int = 50_000,
    on_progress: Callable[[int], None] | None = None,
    shock: str | None = None,
    truth: bool = True,
    as_of: datetime.date | None = None,
) -> dict[str, int]:
    """Writes all 11 export tables under out_dir/<table>/part-NNNNN.parquet; returns rows per table.

    Users ``1..users`` are generated in chunks of ``chunk_users``; chunk ``c`` writes
    ``part-{c:05d}.parquet`` in every table directory and, with ``truth``, in
    ``_truth/user_months/`` (existing ``part-*`` and ``update-*`` files there are removed first),
    then calls ``on_progress(number of users in the chunk)``. ``shock`` ("YYYY-MM") lowers every
    user's latent quality by ``SHOCK_DROP`` from that month on. ``as_of`` (default ``end``, a day
    of the window) writes the exports as they stood at the end of that day (module docstring,
    "Night by night"); ``generate_next_day`` grows them from there. The returned dict counts the
    contract's tables only (not the truth). The same (users, months, seed, end, chunk_users,
    shock, as_of) always gives byte-identical files; ``truth`` only decides whether the truth is
    written.
    """
    world = _World(
        users=users,
        months=months,
        seed=seed,
        end=end,
        chunk_users=chunk_users,
        shock=shock,
        truth=truth,
        as_of=end if as_of is None else as_of,
    )
    out_dir = Path(out_dir)
    truth_dir = out_dir / TRUTH_DIR / TRUTH_TABLE
    (out_dir / MANIFEST).unlink(missing_ok=True)
    for directory in [out_dir / table.name for table in TABLES] + [truth_dir]:
        if directory != truth_dir or truth:
            directory.mkdir(parents=True, exist_ok=True)
        for pattern in ("part-*.parquet", "update-*.parquet"):
            for stale in sorted(directory.glob(pattern)):
                stale.unlink()
    rows = {table.name: 0 for table in TABLES}
    observed = world.as_of < end
    for chunk, tables in world.chunks():
        registered = pa.array([], pa.int64())
        for name, data in tables:
            if name == TRUTH_TABLE:
                if truth:
                    if observed:
                        data = _truth_between(data, None, world.as_of)
                    _write_truth(data, truth_dir / f"part-{chunk:05d}.parquet")
                continue
            if observed:
                if name == "users":
                    registered = registered_by(data, world.as_of)
                data = as_exported(name, data, world.as_of, registered)
            _write(data, out_dir / name / f"part-{chunk:05d}.parquet")
            rows[name] += data.num_rows
        if on_progress is not None:
            on_progress(world.chunk_size(chunk))
    world.save(out_dir)
    return rows
