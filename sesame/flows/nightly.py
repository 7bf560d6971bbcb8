"""The Prefect flows: nightly and backfill. Wiring only; the work is in the tasks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from sesame.flows import tasks
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


def _score_dates(command: str, settings: Settings, as_of: date, extra: list[date]) -> RunSummary:
    """Ingest, score ``extra`` dates then ``as_of``, write, audit, publish: one private copy."""
    card = load_scorecard()
    run_id = new_run_id(command, as_of)
    summary = RunSummary(run_id, command, as_of, str(settings.warehouse), card.model_version)
    pending: list[tuple[Path, Path]] = []
    with warehouse_lock(settings):
        try:
            with building(settings, run_id):
                summary.ingested = tasks.ingest(run_id, settings.input)
                dates = sorted(set(extra))
                if command == "nightly":
                    history = tasks.plan_history(
                        run_id, as_of, settings.history_months, card.model_version
                    )
                    dates = [*history, as_of]
                for snapshot_date in dates:
                    summary.dates.append(tasks.score(run_id, settings, card, snapshot_date))
                pending = tasks.write_partitions(run_id, settings, dates)
                summary.record(building_connection(run_id))
        except BaseException:
            discard_partitions(pending)
            raise
        publish_partitions(pending)
    create_markdown_artifact(
        key=f"sesame-{command}", markdown=summary.markdown(), description=f"{command} {as_of}"
    )
    return summary


@flow(name="sesame-nightly", flow_run_name="nightly {as_of}", validate_parameters=False)
def nightly_flow(as_of: date, settings: Settings) -> RunSummary:
    """Ingest, validate, aggregate, score, snapshot for ``as_of`` (and missing month-ends)."""
    return _score_dates("nightly", settings, as_of, [])


@flow(name="sesame-backfill", flow_run_name="backfill {start} to {end}", validate_parameters=False)
def backfill_flow(start: date, end: date, dates: list[date], settings: Settings) -> RunSummary:
    """Snapshots for past dates, point in time, oldest first."""
    return _score_dates("backfill", settings, end, dates)
