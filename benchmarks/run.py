"""`make bench`: the nightly job's cost, side by side with the cost of reading the exports once.

    .venv/bin/python -m benchmarks.run [--users 1000000] [--repeats 3] [--prefect-server]

Steps (each repeat runs them in this order, so the machine's drift hits all of them alike):

- floor: bare DuckDB group-bys over the exports that have an amount, to Parquet (benchmarks/floor);
- day: `sesame nightly --as-of D` on an empty warehouse with SESAME_HISTORY_MONTHS=0;
- history: `sesame backfill` of the 12 month-ends before D's month, on a copy of day's warehouse
  (exports already ingested: it times scoring 12 dates and publishing them);
- next: `sesame nightly --as-of D+1` on a copy of history's warehouse (the warm warehouse of a
  first nightly), with the new rows of D+1 added to the exports;
- steady: `sesame nightly --as-of D` after a first nightly for D-2 and a nightly for D-1 (the
  exports cut at D-2, then D-1's rows added, then D's): a night after a night that is not a
  month-end, as most nights are. next is the first night after a first run, and a month-end:
  its day before was scored when only month-ends were before it, so most friends' published
  scores moved since, and the stuck reports are computed again;
- next-30, next-90, next-365: the same night on a copy of the warm warehouse grown to what 30,
  90 or 365 nightly runs before D leave (untimed): a Parquet copy of every day's snapshots, and
  in the database the days it keeps (month-ends and the last SESAME_DAILY_HISTORY_DAYS), each a
  copy of D's snapshot rows, aggregates and date record. Whether a night's cost grows with the
  history it keeps.

Copies and set-up are not timed. See benchmarks/README.md.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console

from benchmarks.cgroup import Cap, CapUnavailable, memory_cap
from benchmarks.data import (
    Dataset,
    dataset_dir,
    default_cache_root,
    generate_dataset,
    link_input,
    load_dataset,
    overlay_input,
    split_days,
)
from benchmarks.floor import floor_tables
from benchmarks.measure import Measurement, log_tail, run_measured
from benchmarks.prefect_server import prefect_server
from benchmarks.report import (
    BenchResult,
    ScaleCheck,
    StepResult,
    judge_targets,
    machine_facts,
    print_result,
    write_result,
)
from sesame.dates import month_ends_before
from sesame.retention import kept_in_database
from sesame.settings import Settings
from sesame.validation import TRUTH_DIR as TRUTH

STEPS = ("floor", "day", "history", "next", "steady", "next-30", "next-90", "next-365")
GROWN_DAYS = {"next-30": 30, "next-90": 90, "next-365": 365}
HISTORY_MONTHS = 12
SCALE_CAP_BYTES = 4 * 2**30  # the scale check's cap on the whole process tree (MemoryMax=4G)
DEFAULT_AS_OF = datetime.date(2026, 10, 30)  # D; D+1 = 2026-10-31, both in one month
RESULTS = Path(__file__).resolve().parent / "results"
BIN = Path(sys.executable).parent
console = Console(stderr=True, highlight=False)


class StepFailed(RuntimeError):
    pass


@dataclass
class Bench:
    """The steps of one benchmark run, over one dataset, in one scratch directory."""

    dataset: Dataset
    work: Path
    logs: Path
    env: dict[str, str]
    memory_limit: str
    threads: int | None
    prepared: dict[str, Path] = field(default_factory=dict)

    # --- helpers ---------------------------------------------------------------------------

    def sesame(self, *args: str) -> list[str]:
        return [str(BIN / "sesame"), *args]

    def run(self, name: str, command: list[str], **extra_env: str) -> Measurement:
        measured = run_measured(command, {**self.env, **extra_env}, self.logs / f"{name}.log")
        if measured.returncode != 0:
            raise StepFailed(
                f"{name} failed (exit {measured.returncode}):\n{log_tail(measured.log)}"
            )
        return measured

    def nightly(self, day: datetime.date, warehouse: Path, input_dir: Path) -> list[str]:
        return self.sesame(
            "nightly",
            "--as-of",
            str(day),
            "--input",
            str(input_dir),
            "--warehouse",
            str(warehouse),
        )

    def copy(self, source: Path, name: str) -> Path:
        target = self.work / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, symlinks=True)
        return target

    def fresh(self, name: str) -> Path:
        target = self.work / name
        shutil.rmtree(target, ignore_errors=True)
        return target

    # --- untimed set-up for a subset of steps ------------------------------------------------

    def prepare(self, what: str, build: Callable[[Path], None]) -> Path:
        if what not in self.prepared:
            console.log(f"preparing the {what} warehouse (not timed)")
            target = self.fresh(f"prepared-{what}")
            build(target)
            self.prepared[what] = target
        return self.prepared[what]

    def _build_day(self, target: Path) -> None:
        self.run(
            "prepare-day",
            self.nightly(self.dataset.as_of, target, self.dataset.exports),
            SESAME_HISTORY_MONTHS="0",
        )

    def _build_warm(self, target: Path) -> None:
        self.run("prepare-warm", self.nightly(self.dataset.as_of, target, self.dataset.exports))

    @property
    def next_input(self) -> Path:
        folder = self.work / "input-next"
        if not folder.exists():
            overlay_input(self.dataset, folder)
        return folder

    # --- the steps ---------------------------------------------------------------------------

    def floor(self, repeat: int) -> Measurement:
        out = self.fresh(f"r{repeat}/floor")
        command = [sys.executable, "-m", "benchmarks.floor", "--input", str(self.dataset.exports)]
        command += ["--out", str(out), "--memory-limit", self.memory_limit]
        if self.threads is not None:
            command += ["--threads", str(self.threads)]
        measured = self.run(f"r{repeat}/floor", command)
        shutil.rmtree(out)
        return measured

    def day(self, repeat: int) -> Measurement:
        warehouse = self.fresh(f"r{repeat}/day")
        command = self.nightly(self.dataset.as_of, warehouse, self.dataset.exports)
        return self.run(f"r{repeat}/day", command, SESAME_HISTORY_MONTHS="0")

    def history(self, repeat: int) -> Measurement:
        source = self.work / f"r{repeat}/day"
        if not source.exists():
            source = self.prepare("day", self._build_day)
        warehouse = self.copy(source, f"r{repeat}/history")
        dates = month_ends_before(self.dataset.as_of, HISTORY_MONTHS)
        command = self.sesame("backfill", "--start", str(dates[0]), "--end", str(dates[-1]))
        command += ["--every", "month-end", "--input", str(self.dataset.exports)]
        command += ["--warehouse", str(warehouse)]
        return self.run(f"r{repeat}/history", command)

    def next(self, repeat: int) -> Measurement:
        source = self.work / f"r{repeat}/history"
        if not source.exists():
            source = self.prepare("warm", self._build_warm)
        warehouse = self.copy(source, f"r{repeat}/next")
        command = self.nightly(self.dataset.next_day, warehouse, self.next_input)
        return self.run(f"r{repeat}/next", command)

    @property
    def steady_days(self) -> list[datetime.date]:
        return [self.dataset.as_of - datetime.timedelta(days=n) for n in (1, 0)]

    @property
    def steady_folders(self) -> dict[str, Path]:
        folder = self.work / "split-steady"
        names = ["before", *(str(day) for day in self.steady_days)]
        if not all((folder / name).is_dir() for name in names):
            shutil.rmtree(folder, ignore_errors=True)
            split_days(self.dataset, folder, self.steady_days)
        return {name: folder / name for name in names}

    def steady_input(self, day: datetime.date) -> Path:
        """The exports as they stood at the end of ``day`` (D-2, D-1 or D), as symlinks."""
        folders = self.steady_folders
        kept = [folders["before"], *(folders[str(d)] for d in self.steady_days if d <= day)]
        target = self.work / f"input-steady-{day}"
        if not target.exists():
            link_input(target, kept, self.dataset.exports / TRUTH)
        return target

    def _build_steady(self, target: Path) -> None:
        """A first nightly for D-2, then the nightly for D-1, each on its night's exports."""
        first = self.steady_days[0] - datetime.timedelta(days=1)
        self.run("prepare-steady-first", self.nightly(first, target, self.steady_input(first)))
        day = self.steady_days[0]
        self.run("prepare-steady-second", self.nightly(day, target, self.steady_input(day)))

    def steady(self, repeat: int) -> Measurement:
        source = self.prepare("steady", self._build_steady)
        warehouse = self.copy(source, f"r{repeat}/steady")
        day = self.dataset.as_of
        measured = self.run(
            f"r{repeat}/steady", self.nightly(day, warehouse, self.steady_input(day))
        )
        shutil.rmtree(warehouse)
        return measured

    def _build_grown(self, target: Path, days: int) -> None:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.prepare("warm", self._build_warm), target, symlinks=True)
        grow_history(target / "sesame.duckdb", self.dataset.as_of, days)

    def grown(self, name: str, repeat: int) -> Measurement:
        days = GROWN_DAYS[name]
        source = self.prepare(f"{days}-day", lambda target: self._build_grown(target, days))
        warehouse = self.copy(source, f"r{repeat}/{name}")
        command = self.nightly(self.dataset.next_day, warehouse, self.next_input)
        measured = self.run(f"r{repeat}/{name}", command)
        shutil.rmtree(warehouse)
        return measured

    def step(self, name: str) -> Callable[[int], Measurement]:
        steps: dict[str, Callable[[int], Measurement]] = {
            "floor": self.floor,
            "day": self.day,
            "history": self.history,
            "next": self.next,
            "steady": self.steady,
        }
        if name in GROWN_DAYS:
            return lambda repeat: self.grown(name, repeat)
        return steps[name]


def grow_history(database: Path, as_of: datetime.date, days: int) -> None:
    """Gives the warehouse at ``database`` what ``days`` nightly runs before ``as_of`` leave:
    a Parquet copy of every day's snapshots (a link to ``as_of``'s copy), and in the database,
    of the days it keeps (every month-end and the last ``daily_history_days``:
    sesame.retention), copies of ``as_of``'s rows of score_snapshots, dimension_aggregates and
    snapshot_dates, one date at a time (in date order, as nightly runs append them). The data
    check on unique snapshot keys caught the first version, which left the day's stored
    refresh day scores beside its new snapshot."""
    kept_days = Settings.model_fields["daily_history_days"].default
    folder = database.parent / "score_snapshots"
    source = folder / f"snapshot_date={as_of.isoformat()}" / "data.parquet"
    con = duckdb.connect(str(database))
    try:
        existing = {
            row[0] for row in con.execute("select snapshot_date from snapshot_dates").fetchall()
        }
        dates = [as_of - datetime.timedelta(days=n) for n in range(days, 0, -1)]
        for day in (d for d in dates if d not in existing):
            copy = folder / f"snapshot_date={day.isoformat()}" / "data.parquet"
            copy.parent.mkdir(parents=True, exist_ok=True)
            if not copy.exists():
                os.link(source, copy)
            if not kept_in_database(day, as_of, kept_days):
                continue  # the night that passed it took it out of the database
            # as a nightly's replace does: a snapshot of a day replaces its stored refresh
            # day scores (a first night scored them point in time), or a user reads two
            con.execute("delete from refresh_day_scores where refresh_date = $day", {"day": day})
            for table in ("score_snapshots", "dimension_aggregates", "snapshot_dates"):
                con.execute(
                    f"insert into {table} by name select * replace "
                    f"(cast($day as date) as snapshot_date) from {table} "
                    "where snapshot_date = $as_of",
                    {"day": day, "as_of": as_of},
                )
        con.execute("checkpoint")
    finally:
        con.close()


# --- what each step covers ------------------------------------------------------------------------


def step_rows(dataset: Dataset, step: str) -> tuple[int, str]:
    base = sum(dataset.base_rows.values())
    new = sum(dataset.day_rows.values())
    match step:
        case "floor":
            tables = floor_tables()
            rows = sum(dataset.base_rows[t] for t in tables)
            return rows, f"group-by of {', '.join(tables)} to Parquet; rows = their export rows"
        case "day":
            return base, "nightly for D, empty warehouse, no history; rows = all export rows to D"
        case "history":
            return base, (
                f"backfill of the {HISTORY_MONTHS} month-ends before D on day's warehouse; "
                "rows = all export rows to D"
            )
        case "next":
            return base + new, (
                f"nightly for D+1 on the warm warehouse with {new:,} new rows of D+1; "
                "rows = all export rows to D+1"
            )
        case "steady":
            return base, (
                "nightly for D after nightlies for D-2 (first) and D-1, with D's rows new: "
                "a night after a night, not a month-end; rows = all export rows to D"
            )
        case "next-30" | "next-90" | "next-365":
            return base + new, (
                f"next, on the warm warehouse grown to what {GROWN_DAYS[step]} nights before D "
                "leave: a Parquet copy of each day, month-ends and the last "
                f"{Settings.model_fields['daily_history_days'].default} days in the database "
                "(copies of D's rows)"
            )
        case "generate":
            when = dataset.generated_at.strftime("%Y-%m-%d %H:%M")
            return dataset.generate_rows, (
                f"`sesame generate` to D+1, measured {when} UTC (cached since); it printed: "
                f"{dataset.generate_summary}"
            )
    raise ValueError(step)


def step_result(
    dataset: Dataset, step: str, runs: list[Measurement], floors: list[Measurement]
) -> StepResult:
    rows, what = step_rows(dataset, step)
    ratios = [r.seconds / f.seconds for r, f in zip(runs, floors, strict=False)] if floors else []
    return StepResult(
        step=step,
        what=what,
        seconds=[r.seconds for r in runs],
        ratios_to_floor=ratios,
        peak_rss_bytes=max(r.peak_rss_bytes for r in runs),
        tree_peak_rss_bytes=max(r.tree_peak_rss_bytes for r in runs),
        rows=rows,
    )


def generate_result(dataset: Dataset) -> StepResult:
    rows, what = step_rows(dataset, "generate")
    return StepResult(
        step="generate",
        what=what,
        seconds=[dataset.generate_seconds],
        ratios_to_floor=[],
        peak_rss_bytes=dataset.generate_peak_rss_bytes,
        tree_peak_rss_bytes=dataset.generate_peak_rss_bytes,
        rows=rows,
    )


# --- set-up ---------------------------------------------------------------------------------------


def ensure_dataset(
    cache: Path, users: int, months: int, seed: int, as_of: datetime.date
) -> Dataset:
    directory = dataset_dir(cache.resolve(), users, months, seed, as_of)
    dataset = load_dataset(directory)
    if dataset is not None:
        console.log(f"reusing the exports in {directory}")
        return dataset
    console.log(f"generating {users:,} users x {months} months into {directory}")
    dataset = generate_dataset(
        directory,
        users=users,
        months=months,
        seed=seed,
        as_of=as_of,
        sesame=BIN / "sesame",
        env=os.environ,
    )
    console.log(f"generated in {dataset.generate_seconds:.1f} s: {dataset.generate_summary}")
    return dataset


def child_env(
    work: Path, memory_limit: str, threads: int | None, api_url: str | None
) -> dict[str, str]:
    env = {**os.environ, "SESAME_MEMORY_LIMIT": memory_limit, "COLUMNS": "160"}  # wide logs
    # one Prefect home for every run (migrated once, before timing), not one per warehouse
    env["SESAME_PREFECT_HOME"] = str(work / "prefect-home")
    env.pop("PREFECT_API_URL", None)
    if api_url is not None:
        env["PREFECT_API_URL"] = api_url
    if threads is not None:
        env["SESAME_THREADS"] = str(threads)
    return env


def migrate_prefect_home(env: dict[str, str], work: Path) -> None:
    """Builds the temporary server's database once, so no timed run pays the migrations."""
    home_env = {**env, "PREFECT_HOME": env["SESAME_PREFECT_HOME"]}
    command = [str(BIN / "prefect"), "server", "database", "upgrade", "-y"]
    measured = run_measured(command, home_env, work / "prefect-migrate.log")
    if measured.returncode != 0:
        raise StepFailed(f"prefect database upgrade failed:\n{log_tail(measured.log)}")


@contextlib.contextmanager
def prefect_api(use_server: bool, work: Path) -> Iterator[str | None]:
    if not use_server:
        yield None
        return
    console.log("starting `prefect server start` for this run")
    with prefect_server(BIN / "prefect", work / "prefect-server") as url:
        console.log(f"Prefect server at {url}")
        yield url


def parse_steps(value: str) -> list[str]:
    steps = [s.strip() for s in value.split(",") if s.strip()]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown or not steps:
        raise typer.BadParameter(f"unknown steps {unknown}; choose from {', '.join(STEPS)}")
    return [s for s in STEPS if s in steps]  # always in the dependency order


# --- the runs -------------------------------------------------------------------------------------


VALIDATION_SQL = (
    "select model_version, snapshot_date, status, users, bads, gini, gini_low, gini_high, "
    "oracle_gini from report_model_performance order by report_date desc, model_version"
)


def model_validation(warehouse: Path) -> list[dict[str, object]]:
    """The next night's report_model_performance rows (the score's Gini and the oracle's at
    this scale), read before its warehouse is removed."""
    database = warehouse / "sesame.duckdb"
    if not database.exists():
        return []
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.sql(VALIDATION_SQL).pl().to_dicts()
    except duckdb.Error:  # a warehouse of code before the validation reports
        return []
    finally:
        con.close()


def run_steps(
    bench: Bench, steps: list[str], repeats: int, validation: list[dict[str, object]]
) -> dict[str, list[Measurement]]:
    runs: dict[str, list[Measurement]] = {s: [] for s in steps}
    for repeat in range(repeats):
        for step in steps:
            measured = bench.step(step)(repeat)
            runs[step].append(measured)
            console.log(
                f"repeat {repeat + 1}/{repeats} {step}: {measured.seconds:.1f} s, "
                f"peak {measured.peak_rss_bytes / 1024**3:.2f} GB"
            )
        if "next" in steps and not validation:
            validation += model_validation(bench.work / f"r{repeat}" / "next")
        for leftover in ("day", "history", "next"):
            shutil.rmtree(bench.work / f"r{repeat}" / leftover, ignore_errors=True)
    return runs


def run_scale_check(bench: Bench, cache: Path, users: int) -> ScaleCheck:
    """A first nightly (history and day) at ``users`` inside a 4 GiB cap on its whole process
    tree (a cgroup: sesame, DuckDB, Polars and Prefect's temporary server together), with the
    job's own DuckDB limit (``--memory-limit``). Where no cgroup can be made, it runs under
    DuckDB's limit only and says so: the target is then not judged."""
    base = bench.dataset
    dataset = ensure_dataset(cache, users, base.months, base.seed, base.as_of)
    scale = Bench(dataset, bench.work, bench.logs, bench.env, bench.memory_limit, bench.threads)
    warehouse = scale.fresh("scale-check")
    command = scale.nightly(dataset.as_of, warehouse, dataset.exports)
    log = scale.logs / "scale-check.log"
    cap_text, cap_peak, oom_kills = "none", None, 0
    with contextlib.ExitStack() as stack:
        try:
            cap: Cap | None = stack.enter_context(memory_cap(SCALE_CAP_BYTES, "sesame-scale-check"))
        except CapUnavailable as error:
            cap, cap_text = None, f"none ({error})"
        if cap is not None:
            cap_text = cap.describe()
        console.log(
            f"scale check: first nightly at {users:,} users, DuckDB limit {bench.memory_limit}, "
            f"cap {cap_text}"
        )
        measured = run_measured(command, bench.env, log, cgroup=cap.procs if cap else None)
        if cap is not None:
            cap_peak, oom_kills = cap.peak_bytes(), cap.oom_kills()
    if measured.returncode != 0:
        console.print(f"[red]scale check failed:[/red]\n{log_tail(measured.log)}")
    shutil.rmtree(warehouse, ignore_errors=True)
    return ScaleCheck(
        users=users,
        memory_limit=bench.memory_limit,
        seconds=measured.seconds,
        peak_rss_bytes=measured.peak_rss_bytes,
        tree_peak_rss_bytes=measured.tree_peak_rss_bytes,
        finished=measured.returncode == 0,
        cap=cap_text,
        capped=cap is not None,
        cap_peak_bytes=cap_peak,
        oom_kills=oom_kills,
    )


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command()
def main(
    users: Annotated[int, typer.Option(min=1, help="users to generate")] = 1_000_000,
    months: Annotated[int, typer.Option(min=13, help="months of history")] = 24,
    repeats: Annotated[int, typer.Option(min=1, help="runs of each step (median)")] = 3,
    steps: Annotated[str, typer.Option(help="comma-separated subset of steps")] = ",".join(STEPS),
    seed: Annotated[int, typer.Option(help="generator seed")] = 0,
    as_of: Annotated[str, typer.Option(help="D, YYYY-MM-DD")] = str(DEFAULT_AS_OF),
    memory_limit: Annotated[
        str, typer.Option(help="SESAME_MEMORY_LIMIT and the floor's [default: the job's]")
    ] = Settings().memory_limit,
    threads: Annotated[int | None, typer.Option(help="SESAME_THREADS [default: all]")] = None,
    use_server: Annotated[
        bool, typer.Option("--prefect-server", help="run against a `prefect server start`")
    ] = False,
    scale_check: Annotated[
        bool,
        typer.Option(
            "--scale-check", help="also a first nightly at --scale-users inside a 4 GiB cgroup"
        ),
    ] = False,
    scale_users: Annotated[int, typer.Option(help="users of the scale check")] = 3_000_000,
    cache: Annotated[Path, typer.Option(help="cache of generated exports")] = default_cache_root(),
    output: Annotated[Path, typer.Option(help="where latest.md and latest.json go")] = RESULTS,
    fail_on_miss: Annotated[bool, typer.Option(help="exit 1 when a target is missed")] = False,
) -> None:
    """Measure the nightly job against the floor and print the table (see the module doc)."""
    chosen = parse_steps(steps)
    day = datetime.date.fromisoformat(as_of)
    cache.mkdir(parents=True, exist_ok=True)
    dataset = ensure_dataset(cache, users, months, seed, day)
    logs = cache / "logs" / datetime.datetime.now().strftime("%Y%m%dT%H%M%S")
    console.log(f"logs of every command: {logs}")
    with (
        tempfile.TemporaryDirectory(prefix="work-", dir=cache) as scratch,
        prefect_api(use_server, Path(scratch)) as api_url,
    ):
        work = Path(scratch)
        env = child_env(work, memory_limit, threads, api_url)
        if api_url is None:
            migrate_prefect_home(env, work)
        bench = Bench(dataset, work, logs, env, memory_limit, threads)
        validation: list[dict[str, object]] = []
        runs = run_steps(bench, chosen, repeats, validation)
        scale = run_scale_check(bench, cache, scale_users) if scale_check else None
    floors = runs.get("floor", [])
    results = [generate_result(dataset)]
    results += [step_result(dataset, s, runs[s], floors) for s in chosen]
    result = BenchResult(
        users=users,
        months=months,
        seed=seed,
        as_of=day,
        repeats=repeats,
        prefect_mode=(
            "a `prefect server start` for the run" if use_server else "temporary server per run"
        ),
        memory_limit=memory_limit,
        steps=results,
        targets=judge_targets(results, users, months, scale),
        scale_check=scale,
        machine=machine_facts(),
    )
    out = Console() if sys.stdout.isatty() else Console(width=160)
    print_result(result, out)
    for row in validation:  # the model validation of the next night, at this scale

        def shown(value: object) -> str:
            return f"{value:.3f}" if isinstance(value, float) else str(value)

        out.print(
            f"model validation ({row['model_version']}, scores at {row['snapshot_date']}): "
            f"{row['status']}; users {row['users']}, bads {row['bads']}, Gini "
            f"{shown(row['gini'])} ({shown(row['gini_low'])} to {shown(row['gini_high'])}), "
            f"oracle Gini {shown(row['oracle_gini'])}"
        )
    md, js = write_result(result, output)
    console.print(f"written: {md}, {js}")
    if fail_on_miss and any(t.status == "missed" for t in result.targets):
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
