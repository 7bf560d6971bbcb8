"""Prefect's environment, set before Prefect is imported: quiet, offline, state in the
warehouse; and how a sesame process stops on SIGTERM or Ctrl-C, Prefect's own SIGTERM handling
included. Light to import: the CLI sets up its signals with it before any command runs."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType

from sesame.settings import Settings


def configure_prefect(settings: Settings) -> None:
    """Points Prefect at a state directory of the project's, never the user's home.

    Values already in the environment win, so a deployment can point at a real Prefect server
    (``PREFECT_API_URL``) or elsewhere.
    """
    from sesame.files import ensure_private_dir  # nothing heavy at import

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
#   prefect.exceptions.TerminationSignal, and once that has unwound the flow Prefect sends the
#   signal again, to the handler it replaced (this one);
# - during a DuckDB statement, DuckDB runs the handler itself at its next check (at once, or at
#   the end of the statement), drops what it raised and raises its own error instead:
#   RuntimeError("Query interrupted"), or one naming it when DuckDB was running Python code (a
#   registered frame's scan); the clean-up after it can fail in its turn. So once a stop signal
#   has arrived any failure is the stop's, named from the record below.
# Whatever the signal interrupts, the process is gone STOP_DEADLINE_SECONDS after it: DuckDB
# 2.0 can hang for good when a handler raises during a recursive query, and a stuck stop would
# only wait for systemd's or Kubernetes' SIGKILL. The hard stop is that SIGKILL, sooner: nothing
# is published, the Prefect server dies with the process, the next run records it interrupted.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_DEADLINE_SECONDS = 10.0
DUCKDB_INTERRUPTED = "Query interrupted"  # DuckDB's message when a signal handler raised
_HANDLED: list[str] = []  # the stop signals the handler below took, in order
_DELIVERED: list[str] = []  # every stop signal the process received (Prefect's handler's too)
_HANDLING = {"on": False}  # stop_on_signals() was called


def stop_on_signals() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt named after the signal (``str(error)``); a
    second one while stopping is ignored, and the process exits hard (128 + the signal) if it
    has not stopped ``STOP_DEADLINE_SECONDS`` after the first. Call it in the main thread, once,
    before the command runs."""
    if _HANDLING["on"]:
        return
    # every signal, whichever Python handler takes it, is written to this pipe by the
    # interpreter's C handler: the watcher records it and starts the deadline
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    threading.Thread(
        target=_watch_signals, args=(read_end,), name="sesame-stop-deadline", daemon=True
    ).start()

    def stop(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        _HANDLED.append(name)
        if len(_HANDLED) == 1:  # later ones would cut the clean-up short: the deadline is set
            raise KeyboardInterrupt(name)

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    _HANDLING["on"] = True


def _watch_signals(read_end: int) -> None:
    names = {int(signum): signum.name for signum in STOP_SIGNALS}
    first: str | None = None
    while first is None:
        for number in os.read(read_end, 64):
            if number in names:
                _DELIVERED.append(names[number])
                first = first or names[number]
    time.sleep(STOP_DEADLINE_SECONDS)
    os.write(
        2,
        f"sesame: still stopping {STOP_DEADLINE_SECONDS:.0f} s after {first}: stopped hard "
        "(nothing was published; the next run records this one as interrupted)\n".encode(),
    )
    os._exit(exit_code(first))


def stopping_signal(error: BaseException) -> str | None:
    """The name of the signal that stopped the process ("SIGINT", "SIGTERM"; "a signal" when it
    cannot tell) if ``error`` is, or comes from, an interrupt; None for any other failure.

    Once a stop signal has arrived any failure is the stop's doing: DuckDB turns the exception
    a signal handler raised into its own (``RuntimeError("Query interrupted")``, or an error
    naming it when DuckDB was reading a registered frame), and the clean-up that follows can
    fail in its turn (a transaction already aborted)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    prefect_exceptions = sys.modules.get("prefect.exceptions")  # loaded by a flow run
    for link in chain:
        if isinstance(link, KeyboardInterrupt):
            name = str(link)
            return name if name in signal.Signals.__members__ else "SIGINT"
        if prefect_exceptions is not None and isinstance(
            link, prefect_exceptions.TerminationSignal
        ):
            return signal.Signals(link.signal).name
    if _HANDLED or _DELIVERED:
        return (_HANDLED or _DELIVERED)[0]
    if any(_names_an_interrupt(link) for link in chain):
        # the handler records SIGINT and SIGTERM itself: unrecorded, it was Prefect's SIGTERM
        return "SIGTERM" if _HANDLING["on"] else "a signal"
    return None


def _names_an_interrupt(error: BaseException) -> bool:
    text = str(error)
    return text == DUCKDB_INTERRUPTED or any(
        f"{kind}:" in text for kind in ("KeyboardInterrupt", "TerminationSignal")
    )


def exit_code(stopped_by: str) -> int:
    """128 + the signal: 130 for SIGINT (Ctrl-C), 143 for SIGTERM."""
    if stopped_by in signal.Signals.__members__:
        return 128 + signal.Signals[stopped_by].value
    return 128 + signal.SIGINT.value
