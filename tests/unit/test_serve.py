"""``sesame serve``: the deployment and its schedule, built as configured (no clock involved)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from sesame.dates import previous_day
from sesame.errors import UsageError
from sesame.flows.serve import build_deployment, next_run
from sesame.settings import Settings


def test_the_deployment_runs_the_nightly_flow_at_two_by_default(tmp_path: Path) -> None:
    settings = Settings(warehouse=tmp_path / "w", input=tmp_path / "in")
    deployment = build_deployment(settings)
    assert deployment.name == "nightly"
    assert deployment.flow_name == "sesame-nightly"
    (schedule,) = deployment.schedules
    assert schedule.schedule.cron == "0 2 * * *"
    assert schedule.schedule.timezone == "UTC"
    assert schedule.active
    parameters = deployment.parameters["settings"]
    assert parameters["warehouse"] == str(tmp_path / "w")
    assert parameters["input"] == str(tmp_path / "in")
    assert "as_of" not in deployment.parameters  # each run scores its previous day


def test_the_schedule_and_its_time_zone_are_configurable(tmp_path: Path) -> None:
    settings = Settings(
        warehouse=tmp_path, schedule_cron="30 4 * * *", schedule_timezone="Asia/Shanghai"
    )
    (schedule,) = build_deployment(settings).schedules
    assert schedule.schedule.cron == "30 4 * * *"
    assert schedule.schedule.timezone == "Asia/Shanghai"


@pytest.mark.parametrize(
    "cluster", [{"workers": 3}, {"dask_address": "tcp://scheduler:8786"}], ids=["local", "address"]
)
def test_scheduled_runs_score_on_the_dask_cluster_of_the_settings(
    tmp_path: Path, cluster: dict[str, object]
) -> None:
    deployment = build_deployment(Settings(warehouse=tmp_path, **cluster))
    parameters = deployment.parameters["settings"]
    # the flow starts the cluster from these settings (sesame.cluster.scoring_runner)
    assert Settings(**parameters).model_dump(include=set(cluster)) == cluster


def test_a_bad_cron_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="SESAME_SCHEDULE_CRON"):
        build_deployment(Settings(warehouse=tmp_path, schedule_cron="0 25 * * *"))


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(schedule_timezone="Mars/Olympus_Mons")


@pytest.mark.parametrize(
    ("now", "timezone", "expected"),
    [
        # 02:00 in Shanghai is 18:00 UTC the day before: the run scores the Shanghai yesterday
        (datetime(2026, 11, 22, 18, 0, tzinfo=UTC), "Asia/Shanghai", date(2026, 11, 22)),
        (datetime(2026, 11, 22, 18, 0, tzinfo=UTC), "UTC", date(2026, 11, 21)),
        (datetime(2026, 3, 1, 2, 0, tzinfo=UTC), "UTC", date(2026, 2, 28)),
    ],
)
def test_a_scheduled_run_scores_the_previous_day_in_its_time_zone(
    now: datetime, timezone: str, expected: date
) -> None:
    assert previous_day(timezone, now) == expected


def test_serve_with_a_bad_schedule_stops_before_starting_anything(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sesame",
            "serve",
            "--warehouse",
            str(tmp_path),
            "--timezone",
            "Mars/Olympus_Mons",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SESAME_SCHEDULE_TIMEZONE" in result.stderr and "unknown time zone" in result.stderr


ONE_AM = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 01:00 UTC on 2 December


@pytest.mark.parametrize(
    ("now", "cron", "timezone", "expected", "scores"),
    [
        # today's 02:00 is still ahead; it scores yesterday
        (ONE_AM, "0 2 * * *", "UTC", "2026-12-02T02:00:00+00:00", date(2026, 12, 1)),
        # 19:00 UTC is 03:00 in Shanghai on the 3rd: that day's 02:00 has passed
        (
            datetime(2026, 12, 2, 19, 0, tzinfo=UTC),
            "0 2 * * *",
            "Asia/Shanghai",
            "2026-12-04T02:00:00+08:00",
            date(2026, 12, 3),
        ),
        # a weekly schedule, Mondays at 04:30
        (ONE_AM, "30 4 * * 1", "UTC", "2026-12-07T04:30:00+00:00", date(2026, 12, 6)),
    ],
)
def test_serve_says_when_the_next_run_starts_and_what_it_scores(
    tmp_path: Path, now: datetime, cron: str, timezone: str, expected: str, scores: date
) -> None:
    settings = Settings(warehouse=tmp_path, schedule_cron=cron, schedule_timezone=timezone)
    start, day = next_run(settings, now)
    assert start.isoformat() == expected
    assert day == scores.isoformat()
