"""Prefect's environment, set before Prefect is imported: quiet, offline, state in the warehouse."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from sesame.settings import Settings
from sesame.warehouse import ensure_private_dir


def configure_prefect(settings: Settings) -> None:
    """Points Prefect at a state directory of the project's, never the user's home.

    Values already in the environment win, so a deployment can point at a real Prefect server
    (``PREFECT_API_URL``) or elsewhere.
    """
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
            del os.environ["PREFECT_API_URL"]
