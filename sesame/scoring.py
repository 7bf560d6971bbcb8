"""Scoring one snapshot date: SQL models for the aggregates, the Polars scorecard for the score.

Per date D, users are split into partitions by ranges of user_id (``sesame.partitions``); each
partition runs the
intermediate models (point in time at each request's date), collects its aggregates once into
Polars, scores them and stages its snapshot rows. Then the checks of ``sql/checks`` run on the
staged rows, and only then are D's rows replaced in the warehouse tables (inside the run's
private copy of the warehouse; see ``sesame.warehouse``).

A partition can also run in another process (a Dask worker, see ``sesame.cluster``):
``score_partition_to_parquet`` opens the copy read-only and writes the partition's staged rows
as Parquet parts, and ``stage_parts`` loads them on the writer's connection before the same
checks and replacement.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from sesame import checks, incremental, rules
from sesame.dates import previous_month_end
from sesame.files import PRIVATE_FILE, ensure_private_dir
from sesame.partitions import ALL_USERS, in_range, rescored_ranges, user_ranges
from sesame.settings import Settings
from sesame.sqlmodels import materialize, relation, run_script, run_statements
from sesame.transforms.scorecard import Scorecard, load_scorecard, score_features
from sesame.warehouse import ALIAS, configure, pause_point

log = logging.getLogger(__name__)

# The models of one scoring pass, in dependency order; each becomes a temporary table.
FEATURE_MODELS = (
    "intermediate/int_feature_requests",
    "intermediate/int_repair_decisions",
    "intermediate/int_bills_status",
    "intermediate/int_negative_records_status",
    "intermediate/int_transaction_months",
    "intermediate/int_features_credit_history",
    "intermediate/int_features_identity",
    "intermediate/int_features_capacity",
    "intermediate/int_features_behavior",
    "intermediate/int_features_relationships",
    "marts/fct_user_features",
)
# the temporary tables they leave (the models' own names, and the carried aggregates)
FEATURE_TABLES = ("int_features_carried", *(model.rsplit("/", 1)[-1] for model in FEATURE_MODELS))


@dataclass(frozen=True)
class DateResult:
    """What scoring one date wrote."""

    snapshot_date: date
    users: int
    unscorable: int
    tiers: dict[str, int]
    # users scored this night; the others' rows were carried from carried_from (None: full)
    rescored: int | None = None
    carried_from: date | None = None
    # of those, how many for each cause (int_rescored_users.why), and how many for a friend's
    # score alone, whose other dimensions were taken from carried_from (friends_only)
    rescored_because: dict[str, int] = field(default_factory=dict)
    friends_only: int = 0
    partitions: int = 1  # the user_id ranges it was scored in


def missing_dates(
    con: duckdb.DuckDBPyConnection, dates: list[date], model_version: str
) -> list[date]:
    """The dates among ``dates`` that have no snapshot of this model yet (the champion's in
    snapshot_dates, a challenger's in challenger_snapshots)."""
    scored = relation(con, "plan/dates_scored", {"model_version": model_version})
    done = {row[0] for row in scored.fetchall()}
    return [d for d in dates if d not in done]


def lead_in_month_end(con: duckdb.DuckDBPyConnection, dates: list[date]) -> date | None:
    """The month-end before the earliest of ``dates`` when the warehouse holds no snapshot
    before it and the exports reach back to it, else None.

    A snapshot reads the friends' published scores from before its date, so the first date a
    warehouse scores has none: every user's ``friends_mean_score`` is null there. Scoring one
    month-end before the history makes its first month-end (in a first run, the one the
    validation reads) a snapshot like every later one."""
    if not dates:
        return None
    earliest = min(dates)
    rows = relation(con, "plan/snapshots_before", {"earliest": earliest}).fetchall()
    lead_in = previous_month_end(earliest)
    if rows[0][0] or not has_users(con, lead_in):
        return None
    return lead_in


def has_users(con: duckdb.DuckDBPyConnection, snapshot_date: date) -> bool:
    """Whether any user was registered by ``snapshot_date`` (a date the exports reach)."""
    rows = relation(con, "plan/users_registered", {"snapshot_date": snapshot_date}).fetchall()
    return bool(rows[0][0])


# An incremental night's int_rescored_users for every user, cut into its partitions' lists
NIGHT_RESCORED = "night_rescored_users"

# The tables a partition stages, by the name of its Parquet part.
PART_TABLES = {
    "snapshots": "new_snapshots",
    "features": "new_features",
    "repairs": "new_repairs",
    "refresh_scores": "new_refresh_day_scores",
    "challenger": "new_challenger_snapshots",
    "causes": "new_rescored_causes",
}


def _drop_temporary_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Drops what scoring a date left in memory (its models' tables and its staged rows): they
    would otherwise hold DuckDB's memory through the reports that follow."""
    tables = (
        "score_requests",
        "int_rescored_users",
        NIGHT_RESCORED,
        "partition_snapshots",
        *PART_TABLES.values(),
    )
    for table in (*tables, *FEATURE_TABLES):
        con.execute(f'drop table if exists temp.main."{table}"')


def run_feature_models(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> None:
    """The feature models of ``score_requests``, in order, into ``fct_user_features``: first the
    friends_only requests' carried aggregates (``int_features_carried``; on a full night, with
    none, an empty stand-in: no dimension_aggregates need exist yet), then FEATURE_MODELS."""
    if parameters.get("previous_date") is None:
        run_script(con, "incremental/no_carried_features")
    else:
        materialize(con, "intermediate/int_features_carried", parameters)
    for model in FEATURE_MODELS:
        materialize(con, model, parameters)


def _stage_tables(con: duckdb.DuckDBPyConnection) -> None:
    run_script(con, "publish/stage_tables")


def date_parameters(
    settings: Settings, card: Scorecard, snapshot_date: date, run_id: str
) -> dict[str, Any]:
    """The bound parameters of one date's feature models (without the partition's user range):
    the report thresholds, the contract's rules, the card's windows, the date."""
    return (
        settings.sql_parameters()
        | rules.sql_parameters()
        | card.parameters
        | {
            "snapshot_date": snapshot_date,
            "model_version": card.model_version,
            "run_id": run_id,
        }
    )


def scoring_parameters(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    card: Scorecard,
    snapshot_date: date,
    run_id: str,
) -> dict[str, Any]:
    """``date_parameters`` and the date a night scores incrementally from (``previous_date``,
    None for a full night; see ``sesame.incremental``), read from the warehouse as it is
    before the date is replaced (the same on the writer and on every worker)."""
    basis = incremental.basis(
        con, card, challenger_cards(settings), snapshot_date, full=settings.full_rescore
    )
    return (
        date_parameters(settings, card, snapshot_date, run_id)
        | basis.parameters
        | {"scoring_basis": basis.why}
    )


def challenger_cards(settings: Settings) -> tuple[Scorecard, ...]:
    """The challenger card of the settings (``challenger_card``), if any: scored beside the
    champion into ``challenger_snapshots``, never published."""
    if settings.challenger_card is None:
        return ()
    return (load_scorecard(settings.challenger_card),)


def score_date(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    card: Scorecard,
    snapshot_date: date,
    run_id: str,
) -> DateResult:
    """Scores every user registered by ``snapshot_date`` and replaces that date's rows."""
    started = time.perf_counter()
    parameters = scoring_parameters(con, settings, card, snapshot_date, run_id)
    _stage_tables(con)
    if parameters["previous_date"] is None:
        ranges = user_ranges(con, settings, snapshot_date)
    else:
        # who is scored again, found once for every user: the partitions then hold about as
        # many of them each, so a night that scores few users again runs in few partitions
        materialize(
            con,
            "intermediate/int_rescored_users",
            parameters | in_range(ALL_USERS),
            table=NIGHT_RESCORED,
        )
        ranges = rescored_ranges(con, settings, snapshot_date)
    challengers = challenger_cards(settings)
    for partition, users in enumerate(ranges):
        partition_started = time.perf_counter()
        _score_partition(con, card, parameters | in_range(users), challengers, night_rescored=True)
        if len(ranges) > 1:
            log.info(
                "scored %s partition %d of %d in %.1f s",
                snapshot_date,
                partition + 1,
                len(ranges),
                time.perf_counter() - partition_started,
            )
    return _check_and_replace(con, parameters, started, len(ranges))


def _causes_text(result: DateResult) -> str:
    """``; why: changed_rows 1,204, ...; 3,310 for a friend's score alone, their other
    dimensions carried``, or nothing on a night that scored nobody again."""
    if not result.rescored_because:
        return ""
    causes = ", ".join(f"{why} {users:,}" for why, users in result.rescored_because.items())
    alone = (
        f"; {result.friends_only:,} for a friend's score alone, their other dimensions carried"
        if result.friends_only
        else ""
    )
    return f"; why: {causes}{alone}"


def _check_and_replace(
    con: duckdb.DuckDBPyConnection, parameters: dict[str, Any], started: float, partitions: int
) -> DateResult:
    """Audits the staged rows of one date, then replaces that date's rows with them."""
    snapshot_date = parameters["snapshot_date"]
    checks.run_checks(con, parameters)
    _replace_date(con, snapshot_date, parameters["model_version"], parameters["run_id"])
    pause_point("score")
    rows = relation(con, "publish/staged_tiers").fetchall()
    tiers = {row[0]: int(row[1]) for row in rows}
    causes = relation(con, "publish/staged_causes").fetchall()
    previous = parameters["previous_date"]
    _drop_temporary_tables(con)
    result = DateResult(
        snapshot_date=snapshot_date,
        users=sum(tiers.values()),
        unscorable=tiers.get("unscorable", 0),
        tiers=tiers,
        rescored=None if previous is None else sum(int(row[2]) for row in rows),
        carried_from=previous,
        rescored_because={why: int(users) for why, users, _ in causes},
        friends_only=sum(int(alone) for *_, alone in causes),
        partitions=partitions,
    )
    how = (
        f"all scored: {parameters['scoring_basis']}"
        if result.rescored is None
        else f"{result.rescored:,} scored again, the others carried from {previous}"
        + _causes_text(result)
    )
    log.info(
        "scored %s: %s users (%s unscorable; %s) in %.1f s",
        snapshot_date,
        f"{result.users:,}",
        f"{result.unscorable:,}",
        how,
        time.perf_counter() - started,
    )
    return result


@dataclass(frozen=True)
class PartitionJob:
    """One user partition of one date, to be scored in a process other than the writer's."""

    database: Path  # the run's copy of the warehouse; its writer has detached it meanwhile
    folder: Path  # where the partition's Parquet parts go, on storage the writer reads
    snapshot_date: date
    run_id: str
    partition: int  # its number, for names
    partitions: int
    users: tuple[int, int]  # the inclusive user_id range it scores


@dataclass(frozen=True)
class PartitionParts:
    """The Parquet files one partition wrote: the rows it stages for the writer."""

    snapshots: Path
    features: Path
    repairs: Path
    refresh_scores: Path
    challenger: Path
    causes: Path


def score_partition_to_parquet(
    job: PartitionJob, settings: Settings, card: Scorecard
) -> PartitionParts:
    """Scores one partition from the run's copy, opened read-only, into Parquet parts.

    The same models and scorecard as ``score_date`` on the same partition: the writer that
    loads the parts stages exactly the rows one process would have staged. Spills go to a
    local temporary directory: they are this process's business only.
    """
    with tempfile.TemporaryDirectory(prefix="sesame-spill-") as spill:
        con = duckdb.connect()
        try:
            configure(con, settings, Path(spill))  # its macros are temporary: memory holds them
            con.execute(f"attach $path as {ALIAS} (read_only)", {"path": str(job.database)})
            con.execute(f"use {ALIAS}")
            _stage_tables(con)
            parameters = scoring_parameters(con, settings, card, job.snapshot_date, job.run_id)
            _score_partition(
                con, card, parameters | in_range(job.users), challenger_cards(settings)
            )
            return _write_parts(con, job)
        finally:
            con.close()  # releases the copy: the writer attaches it again once all parts are in


def _write_parts(con: duckdb.DuckDBPyConnection, job: PartitionJob) -> PartitionParts:
    ensure_private_dir(job.folder)
    paths: dict[str, Path] = {}
    for name, table in PART_TABLES.items():
        final = job.folder / f"part-{job.partition}-{name}.parquet"
        # written aside then renamed: a retry (or a rerun after a lost worker) never leaves half
        # a file under the name the writer reads
        temporary = final.with_name(f".{final.name}.tmp")
        con.table(table).write_parquet(str(temporary), compression="zstd")
        os.chmod(temporary, PRIVATE_FILE)
        os.replace(temporary, final)
        paths[name] = final
    return PartitionParts(
        snapshots=paths["snapshots"],
        features=paths["features"],
        repairs=paths["repairs"],
        refresh_scores=paths["refresh_scores"],
        challenger=paths["challenger"],
        causes=paths["causes"],
    )


def stage_parts(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    card: Scorecard,
    snapshot_date: date,
    run_id: str,
    parts: list[PartitionParts],
    started: float | None = None,
) -> DateResult:
    """Loads the parts of every partition of one date, then checks and replaces it as
    ``score_date`` does. ``started``: when the date's scoring began (for the progress line)."""
    parameters = scoring_parameters(con, settings, card, snapshot_date, run_id)
    started = time.perf_counter() if started is None else started
    _stage_tables(con)
    for name, table in PART_TABLES.items():
        files = [str(getattr(part, name)) for part in parts]
        if name == "features":  # its columns are the models', as in _score_partition
            con.execute(
                f"create temp table {table} as from read_parquet($files) limit 0", {"files": files}
            )
        con.execute(f"insert into {table} by name from read_parquet($files)", {"files": files})
    return _check_and_replace(con, parameters, started, len(parts))


def _score_partition(
    con: duckdb.DuckDBPyConnection,
    card: Scorecard,
    parameters: dict[str, Any],
    challengers: tuple[Scorecard, ...] = (),
    *,
    night_rescored: bool = False,
) -> None:
    """Scores one partition's requests and stages its rows. ``night_rescored``: the night's
    users scored again are in ``NIGHT_RESCORED`` already (``score_date``), else the partition
    finds its own (a worker's)."""
    if parameters["previous_date"] is None:  # a full night: everyone is scored
        run_script(con, "incremental/no_rescored_users")
    elif night_rescored:
        materialize(
            con, "incremental/partition_rescored_users", parameters, table="int_rescored_users"
        )
    else:
        materialize(con, "intermediate/int_rescored_users", parameters)
    materialize(con, "intermediate/int_score_requests", parameters, table="score_requests")
    run_feature_models(con, parameters)
    # eager, then lazy: DuckDB's lazy Polars source is several times slower to collect
    features = relation(con, "publish/partition_features").pl().lazy()
    scored_requests = score_features(features, card=card).collect()
    con.register("scored_requests", scored_requests)
    try:
        materialize(con, "marts/fct_score_snapshots", parameters, table="partition_snapshots")
        run_statements(con, "publish/stage_partition", parameters)
    finally:
        con.unregister("scored_requests")
    for challenger in challengers:
        _score_challenger(con, card, challenger, parameters, features)
    if parameters["previous_date"] is not None:
        incremental.carry_forward(con, parameters, challengers)


def _score_challenger(
    con: duckdb.DuckDBPyConnection,
    champion: Scorecard,
    challenger: Scorecard,
    parameters: dict[str, Any],
    features: pl.LazyFrame,
) -> None:
    """Scores the partition's requests with a challenger card into new_challenger_snapshots:
    the champion's features when both cards use the same windows, else the feature models run
    again with the challenger's (the champion's rows are staged by then)."""
    if challenger.parameters != champion.parameters:
        run_feature_models(con, parameters | challenger.parameters)
        features = relation(con, "publish/partition_features").pl().lazy()
    scored = score_features(features.filter(pl.col("is_snapshot")), card=challenger).collect()
    con.register("challenger_scored", scored)
    try:
        materialize(
            con,
            "marts/fct_challenger_snapshots",
            {"challenger_version": challenger.model_version, "run_id": parameters["run_id"]},
            table="partition_challenger_snapshots",
        )
    finally:
        con.unregister("challenger_scored")
    run_script(con, "publish/stage_challenger")
    con.execute("drop table partition_challenger_snapshots")


def _replace_date(
    con: duckdb.DuckDBPyConnection, snapshot_date: date, model_version: str, run_id: str
) -> None:
    """Replaces one date's rows: re-running a date never duplicates anything."""
    incremental.consume_changes(con, snapshot_date)
    latest = relation(con, "publish/repairs_decided_as_of").fetchall()[0][0]
    parameters = {
        "snapshot_date": snapshot_date,
        "model_version": model_version,
        "run_id": run_id,
        "replace_repairs": latest is None or snapshot_date >= latest,
    }
    run_statements(con, "publish/replace_date", parameters)
