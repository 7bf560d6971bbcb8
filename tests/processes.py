"""Helpers of the tests that run the real ``sesame`` command as a process and stop it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest


def wait_for(log: Path, text: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    """Waits for ``text`` in the process's log (an event, never a guessed delay); fails when
    the process ends first, and kills it (its whole group when it leads one) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(f"the run ended ({process.returncode}) before {text!r}: {log.read_text()}")
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    pytest.fail(f"no {text!r} within {timeout} s: {log.read_text()}")


def fingerprint(warehouse: Path) -> dict[str, str]:
    """Every published file (the database, Parquet copies, reports) and its digest."""
    published = [warehouse / "sesame.duckdb"]
    for folder in ("score_snapshots", "reports"):
        published += [p for p in (warehouse / folder).rglob("*") if p.is_file()]
    return {
        str(p.relative_to(warehouse)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in published
        if not any(part.startswith(".") for part in p.relative_to(warehouse).parts)
    }


def env(api_url: str | None, **extra: str) -> dict[str, str]:
    """The environment of a ``sesame`` process under test: wide, uncoloured output, one
    month-end of history, and the given Prefect API (none: the run starts its own server)."""
    values = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "SESAME_HISTORY_MONTHS": "1"}
    values.pop("PREFECT_API_URL", None)
    if api_url is not None:
        values["PREFECT_API_URL"] = api_url
    return values | extra


def nightly_command(warehouse: Path, exports: Path, day: date) -> list[str]:
    where = ["--input", str(exports), "--warehouse", str(warehouse)]
    return [sys.executable, "-m", "sesame", "nightly", "--as-of", day.isoformat(), *where]


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie is dead), from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
