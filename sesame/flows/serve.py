"""``sesame serve``: the nightly flow as a Prefect deployment on a cron schedule.

A schedule needs a Prefect server with its scheduler (Prefect's temporary server schedules
nothing). Two ways to run it:

- embedded (default): ``sesame serve`` starts Prefect's server itself, as its own child process
  with its state under the warehouse, with the scheduler and the UI, then serves the flow;
- with a Prefect server of your own (``prefect server start``): set ``PREFECT_API_URL`` and
  ``sesame serve`` registers the deployment there and runs its flow runs.

Each scheduled run scores the previous day in the schedule's time zone. The deployment carries
the settings, ``workers`` and ``dask_address`` included: a scheduled run starts its Dask cluster
(or joins the existing one) exactly as ``sesame nightly --workers N`` does.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from prefect.schedules import Cron

from sesame.dates import previous_day
from sesame.errors import UsageError
from sesame.flows.nightly import nightly_flow
from sesame.settings import Settings

DEPLOYMENT_NAME = "nightly"


def build_deployment(settings: Settings) -> Any:
    """The nightly deployment: the flow, its cron schedule in its time zone, its settings."""
    try:
        schedule = Cron(settings.schedule_cron, timezone=settings.schedule_timezone)
    except ValueError as error:
        raise UsageError(f"SESAME_SCHEDULE_CRON: {error}") from error
    return nightly_flow.to_deployment(
        name=DEPLOYMENT_NAME,
        schedule=schedule,
        parameters={"settings": settings.model_dump(mode="json")},
        description=(
            f"sesame nightly for the previous day ({settings.schedule_timezone}), "
            f"warehouse {settings.warehouse}"
        ),
        tags=["sesame"],
        enforce_parameter_schema=False,
    )


def next_run(settings: Settings, now: datetime | None = None) -> tuple[datetime, str]:
    """When the schedule next starts a run after ``now`` (in the schedule's time zone), and the
    day that run scores (its previous day there): what ``sesame serve`` says on start."""
    from prefect.server.schemas.schedules import CronSchedule

    schedule = CronSchedule(cron=settings.schedule_cron, timezone=settings.schedule_timezone)
    (when,) = asyncio.run(schedule.get_dates(1, start=now or datetime.now(UTC)))
    start = datetime.fromisoformat(when.isoformat()).astimezone(
        ZoneInfo(settings.schedule_timezone)
    )
    return start, previous_day(settings.schedule_timezone, start).isoformat()
