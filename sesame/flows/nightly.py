"""The Prefect flows: nightly, backfill and report. Wiring only; the work is in the tasks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from sesame.flows import tasks
from sesame.reports import discard_report_folder, publish_report_folder
from sesame.runs import RunSummary, new_run_id
from sesame.settings import Settings
from sesame.transforms.scorecard import load_scorecard
from sesame.warehouse import (
    building,
    building_connection,
    discard_partitions,
    publish_partitions,
    warehouse_lock,
)


def _run(
    command: str, settings: Settings, as_of: date, dates: list[date], *, reports: bool
) -> RunSummary:
    """Ingest, score ``dates`` (nightly: missing month-ends, then ``as_of``), report, audit and
    publish: all on one private copy of the warehouse, published in one step."""
    card = load_scorecard()
    run_id = new_run_id(command, as_of)
    summary = RunSummary(run_id, command, as_of, str(settings.warehouse), card.model_version)
    partitions: list[tuple[Path, Path]] = []
    report_folder: Path | None = None
    with warehouse_lock(settings):
        try:
            with building(settings, run_id):
                if command != "report":
                    summary.ingested = tasks.ingest(run_id, settings.input)
                if command == "nightly":
                    history = tasks.plan_history(
                        run_id, as_of, settings.history_months, card.model_version
                    )
                    dates = [*history, as_of]
                for snapshot_date in dates:
                    summary.dates.append(tasks.score(run_id, settings, card, snapshot_date))
                partitions = tasks.write_partitions(run_id, settings, dates)
                if reports:
                    summary.reports = tasks.reports(run_id, settings, card, as_of)
                    report_folder = tasks.report_files(run_id, settings, as_of)
                summary.record(building_connection(run_id))
        except BaseException:
            discard_partitions(partitions)
            discard_report_folder(report_folder)
            raise
        publish_partitions(partitions)
        if report_folder is not None:
            summary.report_folder = publish_report_folder(report_folder, settings, as_of)
    create_markdown_artifact(
        key=f"sesame-{command}", markdown=summary.markdown(), description=f"{command} {as_of}"
    )
    return summary


@flow(name="sesame-nightly", flow_run_name="nightly {as_of}", validate_parameters=False)
def nightly_flow(as_of: date, settings: Settings) -> RunSummary:
    """Ingest, validate, aggregate, score and snapshot for ``as_of`` (and missing month-ends),
    then the reports for ``as_of``."""
    return _run("nightly", settings, as_of, [], reports=True)


@flow(name="sesame-backfill", flow_run_name="backfill {start} to {end}", validate_parameters=False)
def backfill_flow(start: date, end: date, dates: list[date], settings: Settings) -> RunSummary:
    """Snapshots for past dates, point in time, oldest first."""
    return _run("backfill", settings, end, sorted(set(dates)), reports=False)


@flow(name="sesame-report", flow_run_name="report {as_of}", validate_parameters=False)
def report_flow(as_of: date, settings: Settings) -> RunSummary:
    """The reports for ``as_of`` again, from the warehouse's snapshots."""
    return _run("report", settings, as_of, [], reports=True)
