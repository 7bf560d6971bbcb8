"""Run one child process and measure its wall time and peak memory.

Two peaks are kept: the kernel's high-water mark of the child (``os.wait4``'s ``ru_maxrss``: the
larger of the child's own peak and that of any subprocess it waited for), and the sum of the
resident memory of the child and all its descendants, sampled every ``SAMPLE_SECONDS`` (so it
counts Prefect's temporary server, which runs beside sesame, but can miss a short spike).

A process started by exec inherits the high-water mark of the process it was forked from, so
the benchmark (hundreds of MB after splitting exports) does not start the command itself: a
small launcher, ``python -m benchmarks.measure RESULT [--cgroup PROCS] -- COMMAND...``, starts
it, waits for it and writes its time, peak and exit code to RESULT as JSON. With ``--cgroup``
the launcher first joins that cgroup (``benchmarks/cgroup.py``), so the command and everything it
starts run under the group's memory cap.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.2
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Measurement:
    """One child run."""

    seconds: float
    peak_rss_bytes: int  # the child's own high-water mark (kernel, via wait4)
    tree_peak_rss_bytes: int  # child + descendants, summed, sampled
    returncode: int
    log: Path


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, from /proc/<pid>/task/<tid>/children."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                queue.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue  # the process ended between two reads
    return found


def _rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree until stopped; keeps the largest sum."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_bytes = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            total = sum(_rss_bytes(p) for p in _descendants(self.pid))
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop_event.wait(SAMPLE_SECONDS)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak_bytes


def launch(command: Sequence[str]) -> dict[str, float | int]:
    """Runs ``command`` (output inherited); returns its seconds, peak RSS and exit code."""
    started = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return {
        "seconds": seconds,
        "peak_rss_bytes": usage.ru_maxrss * 1024,  # kilobytes on Linux
        "returncode": child.returncode,
    }


def run_measured(
    command: Sequence[str], env: Mapping[str, str], log: Path, cgroup: Path | None = None
) -> Measurement:
    """Runs ``command`` through the launcher with its output in ``log``; returns its time,
    peaks and exit code. ``cgroup``: the ``cgroup.procs`` of a group to run it in."""
    log.parent.mkdir(parents=True, exist_ok=True)
    result = log.with_suffix(".json")
    launcher = [sys.executable, "-m", "benchmarks.measure", str(result)]
    if cgroup is not None:
        launcher += ["--cgroup", str(cgroup)]
    launcher += ["--", *command]
    with log.open("wb") as out:
        child = subprocess.Popen(launcher, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(child.pid)
        sampler.start()
        child.wait()
        tree_peak = sampler.stop()
    if not result.is_file():
        raise RuntimeError(f"the launcher failed (exit {child.returncode}): see {log}")
    measured = json.loads(result.read_text())
    return Measurement(
        seconds=float(measured["seconds"]),
        peak_rss_bytes=int(measured["peak_rss_bytes"]),
        tree_peak_rss_bytes=tree_peak,
        returncode=int(measured["returncode"]),
        log=log,
    )


def log_tail(log: Path, lines: int = 15) -> str:
    """The last lines of a child's output, for error messages."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def main() -> None:
    """The launcher: ``python -m benchmarks.measure RESULT [--cgroup PROCS] -- COMMAND...``."""
    result, *rest = sys.argv[1:]
    if rest[:1] == ["--cgroup"] and len(rest) > 1:
        from benchmarks.cgroup import join

        join(Path(rest[1]))
        rest = rest[2:]
    separator, *command = rest or [""]
    if separator != "--" or not command:
        sys.exit("usage: python -m benchmarks.measure RESULT [--cgroup PROCS] -- COMMAND...")
    Path(result).write_text(json.dumps(launch(command)))


if __name__ == "__main__":
    main()
