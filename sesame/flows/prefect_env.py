"""Prefect's environment, set before Prefect is imported: quiet, offline, state in the
warehouse; and how a sesame process stops on SIGTERM or Ctrl-C, Prefect's own SIGTERM handling
included. Light to import: the CLI sets up its signals with it before any command runs."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from types import FrameType

from sesame.settings import Settings


def configure_prefect(settings: Settings) -> None:
    """Points Prefect at a state directory of the project's, never the user's home.

    Values already in the environment win, so a deployment can point at a real Prefect server
    (``PREFECT_API_URL``) or elsewhere.
    """
    from sesame.warehouse import ensure_private_dir  # DuckDB and Arrow: not at import

    home = ensure_private_dir(settings.prefect_state_dir().resolve())
    defaults = {
        "PREFECT_HOME": str(home),
        # the temporary server needs more than the default 20 s under load (see STACK notes)
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        # sesame prints its own progress and one error line; Prefect's tracebacks stay quiet
        "PREFECT_LOGGING_LEVEL": "CRITICAL",
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
        "PREFECT_UI_ENABLED": "false",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)


@contextlib.contextmanager
def prefect_api(*, services: bool, port: int | None = None) -> Iterator[str]:
    """The Prefect API for the block: ``PREFECT_API_URL`` when set, else a server of our own
    (a child process that dies with this one, even when it is killed)."""
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    from sesame.flows.prefect_server import prefect_server

    with prefect_server(services=services, port=port) as url:
        os.environ["PREFECT_API_URL"] = url
        try:
            yield url
        finally:
            _send_queued_to_prefect()  # while the server still runs
            del os.environ["PREFECT_API_URL"]


DRAIN_SECONDS = 2.0  # each queue's bound: a stop (SIGTERM, Ctrl-C) must stay within 10 s


def _send_queued_to_prefect() -> None:
    """Sends the logs and events Prefect still holds (a crashed run's last lines) before the
    server stops; at interpreter exit they would go to a server gone ("--- Error logging to
    API --- All connection attempts failed" on stderr)."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(Exception):  # never hides what ended the block
            worker.drain_all(timeout=DRAIN_SECONDS)


# Stopping. A run stopped by SIGTERM (systemd, Kubernetes, kill) unwinds as one stopped by Ctrl-C:
# KeyboardInterrupt, the warehouse's copy discarded, the run recorded as interrupted, the Prefect
# server stopped after the flow (it runs in a session of its own, so a signal to the process
# group does not reach it), exit 128 + the signal. Three ways the signal arrives as an exception:
# - outside a flow run, the handler below raises KeyboardInterrupt("SIGTERM") (or "SIGINT");
# - inside one, Prefect's engine has put its own SIGTERM handler in place: it raises
#   prefect.exceptions.TerminationSignal, and when that has unwound the flow Prefect sends the
#   signal again to the handler it replaced, this one;
# - during a DuckDB statement, DuckDB runs the handler itself, drops what it raised and raises
#   RuntimeError("Query interrupted") instead. Which signal it was comes from what the handler
#   recorded; Prefect's handler records nothing, so with no record it was SIGTERM.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
DUCKDB_INTERRUPTED = "Query interrupted"  # DuckDB's message when a signal handler raised
_RECEIVED: list[str] = []  # the stop signals this process received, in order
_HANDLING = {"on": False}  # stop_on_signals() was called


def stop_on_signals() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt named after the signal (``str(error)``), once
    recorded for :func:`stopping_signal`. Call it in the main thread, before the command runs."""

    def stop(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        _RECEIVED.append(name)
        raise KeyboardInterrupt(name)

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    _HANDLING["on"] = True


def stopping_signal(error: BaseException) -> str | None:
    """The name of the signal that stopped the process ("SIGINT", "SIGTERM"; "a signal" when it
    cannot tell) if ``error`` is, or comes from, an interrupt; None for any other failure."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, KeyboardInterrupt):
            name = str(current)
            return name if name in signal.Signals.__members__ else "SIGINT"
        prefect_exceptions = sys.modules.get("prefect.exceptions")  # loaded by a flow run
        if prefect_exceptions is not None and isinstance(
            current, prefect_exceptions.TerminationSignal
        ):
            return signal.Signals(current.signal).name
        if isinstance(current, RuntimeError) and str(current) == DUCKDB_INTERRUPTED:
            if _RECEIVED:
                return _RECEIVED[-1]
            return "SIGTERM" if _HANDLING["on"] else "a signal"
        current = current.__cause__ or current.__context__
    return None


def exit_code(stopped_by: str) -> int:
    """128 + the signal: 130 for SIGINT (Ctrl-C), 143 for SIGTERM."""
    if stopped_by in signal.Signals.__members__:
        return 128 + signal.Signals[stopped_by].value
    return 128 + signal.SIGINT.value
