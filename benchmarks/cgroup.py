"""A memory cap on a whole process tree: a child cgroup of this process's own, with a limit.

The scale check runs its nightly inside one, so that the cap holds sesame, its DuckDB, Polars
and Prefect's temporary server together (DuckDB's ``memory_limit`` bounds only DuckDB's buffer
pool). Both cgroup versions are handled:

- v1 (a ``memory`` line in /proc/self/cgroup): ``memory.limit_in_bytes`` (and
  ``memory.memsw.limit_in_bytes`` where swap is accounted, so swap does not stretch the cap);
  the kernel's own high-water mark of the group is ``memory.max_usage_in_bytes``;
- v2 (the ``0::`` line): ``memory.max`` and ``memory.swap.max``; ``memory.peak`` where the
  kernel has it.

The group's usage counts the page cache its processes fill as well as their resident memory;
the kernel reclaims the cache before it kills anything, so what ends a run over the cap is the
OOM killer (``oom_kills``). Where no writable memory cgroup exists, ``memory_cap`` says why
(``CapUnavailable``) and the check is not judged.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


class CapUnavailable(RuntimeError):
    """No memory cgroup this process may create a child in."""


@dataclass(frozen=True)
class Cap:
    """A child cgroup with a memory limit: ``procs`` takes the pid that joins it."""

    path: Path
    version: int
    limit_bytes: int

    @property
    def procs(self) -> Path:
        return self.path / "cgroup.procs"

    def peak_bytes(self) -> int | None:
        """The group's high-water mark of memory use (resident and page cache), if known."""
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        with contextlib.suppress(OSError, ValueError):
            return int((self.path / name).read_text().split()[0])
        return None

    def oom_kills(self) -> int:
        """How many processes of the group the OOM killer ended."""
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        with contextlib.suppress(OSError):
            for line in (self.path / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    def describe(self) -> str:
        limit = "memory.limit_in_bytes" if self.version == 1 else "memory.max"
        return f"cgroup v{self.version} {limit}={self.limit_bytes / 2**30:g} GiB at {self.path}"


def _own_group() -> tuple[Path, int]:
    """This process's memory cgroup folder and the cgroup version it is under."""
    lines = Path("/proc/self/cgroup").read_text().splitlines()
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return ROOT / "memory" / path.lstrip("/"), 1
    for line in lines:
        if line.startswith("0::"):
            folder = ROOT / line.removeprefix("0::").lstrip("/")
            if "memory" in (ROOT / "cgroup.controllers").read_text().split():
                return folder, 2
    raise CapUnavailable("no memory controller in /proc/self/cgroup")


@contextlib.contextmanager
def memory_cap(limit_bytes: int, name: str) -> Iterator[Cap]:
    """A child cgroup ``name`` of this process's own, capped at ``limit_bytes``; removed after
    (once the processes in it have ended)."""
    try:
        parent, version = _own_group()
        path = parent / name
        path.mkdir(exist_ok=True)
    except OSError as error:
        raise CapUnavailable(f"cannot create a cgroup: {error}") from None
    try:
        if version == 1:
            (path / "memory.limit_in_bytes").write_text(str(limit_bytes))
            swap = path / "memory.memsw.limit_in_bytes"
            if swap.exists():
                with contextlib.suppress(OSError):
                    swap.write_text(str(limit_bytes))
        else:
            (path / "memory.max").write_text(str(limit_bytes))
            with contextlib.suppress(OSError):
                (path / "memory.swap.max").write_text("0")
    except OSError as error:
        with contextlib.suppress(OSError):
            path.rmdir()
        raise CapUnavailable(f"cannot set a memory limit on {path}: {error}") from None
    try:
        yield Cap(path, version, limit_bytes)
    finally:
        with contextlib.suppress(OSError):
            path.rmdir()


def join(procs: Path) -> None:
    """Moves this process into the group whose ``cgroup.procs`` is ``procs`` (its children
    start there)."""
    procs.write_text(str(os.getpid()))
