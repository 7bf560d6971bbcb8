"""Only the steps that read or write files retry, and only on an operating-system error."""

from __future__ import annotations

from prefect.states import Failed

from sesame.errors import CheckFailedError, ExportError
from sesame.flows import tasks


def test_io_steps_retry_only_on_os_errors() -> None:
    for io_task in (tasks.ingest, tasks.write_partitions, tasks.report_files):
        assert io_task.retries == len(tasks.IO_RETRY_DELAYS) > 0
        assert io_task.retry_condition_fn is tasks.transient_io_error
    assert tasks.transient_io_error(None, None, Failed(data=OSError(5, "I/O error")))
    assert not tasks.transient_io_error(None, None, Failed(data=ExportError("users", "bad")))
    assert not tasks.transient_io_error(None, None, Failed(data=ValueError("a bug")))


def test_computing_steps_never_retry() -> None:
    for computing in (tasks.score, tasks.reports, tasks.plan_history):
        assert computing.retries == 0
    assert not tasks.transient_io_error(
        None, None, Failed(data=CheckFailedError("assert_x", 1, "rows"))
    )
