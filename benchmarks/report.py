"""The benchmark's results: what was measured, the targets, and the table (terminal, Markdown,
JSON)."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Literal

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

GB = 1024**3
PACKAGES = ("sesame", "duckdb", "polars", "pyarrow", "prefect")
Status = Literal["met", "missed", "not judged"]


class StepResult(BaseModel):
    """One step over all repeats."""

    step: str
    what: str
    seconds: list[float]
    ratios_to_floor: list[float]  # each run / the floor of the same repeat
    peak_rss_bytes: int  # largest over the runs: the timed process's own high-water mark
    tree_peak_rss_bytes: int  # largest over the runs: process + descendants, sampled
    rows: int  # export rows the step covers (see `what`)

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    @property
    def ratio(self) -> float | None:
        return statistics.median(self.ratios_to_floor) if self.ratios_to_floor else None

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.median_seconds


class TargetResult(BaseModel):
    target: str
    measured: str
    status: Status


class ScaleCheck(BaseModel):
    users: int
    memory_limit: str  # DuckDB's (SESAME_MEMORY_LIMIT)
    seconds: float
    peak_rss_bytes: int
    tree_peak_rss_bytes: int
    finished: bool
    cap: str = "none"  # the cap on the whole process tree, or why there was none
    capped: bool = False
    cap_peak_bytes: int | None = None  # the cgroup's own high-water mark (page cache included)
    oom_kills: int = 0


class Machine(BaseModel):
    cpu: str
    cores: int
    ram_gb: float
    system: str
    python: str
    packages: dict[str, str]
    commit: str
    date: datetime.datetime

    @property
    def line(self) -> str:
        packages = ", ".join(f"{name} {v}" for name, v in self.packages.items())
        return (
            f"{self.cpu}, {self.cores} cores, {self.ram_gb:.0f} GB RAM, {self.system}, "
            f"Python {self.python}; {packages}; commit {self.commit}; "
            f"{self.date:%Y-%m-%d %H:%M} UTC"
        )


class BenchResult(BaseModel):
    users: int
    months: int
    seed: int
    as_of: datetime.date
    repeats: int
    prefect_mode: str
    memory_limit: str
    steps: list[StepResult]
    targets: list[TargetResult]
    scale_check: ScaleCheck | None
    machine: Machine


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+dirty" if git("status", "--porcelain", "--", "sesame") else "")


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def machine_facts() -> Machine:
    return Machine(
        cpu=_cpu_model(),
        cores=os.cpu_count() or 0,
        ram_gb=os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GB,
        system=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        packages={p: _version(p) for p in PACKAGES},
        commit=_commit(),
        date=datetime.datetime.now(datetime.UTC),
    )


# --- targets ------------------------------------------------------------------------------------


def _judge(ok: bool) -> Status:
    return "met" if ok else "missed"


def _ratio_target(steps: dict[str, StepResult], step: str, limit: float) -> TargetResult:
    target = f"{step} <= {limit:g}x floor"
    result = steps.get(step)
    if result is None or result.ratio is None:
        return TargetResult(target=target, measured="not measured", status="not judged")
    return TargetResult(
        target=target, measured=f"{result.ratio:.2f}x", status=_judge(result.ratio <= limit)
    )


def _history_target(steps: dict[str, StepResult]) -> TargetResult:
    target = "history <= 3x day"
    history, day = steps.get("history"), steps.get("day")
    if history is None or day is None:
        return TargetResult(target=target, measured="not measured", status="not judged")
    ratio = statistics.median(h / d for h, d in zip(history.seconds, day.seconds, strict=True))
    return TargetResult(target=target, measured=f"{ratio:.2f}x", status=_judge(ratio <= 3))


def _growth_target(steps: dict[str, StepResult]) -> TargetResult:
    target = "next after 365 daily snapshots <= 1.2x next after 30"
    long, short = steps.get("next-365"), steps.get("next-30")
    if long is None or short is None:
        return TargetResult(target=target, measured="not measured", status="not judged")
    ratio = long.median_seconds / short.median_seconds
    return TargetResult(target=target, measured=f"{ratio:.2f}x", status=_judge(ratio <= 1.2))


def _memory_target(steps: dict[str, StepResult], users: int) -> TargetResult:
    target = "peak memory <= 3 GB at 1M users (sesame process)"
    jobs = [s for name, s in steps.items() if name in ("day", "history") or name.startswith("next")]
    if not jobs:
        return TargetResult(target=target, measured="not measured", status="not judged")
    peak = max(s.peak_rss_bytes for s in jobs)
    measured = f"{peak / GB:.2f} GB at {users:,} users"
    if users < 1_000_000:
        return TargetResult(target=target, measured=measured, status="not judged")
    return TargetResult(target=target, measured=measured, status=_judge(peak <= 3 * GB))


def _generate_target(generate: StepResult | None, users: int, months: int) -> TargetResult:
    target = "generate 1M users x 24 months <= 300 s"
    if generate is None:
        return TargetResult(target=target, measured="not measured", status="not judged")
    measured = f"{generate.median_seconds:.0f} s for {users:,} users x {months} months"
    if (users, months) != (1_000_000, 24):
        return TargetResult(target=target, measured=measured, status="not judged")
    return TargetResult(
        target=target, measured=measured, status=_judge(generate.median_seconds <= 300)
    )


def _scale_target(scale: ScaleCheck | None) -> TargetResult:
    target = "3M users finish inside a 4 GB cap on the whole process tree"
    if scale is None:
        return TargetResult(target=target, measured="not run (--scale-check)", status="not judged")
    group = (
        "" if scale.cap_peak_bytes is None else f", cgroup peak {scale.cap_peak_bytes / GB:.2f} GB"
    )
    measured = (
        f"{scale.users:,} users, DuckDB limit {scale.memory_limit}, cap {scale.cap}: "
        f"{'finished' if scale.finished else 'FAILED'} in {scale.seconds:.0f} s, "
        f"peak RSS {scale.peak_rss_bytes / GB:.2f} GB (tree {scale.tree_peak_rss_bytes / GB:.2f} GB"
        f"{group}), OOM kills {scale.oom_kills}"
    )
    if scale.users < 3_000_000 or not scale.capped:
        return TargetResult(target=target, measured=measured, status="not judged")
    return TargetResult(target=target, measured=measured, status=_judge(scale.finished))


def judge_targets(
    steps: list[StepResult], users: int, months: int, scale: ScaleCheck | None
) -> list[TargetResult]:
    by_name = {s.step: s for s in steps}
    return [
        _ratio_target(by_name, "day", 25),
        _ratio_target(by_name, "next", 5),
        _ratio_target(by_name, "steady", 5),
        _history_target(by_name),
        _growth_target(by_name),
        _memory_target(by_name, users),
        _generate_target(by_name.get("generate"), users, months),
        _scale_target(scale),
    ]


# --- rendering ------------------------------------------------------------------------------------

STEP_HEADERS = (
    "step",
    "median s",
    "runs (s)",
    "x floor",
    "peak RSS",
    "peak RSS tree",
    "rows",
    "rows/s",
)
TARGET_HEADERS = ("target", "measured", "status")


def _gb(value: int) -> str:
    return f"{value / GB:.2f} GB"


def step_rows(result: BenchResult) -> list[list[str]]:
    return [
        [
            s.step,
            f"{s.median_seconds:.1f}",
            " / ".join(f"{x:.1f}" for x in s.seconds),
            "-" if s.ratio is None else f"{s.ratio:.2f}x",
            _gb(s.peak_rss_bytes),
            _gb(s.tree_peak_rss_bytes),
            f"{s.rows:,}",
            f"{s.rows_per_second:,.0f}",
        ]
        for s in result.steps
    ]


def target_rows(result: BenchResult) -> list[list[str]]:
    return [
        [t.target, t.measured, t.status.upper() if t.status == "missed" else t.status]
        for t in result.targets
    ]


def notes(result: BenchResult) -> list[str]:
    lines = [
        f"{result.users:,} users x {result.months} months (seed {result.seed}), D = "
        f"{result.as_of}; median of {result.repeats} run(s), steps alternating in each repeat; "
        f"Prefect: {result.prefect_mode}; DuckDB memory limit {result.memory_limit}.",
        "x floor: the median over repeats of each run's time / the floor's time in the same "
        "repeat. peak RSS: the timed process's own high-water mark (kernel, wait4; the larger "
        "of it and any subprocess it reaped); peak RSS tree: the process and all its "
        "descendants (Prefect's temporary server included) summed, sampled every 0.2 s.",
    ]
    lines += [f"{s.step}: {s.what}" for s in result.steps]
    return lines


def print_result(result: BenchResult, console: Console) -> None:
    steps = Table(title=f"sesame benchmark: {result.users:,} users x {result.months} months")
    for header in STEP_HEADERS:
        steps.add_column(header, justify="left" if header == "step" else "right")
    for row in step_rows(result):
        steps.add_row(*row)
    console.print(steps)
    targets = Table(title="Targets")
    for header in TARGET_HEADERS:
        targets.add_column(header)
    for row in target_rows(result):
        style = "bold red" if row[2] == "MISSED" else None
        targets.add_row(*row, style=style)
    console.print(targets)
    for line in notes(result):
        console.print(line, highlight=False)
    console.print(f"machine: {result.machine.line}", highlight=False)
    for target in result.targets:
        if target.status == "missed":
            console.print(
                f"[bold red]target missed:[/bold red] {target.target} (measured {target.measured})"
            )


def _markdown_table(headers: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    def line(cells: list[str] | tuple[str, ...]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return [line(headers), line(["---"] * len(headers)), *(line(r) for r in rows)]


def markdown(result: BenchResult) -> str:
    lines = [
        f"Measured by `make bench` on {result.machine.date:%Y-%m-%d}: "
        f"{result.users:,} users x {result.months} months.",
        "",
        *_markdown_table(STEP_HEADERS, step_rows(result)),
        "",
        *_markdown_table(TARGET_HEADERS, target_rows(result)),
        "",
        *(f"- {line}" for line in notes(result)),
        f"- machine: {result.machine.line}",
    ]
    return "\n".join(lines) + "\n"


def write_result(result: BenchResult, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    md, js = folder / "latest.md", folder / "latest.json"
    md.write_text(markdown(result))
    js.write_text(result.model_dump_json(indent=2) + "\n")
    return md, js
