"""How long a step took and how high the process's memory has been: the `--verbose` lines that
show where a night's time and memory go."""

from __future__ import annotations

import contextlib
import logging
import resource
import sys
import time
from collections.abc import Iterator


def peak_rss_gb() -> float:
    """The process's resident-memory high-water mark so far, in GB (the kernel's ``ru_maxrss``:
    KiB on Linux, bytes on macOS). A step that raised it is the step that needed the memory."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e9 if sys.platform == "darwin" else peak * 1024 / 1e9


@contextlib.contextmanager
def timed(log: logging.Logger, what: str) -> Iterator[None]:
    """Logs, at debug level (`--verbose`), the time ``what`` took and the peak memory after it."""
    started = time.perf_counter()
    yield
    log.debug("%s: %.2f s (peak RSS %.2f GB)", what, time.perf_counter() - started, peak_rss_gb())
