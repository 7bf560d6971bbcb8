"""A run's identity and its summary: the row it leaves in the ``runs`` table."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from sesame import __version__
from sesame.ingest import TableIngest
from sesame.reports import ReportSummary
from sesame.schema import CONTRACT_VERSION
from sesame.scoring import DateResult


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
    def latest(self) -> DateResult | None:
        return max(self.dates, key=lambda d: d.snapshot_date) if self.dates else None

    def record(self, con: duckdb.DuckDBPyConnection) -> None:
        """Adds the run's row to ``runs`` (inside the run's own copy, so it lands with the data)."""
        self.finished_at = datetime.now()
        latest = self.latest
        con.execute(
            "insert into runs values ($run_id, $command, $as_of, $started_at, $finished_at, "
            "'succeeded', $dates, $files, $rows, $quarantined, $users, $model_version, "
            "$contract_version, $sesame_version)",
            {
                "run_id": self.run_id,
                "command": self.command,
                "as_of": self.as_of,
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "dates": [d.snapshot_date for d in self.dates],
                "files": self.files_ingested,
                "rows": self.rows_ingested,
                "quarantined": self.rows_quarantined,
                "users": latest.users - latest.unscorable if latest else 0,
                "model_version": self.model_version,
                "contract_version": CONTRACT_VERSION,
                "sesame_version": __version__,
            },
        )

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
        ]
        latest = self.latest
        if latest is not None:
            lines += [
                "",
                f"## Tiers on {latest.snapshot_date}",
                "",
                "| tier | users |",
                "|---|---|",
            ]
            lines += [f"| {tier} | {count} |" for tier, count in sorted(latest.tiers.items())]
        if self.reports is not None:
            lines += ["", f"## Reports for {self.reports.report_date}", "", "| report | rows |"]
            lines += ["|---|---|"] + [f"| {n} | {c} |" for n, c in self.reports.rows.items()]
            if self.report_folder is not None:
                lines += ["", f"Files: `{self.report_folder}` (open `index.html`)"]
        return "\n".join(lines)
