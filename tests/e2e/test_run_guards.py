"""The guards that stop a run before it publishes: the circuit breaker on bad rows, the check on
scored users; and the ``runs`` row every run leaves, failed ones included (real Prefect flows)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from sesame.errors import CheckFailedError, ExportError
from sesame.flows.nightly import nightly_flow
from sesame.settings import Settings
from tests import pipeline
from tests.builders import Exports, at

D = date(2026, 6, 30)


def with_transactions(bad: int, good: int = 20) -> Exports:
    """Two steady users, plus ``good`` dining transactions and ``bad`` with a negative amount,
    all in one file of transactions."""
    exports = Exports()
    exports.active_user(1, D)
    exports.active_user(2, D)
    for n in range(good):
        exports.transaction(1, at(date(2026, 6, 1 + n % 28)), "dining")
    for n in range(bad):
        exports.transaction(2, at(date(2026, 6, 1 + n % 28)), "dining", amount=-5.0)
    return exports


def rows_of(exports: Exports, table: str) -> int:
    return len(exports.rows[table])


def test_bad_rows_above_the_share_stop_the_run_naming_table_file_and_column(
    settings: Settings,
) -> None:
    pipeline.run(settings, [D], Exports())  # an empty published warehouse
    before = settings.database_path().read_bytes()
    exports = with_transactions(bad=6)
    share = 6 / rows_of(exports, "transactions")
    assert share > settings.max_bad_row_share
    with pytest.raises(ExportError) as raised:
        pipeline.run(settings, [D], exports, file_name="part-1.parquet")  # a new delivery
    message = str(raised.value)
    assert raised.value.table == "transactions"
    assert raised.value.column == "amount"
    assert raised.value.file is not None and raised.value.file.startswith("transactions/")
    assert f"6 of {rows_of(exports, 'transactions')} new rows" in message
    assert "SESAME_MAX_BAD_ROW_SHARE" in message
    assert settings.database_path().read_bytes() == before  # nothing published, no quarantine


def test_bad_rows_at_or_below_the_share_are_quarantined_and_the_run_goes_on(
    settings: Settings,
) -> None:
    exports = with_transactions(bad=1, good=40)
    total = rows_of(exports, "transactions")
    assert 1 / total <= settings.max_bad_row_share
    pipeline.run(settings, [D], exports)
    quarantined = pipeline.query(settings, "select table_name, reason from quarantine")
    assert quarantined.rows() == [("transactions", "amount must be > 0")]
    assert pipeline.scores(settings, D)[1] is not None


def test_the_share_is_a_setting(settings: Settings) -> None:
    exports = with_transactions(bad=6)
    pipeline.run(settings.model_copy(update={"max_bad_row_share": 0.5}), [D], exports)
    assert pipeline.query(settings, "select count(*) from quarantine").item() == 6


def test_a_collapse_in_scored_users_stops_the_run_before_publishing(settings: Settings) -> None:
    exports = Exports()
    for user_id in range(1, 11):
        exports.active_user(user_id, D)
    pipeline.run(settings, [D], exports)
    before = settings.database_path().read_bytes()
    # a year and more later nobody has activity left in the window: all would be unscorable
    later = date(2027, 8, 31)
    with pytest.raises(CheckFailedError) as raised:
        pipeline.run(settings, [later])
    assert raised.value.check == "assert_scored_users_not_collapsed"
    assert raised.value.rows == 1
    message = str(raised.value)
    assert "users went missing from the exports" in message
    assert "previous_scored=10" in message and "scored=0" in message
    assert settings.database_path().read_bytes() == before


def test_the_scored_users_check_follows_its_setting(settings: Settings) -> None:
    exports = Exports()
    for user_id in range(1, 11):
        exports.active_user(user_id, D)
    pipeline.run(settings, [D], exports)
    allowed = settings.model_copy(update={"max_scored_users_drop": 1.0})
    pipeline.run(allowed, [date(2027, 8, 31)])
    assert set(pipeline.scores(settings, date(2027, 8, 31)).values()) == {None}


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_failed_run_is_recorded_and_lands_in_runs_with_the_next_run(settings: Settings) -> None:
    settings = settings.model_copy(update={"history_months": 0})
    with_transactions(bad=6).write(settings.input)
    with pytest.raises(ExportError):
        nightly_flow(as_of=D, settings=settings)
    logged = list((settings.warehouse / "run_log").glob("*.json"))
    assert len(logged) == 1
    failed = json.loads(logged[0].read_text())
    assert failed["status"] == "failed"
    assert failed["error"].startswith("ExportError: table transactions")
    assert not settings.database_path().exists()  # nothing was published

    with_transactions(bad=0).write(settings.input)  # upstream fixes the file
    nightly_flow(as_of=D, settings=settings)
    runs = pipeline.query(settings, "select run_id, status, error, step_seconds from runs")
    assert runs.sort("status")["status"].to_list() == ["failed", "succeeded"]
    succeeded = runs.filter(status="succeeded").row(0, named=True)
    assert succeeded["error"] is None
    steps = json.loads(succeeded["step_seconds"])
    assert {"ingest", "score", "parquet copies", "reports"} <= set(steps)
    assert all(seconds >= 0 for seconds in steps.values())
    assert list((settings.warehouse / "run_log").glob("*.json")) == []


def test_the_run_log_is_private(settings: Settings) -> None:
    from sesame.runs import write_run_log

    write_run_log(settings, {"run_id": "r1", "status": "running"})
    path = settings.warehouse / "run_log" / "r1.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert not list(Path(settings.warehouse / "run_log").glob(".*"))
