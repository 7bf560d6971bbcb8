"""Prefect's API server as a child of the sesame process, that dies with it.

Without ``PREFECT_API_URL``, Prefect starts a temporary API server in a subprocess on each flow
run and stops it at exit; a run killed with SIGKILL leaves that server running, an orphan. sesame
starts the same server itself (``uvicorn prefect.server.api.server:create_app``, as Prefect
does), asks the kernel to stop it when its parent dies (Linux ``PR_SET_PDEATHSIG``), and points
the Prefect client at it. ``sesame serve`` starts it with Prefect's services (the scheduler) and
its UI; the nightly commands start it ephemeral (no services), like Prefect's own.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx

from sesame.errors import SesameError

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
STARTUP_TIMEOUT_SECONDS = 120.0  # the server takes 15-30 s under load (migrations on first use)


def _die_with_parent(parent: int) -> None:
    """Runs in the child between fork and exec: SIGTERM it when the parent dies."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    libc = ctypes.CDLL(libc_name, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def prefect_server(
    *, services: bool, port: int | None = None, host: str = "127.0.0.1"
) -> Iterator[str]:
    """Runs Prefect's API server for the block; yields its API URL (``.../api``).

    ``services=False`` is Prefect's ephemeral mode (no scheduler, no UI); ``True`` runs the
    scheduler and the UI, as ``prefect server start`` does.
    """
    port = port or free_port()
    env = dict(os.environ)
    if services:
        env.pop("PREFECT__SERVER_EPHEMERAL", None)
        env["PREFECT_UI_ENABLED"] = "true"
    else:
        env |= {"PREFECT__SERVER_EPHEMERAL": "1", "PREFECT_UI_ENABLED": "false"}
    env["PREFECT__SERVER_FINAL"] = "1"
    env.pop("PREFECT_API_URL", None)
    parent = os.getpid()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "prefect.server.api.server:create_app",
            "--host",
            host,
            "--port",
            str(port),
            "--log-level",
            "error",
            "--lifespan",
            "on",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        # a session of its own: a signal to sesame's process group (systemd's stop, Ctrl-C in a
        # terminal) must not stop the server before the flow has unwound and reported to it;
        # the ``finally`` below stops it after the flow, the kernel if sesame dies first
        start_new_session=True,
        preexec_fn=lambda: _die_with_parent(parent),
    )
    address = f"http://{host}:{port}"
    try:
        _wait_until_healthy(process, address)
        log.debug("Prefect API server (pid %d) at %s", process.pid, address)
        yield f"{address}/api"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(process: subprocess.Popen[bytes], address: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SesameError(
                    f"Prefect's API server exited with code {process.returncode} while starting "
                    f"on {address} (is the port taken?)"
                )
            with contextlib.suppress(httpx.HTTPError):
                if client.get(f"{address}/api/health").status_code == 200:
                    return
            time.sleep(0.2)
    raise SesameError(
        f"Prefect's API server did not start on {address} within {STARTUP_TIMEOUT_SECONDS:.0f} s"
    )
