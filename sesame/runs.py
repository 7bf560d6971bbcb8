"""A run's identity and its summary: the row it leaves in the ``runs`` table.

Every run gets one row, also a run that failed or was killed. A successful run writes its row
inside its own copy of the warehouse, so the row lands with the data. A failed run must leave the
warehouse as it was, so it writes its row to ``<warehouse>/run_log/<run_id>.json`` instead; a
run killed outright leaves the "running" file it wrote when it started. The next run that
publishes moves those files into ``runs`` (killed runs as ``interrupted``) and deletes them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from sesame import __version__
from sesame.damage import no_room
from sesame.errors import DiskFullError
from sesame.files import PRIVATE_FILE, ensure_private_dir
from sesame.freshness import TableFreshness
from sesame.ingest import TableIngest
from sesame.reports import ReportSummary
from sesame.schema import CONTRACT_VERSION
from sesame.scoring import DateResult
from sesame.settings import Settings

log = logging.getLogger(__name__)

RUN_LOG = "run_log"
LOGS = "logs"  # <warehouse>/logs/<run_id>.log: every run's progress lines, kept for LOGS_KEPT runs
LOGS_KEPT = 100
RUNS_COLUMNS = (
    "run_id",
    "command",
    "as_of",
    "started_at",
    "finished_at",
    "status",
    "snapshot_dates",
    "files_ingested",
    "rows_ingested",
    "rows_quarantined",
    "users_scored",
    "model_version",
    "contract_version",
    "sesame_version",
    "error",
    "step_seconds",
    "stale_accepted",
    "freshness",
    "validation_warnings",
    "empty_tables",
)


def new_run_id(command: str, as_of: date | None) -> str:
    """A unique, readable run id: command, date, time and a random suffix."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    day = as_of.isoformat() if as_of else "none"
    return f"{command}-{day}-{stamp}-{uuid.uuid4().hex[:6]}"


@dataclass
class RunSummary:
    """What a run did, for the ``runs`` table, the CLI and the Prefect artifact."""

    run_id: str
    command: str
    as_of: date | None
    warehouse: str
    model_version: str
    started_at: datetime = field(default_factory=datetime.now)
    finished_at: datetime | None = None
    ingested: list[TableIngest] = field(default_factory=list)
    dates: list[DateResult] = field(default_factory=list)
    reports: ReportSummary | None = None
    report_folder: Path | None = None
    steps: dict[str, float] = field(default_factory=dict)
    stale_accepted: bool = False  # published although a table was stale (--allow-stale)
    freshness: dict[str, TableFreshness] = field(default_factory=dict)

    @property
    def files_ingested(self) -> int:
        return sum(t.files for t in self.ingested)

    @property
    def rows_ingested(self) -> int:
        return sum(t.rows_read for t in self.ingested)

    @property
    def rows_quarantined(self) -> int:
        return sum(t.rows_quarantined for t in self.ingested)

    @property
    def empty_tables(self) -> list[str]:
        """The tables whose export folder held no file: the run scored without them."""
        return [t.table for t in self.ingested if t.empty]

    @property
    def seconds(self) -> float:
        return ((self.finished_at or datetime.now()) - self.started_at).total_seconds()

    @property
    def latest(self) -> DateResult | None:
        return max(self.dates, key=lambda d: d.snapshot_date) if self.dates else None

    @contextlib.contextmanager
    def step(self, name: str, settings: Settings | None = None) -> Iterator[None]:
        """Times one step of the run; logs it and keeps it for the ``runs`` row.

        With ``settings``, the run's "running" file is refreshed first, so a run killed during
        the step is recorded with the steps it had finished."""
        if settings is not None:
            write_run_log(settings, self.row("running"))
        started = time.perf_counter()
        try:
            yield
        except (OSError, duckdb.Error) as error:
            full = no_room(error)
            if full is None:
                raise
            raise DiskFullError(name, *full) from None
        self.steps[name] = round(self.steps.get(name, 0.0) + time.perf_counter() - started, 3)
        log.info("step %s done in %.1f s", name, self.steps[name])

    def row(self, status: str, error: str | None = None) -> dict[str, Any]:
        """The run's row of the ``runs`` table."""
        latest = self.latest
        return {
            "run_id": self.run_id,
            "command": self.command,
            "as_of": self.as_of,
            "started_at": self.started_at,
            "finished_at": self.finished_at or datetime.now(),
            "status": status,
            "snapshot_dates": [d.snapshot_date for d in self.dates],
            "files_ingested": self.files_ingested,
            "rows_ingested": self.rows_ingested,
            "rows_quarantined": self.rows_quarantined,
            "users_scored": latest.users - latest.unscorable if latest else 0,
            "model_version": self.model_version,
            "contract_version": CONTRACT_VERSION,
            "sesame_version": __version__,
            "error": error,
            "step_seconds": json.dumps(self.steps),
            "stale_accepted": self.stale_accepted,
            "freshness": json.dumps(
                {
                    name: {
                        "latest_event": None if f.latest_event is None else str(f.latest_event),
                        "limit_days": f.limit_days,
                        "is_stale": f.is_stale,
                    }
                    for name, f in self.freshness.items()
                }
            ),
            "validation_warnings": list(self.reports.warnings) if self.reports else [],
            "empty_tables": self.empty_tables,
        }

    def record(self, con: duckdb.DuckDBPyConnection) -> None:
        """Adds the run's row to ``runs`` (inside the run's own copy, so it lands with the data)."""
        self.finished_at = datetime.now()
        insert_runs(con, [self.row("succeeded")])

    def markdown(self) -> str:
        """The run's summary as Markdown (the Prefect artifact)."""
        lines = [
            f"# sesame {self.command} {self.as_of or ''}",
            "",
            f"- run id: `{self.run_id}`",
            f"- warehouse: `{self.warehouse}`",
            f"- files ingested: {self.files_ingested} ({self.rows_ingested} rows, "
            f"{self.rows_quarantined} quarantined)",
            f"- dates scored: {', '.join(d.snapshot_date.isoformat() for d in self.dates)}",
            f"- steps: {', '.join(f'{k} {v:.1f} s' for k, v in self.steps.items())}",
        ]
        latest = self.latest
        if latest is not None and latest.rescored is not None:
            lines.append(
                f"- {latest.snapshot_date}: {latest.rescored} of {latest.users} users scored "
                f"again, the others carried from {latest.carried_from}"
            )
        if latest is not None:
            lines += [
                "",
                f"## Tiers on {latest.snapshot_date}",
                "",
                "| tier | users |",
                "|---|---|",
            ]
            lines += [f"| {tier} | {count} |" for tier, count in sorted(latest.tiers.items())]
        if self.empty_tables:
            lines += ["", f"**Empty export folders:** {', '.join(self.empty_tables)}"]
        stale = [f for f in self.freshness.values() if f.is_stale]
        if stale:
            lines += ["", "**Published from stale exports (--allow-stale):** "]
            lines += [f"- {f.table}: latest event {f.latest_event}" for f in stale]
        if self.reports is not None and self.reports.warnings:
            lines += ["", "## Validation warnings", ""]
            lines += [f"- {warning}" for warning in self.reports.warnings]
        if self.reports is not None:
            lines += ["", f"## Reports for {self.reports.report_date}", "", "| report | rows |"]
            lines += ["|---|---|"] + [f"| {n} | {c} |" for n, c in self.reports.rows.items()]
            if self.report_folder is not None:
                lines += ["", f"Files: `{self.report_folder}` (open `index.html`)"]
        return "\n".join(lines)


def insert_runs(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    """Inserts rows into ``runs``, skipping run ids it holds already."""
    columns = ", ".join(RUNS_COLUMNS)
    values = ", ".join(f"${c}" for c in RUNS_COLUMNS)
    for row in rows:
        con.execute(
            f"insert into runs ({columns}) select {values} "
            "where not exists (select 1 from runs where run_id = $run_id)",
            row,
        )


@contextlib.contextmanager
def run_log_file(settings: Settings, run_id: str) -> Iterator[Path]:
    """Writes the run's progress lines (INFO and above, whatever the terminal shows: --quiet
    too) to ``<warehouse>/logs/<run_id>.log``, one timed line each, private to the user; the
    last line says how the run ended. Keeps the newest ``LOGS_KEPT`` files."""
    from sesame.display import OneLineFormatter

    folder = ensure_private_dir(settings.warehouse / LOGS)
    path = folder / f"{run_id}.log"
    stream = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE), "a")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter(verbose=True))
    handler.setLevel(logging.INFO)
    logger = logging.getLogger("sesame")
    level = logger.level
    shown = logger.getEffectiveLevel()
    pinned = [h for h in logger.handlers if h.level == logging.NOTSET]
    for other in pinned:  # the terminal keeps showing what it showed
        other.setLevel(shown)
    logger.setLevel(min(shown, logging.INFO))
    logger.addHandler(handler)
    try:
        yield path
    except BaseException as error:  # to the file only: the terminal gets the command's error
        ended = f"the run ended: {type(error).__name__}: {error}; nothing was published"
        handler.emit(logger.makeRecord(logger.name, logging.ERROR, __file__, 0, ended, (), None))
        raise
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        for other in pinned:
            other.setLevel(logging.NOTSET)
        stream.close()
        logs = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in logs[LOGS_KEPT:]:
            old.unlink(missing_ok=True)


def run_log_path(settings: Settings, run_id: str) -> Path:
    return settings.warehouse / RUN_LOG / f"{run_id}.json"


def write_run_log(settings: Settings, row: dict[str, Any]) -> None:
    """Writes a run's row to its file in ``run_log/`` (atomically, private to the user)."""
    path = run_log_path(settings, row["run_id"])
    ensure_private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(row, default=_json_value))
    os.chmod(temporary, PRIVATE_FILE)
    os.replace(temporary, path)


def _json_value(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to the run log")


def read_run_logs(
    settings: Settings, *, exclude: str, running_is_killed: bool = True
) -> tuple[list[dict[str, Any]], list[Path]]:
    """The rows of earlier runs left in ``run_log/`` and their files.

    The caller holds the warehouse lock, so a run still marked "running" was killed (unless
    ``running_is_killed`` is false: a reader without the lock, while a run holds it)."""
    rows, paths = [], []
    for path in sorted((settings.warehouse / RUN_LOG).glob("*.json")):
        if path.stem == exclude:
            continue
        paths.append(path)
        try:
            row = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            log.warning("skipping the unreadable run log %s (%s)", path.name, error)
            continue
        if row["status"] == "running" and not running_is_killed:
            row["finished_at"] = None
        elif row["status"] == "running":
            row["status"] = "interrupted"
            row["finished_at"] = datetime.fromtimestamp(path.stat().st_mtime).isoformat()
            row["error"] = "the process stopped before finishing (killed?); nothing was published"
        row["as_of"] = date.fromisoformat(row["as_of"]) if row["as_of"] else None
        row["started_at"] = datetime.fromisoformat(row["started_at"])
        if row["finished_at"] is not None:
            row["finished_at"] = datetime.fromisoformat(row["finished_at"])
        row["snapshot_dates"] = [date.fromisoformat(d) for d in row["snapshot_dates"]]
        for column, default in (("stale_accepted", False), ("freshness", "{}")):
            row.setdefault(column, default)  # a run log written before these columns
        row.setdefault("validation_warnings", [])
        row.setdefault("empty_tables", [])
        rows.append(row)
    return rows, paths


HISTORY_COLUMNS = (
    "run_id", "command", "as_of", "started_at", "finished_at", "status", "users_scored", "error"
)  # fmt: skip


def run_history(settings: Settings, last: int) -> list[dict[str, Any]]:
    """The ``last`` runs, newest first: the published ``runs`` table and the records in
    ``run_log/`` of runs that published nothing since (failed, interrupted, or running now)."""
    from sesame.warehouse import connect_read_only, is_locked

    con = connect_read_only(settings)
    try:
        published = con.sql(
            f"select {', '.join(HISTORY_COLUMNS)} from runs order by started_at desc limit $n",
            params={"n": last},
        ).fetchall()
    except duckdb.CatalogException:  # a warehouse that no run has published to yet
        published = []
    finally:
        con.close()
    rows = [dict(zip(HISTORY_COLUMNS, values, strict=True)) for values in published]
    pending, _ = read_run_logs(settings, exclude="", running_is_killed=not is_locked(settings))
    rows += [{column: row.get(column) for column in HISTORY_COLUMNS} for row in pending]
    rows.sort(key=lambda row: row["started_at"], reverse=True)
    return rows[:last]


def remove_run_logs(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
