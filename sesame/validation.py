"""Model validation for one report date (contract section 5): does the score rank risk?

For report date D, S is the latest month-end whose performance window is closed on D
(S + 12 months <= D). For every model version that scored S (the champion in
``score_snapshots``, challengers in ``challenger_snapshots``), ``validate`` measures how its
scores at S ranked the outcomes that followed (``sesame.outcomes``): users, bads, bad rate, AUC,
Gini, KS with a bootstrap interval, the oracle's Gini when the exports carry the generator's
truth (``_truth/user_months``), bad rate by 50-point band (with the card's predicted bad rate
when it has a calibration), the score's PSI between S and D, and each characteristic's CSI
against S and against the previous month-end. Rank-order and stability checks become warnings.

A warehouse whose history is too short (no snapshot of S) gets one row per model that says so,
with the counts and statistics NULL, instead of an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from sesame.dates import previous_month_end
from sesame.outcomes import latest_closed_month_end, materialize_outcomes, performance_end
from sesame.settings import Settings
from sesame.sqlmodels import relation, run_statements
from sesame.transforms.scorecard import Scorecard, predicted_bad_rate_expr
from sesame.transforms.validation import (
    bin_label_expr,
    bootstrap_gini,
    cumulative_accuracy,
    rank_order_breaks,
    ranking,
    score_bands,
    stability_index,
)

log = logging.getLogger(__name__)

TRUTH_DIR = "_truth"  # beside the exports' tables; the generator's oracle, not a contract table
SNAPSHOT_TABLES = ("score_snapshots", "challenger_snapshots")


@dataclass
class Validation:
    """One report date's validation: the rows of the three report tables, and its warnings."""

    report_date: date
    snapshot_date: date
    performance: list[dict[str, Any]] = field(default_factory=list)
    bands: list[dict[str, Any]] = field(default_factory=list)
    stability: list[dict[str, Any]] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [
            f"{row['model_version']}: {warning}"
            for row in self.performance
            for warning in row["warnings"]
        ]


def truth_files(input_dir: Path) -> list[str]:
    """The generator's truth files under the exports, if any (``_truth/user_months``)."""
    root = input_dir / TRUTH_DIR
    single = root / "user_months.parquet"
    if single.is_file():
        return [str(single)]
    return sorted(str(path) for path in (root / "user_months").glob("*.parquet"))


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = relation(con, "database/tables_named", {"name": name}).fetchall()
    return bool(rows[0][0])


def _models_at(con: duckdb.DuckDBPyConnection, table: str, day: date) -> list[str]:
    if not _has_table(con, table):
        return []
    rows = con.execute(
        f"select distinct model_version from {table} "
        "where snapshot_date = $snapshot_date order by 1",
        {"snapshot_date": day},
    ).fetchall()
    return [row[0] for row in rows]


def _scores(con: duckdb.DuckDBPyConnection, table: str, model: str, day: date) -> pl.DataFrame:
    return con.sql(
        f"select user_id, score from {table} "
        "where snapshot_date = $snapshot_date and model_version = $model and score is not null",
        params={"snapshot_date": day, "model": model},
    ).pl()


def _oracle_gini(
    con: duckdb.DuckDBPyConnection, files: list[str], sample: pl.DataFrame, snapshot: date
) -> float | None:
    """The Gini of the truth's probability of going bad (lower = safer) on the same sample."""
    if not files:
        return None
    truth = relation(con, "validation/truth_pd", {"files": files, "snapshot_date": snapshot}).pl()
    joined = sample.join(truth, on="user_id", how="inner")
    if joined.height < sample.height:
        log.warning(
            "the truth file lacks %s of %s users at %s: no oracle Gini",
            f"{sample.height - joined.height:,}",
            f"{sample.height:,}",
            snapshot,
        )
        return None
    return ranking(-joined["pd_12m"].to_numpy(), joined["bad"].to_numpy()).gini


def _stability(
    con: duckdb.DuckDBPyConnection, card: Scorecard, report_date: date, snapshot: date
) -> list[dict[str, Any]]:
    """Each characteristic's CSI on the card's bins: D against S and against the month-end
    before D (scorable users' aggregates). One characteristic's column at a time, held as bin
    labels only: memory stays at a few columns of the population, not its whole aggregates."""
    previous = previous_month_end(report_date)
    rows = []
    for characteristic in card.characteristics:
        labels = {}
        for day in {report_date, snapshot, previous}:
            values = con.sql(
                f'select "{characteristic.name}" from dimension_aggregates '
                "where snapshot_date = $snapshot_date and is_scorable",
                params={"snapshot_date": day},
            ).pl()
            labels[day] = values.select(bin_label_expr(characteristic))[characteristic.name]
        rows.append(
            {
                "characteristic": characteristic.name,
                "baseline_date": snapshot,
                "previous_date": previous,
                "csi_vs_snapshot": stability_index(labels[report_date], labels[snapshot]),
                "csi_vs_previous_month_end": stability_index(labels[report_date], labels[previous]),
            }
        )
    return rows


def _outcomes(con: duckdb.DuckDBPyConnection, snapshot: date, *, keep: bool) -> pl.DataFrame:
    """S's outcomes: reused from ``validation_outcomes`` when the warehouse holds them for the
    same inputs (``sql/marts/fct_outcome_basis.sql``; most nights: S moves once a month, and a
    night's new rows fall after S's window), else computed (``sesame.outcomes``) and, with
    ``keep``, stored for the next nights."""
    bound = {"performance_end": performance_end(snapshot), "snapshot_date": snapshot}
    basis = str(relation(con, "marts/fct_outcome_basis", bound).fetchall()[0][0])
    on_basis = {"snapshot_date": snapshot, "basis": basis}
    stored_before = _has_table(con, "validation_outcome_bases")  # made with validation_outcomes
    if stored_before and relation(con, "validation_outcomes/known", on_basis).fetchall()[0][0]:
        log.info("validation: the outcomes of %s are those stored, inputs unchanged", snapshot)
        return relation(con, "validation_outcomes/stored", on_basis).pl()
    log.info("validation: outcomes of %s (12 months to %s)", snapshot, performance_end(snapshot))
    table = materialize_outcomes(con, snapshot)
    outcomes = con.table(table).pl()
    if keep:
        run_statements(con, "validation_outcomes/store", on_basis)
    con.execute(f"drop table if exists temp.main.{table}")
    return outcomes


def _empty_row(model: str, snapshot: date, status: str) -> dict[str, Any]:
    return {
        "model_version": model,
        "snapshot_date": snapshot,
        "status": status,
        "users": None,
        "bads": None,
        "indeterminate": None,
        "bad_rate": None,
        "auc": None,
        "gini": None,
        "ks": None,
        "gini_low": None,
        "gini_high": None,
        "oracle_gini": None,
        "psi_vs_snapshot": None,
        "cap_curve": [],
        "warnings": [],
    }


def validate(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    cards: list[Scorecard],
    report_date: date,
    snapshot_date: date | None = None,
    *,
    keep: bool = False,
) -> Validation:
    """The validation of every model that scored S (by default the latest closed month-end).

    ``cards``: the cards this run knows (champion first); a model version without its card here
    gets no predicted bad rate and no characteristic stability. ``keep``: store S's outcomes in
    the warehouse (a run's writable connection), so the next nights reuse them while their
    inputs are unchanged (``_outcomes``).
    """
    snapshot = snapshot_date or latest_closed_month_end(report_date)
    result = Validation(report_date, snapshot)
    by_version = {card.model_version: card for card in cards}
    # a version is validated once: the same version in challenger_snapshots (a challenger card
    # equal to the champion, or one promoted since) scored the same, and a second row would
    # tie in the report's order (report_model_performance's key is its model_version)
    models: list[tuple[str, str]] = []
    for table in SNAPSHOT_TABLES:
        seen = {model for _, model in models}
        models += [
            (table, model) for model in _models_at(con, table, snapshot) if model not in seen
        ]
    if not models:
        for card in cards[:1]:
            result.performance.append(
                _empty_row(
                    card.model_version,
                    snapshot,
                    f"no snapshot of {snapshot} in the warehouse: validation needs the month-end "
                    f"whose 12-month performance window closed by {report_date} "
                    "(run `sesame backfill` for it once the exports cover it)",
                )
            )
        return result
    outcomes = _outcomes(con, snapshot, keep=keep)
    truth = truth_files(settings.input)
    for table, model in models:
        model_card = by_version.get(model)
        scores = _scores(con, table, model, snapshot)
        sample = (
            scores.join(outcomes, on="user_id", how="inner")
            .filter(pl.col("outcome") != "indeterminate")
            .with_columns((pl.col("outcome") == "bad").cast(pl.Int8).alias("bad"))
        )
        indeterminate = scores.join(
            outcomes.filter(pl.col("outcome") == "indeterminate"), on="user_id", how="semi"
        ).height
        score, bad = sample["score"].to_numpy(), sample["bad"].to_numpy()
        ranked = ranking(score, bad)
        low, high = bootstrap_gini(score, bad, samples=settings.validation_bootstrap_samples)
        now = _scores(con, table, model, report_date)
        psi = (
            stability_index(
                (now["score"] // 50).rename("band"), (scores["score"] // 50).rename("band")
            )
            if now.height
            else None
        )
        predicted = (
            predicted_bad_rate_expr(model_card, pl.col("score")) if model_card else pl.lit(None)
        )
        bands = score_bands(
            sample.lazy().with_columns(predicted.cast(pl.Float64).alias("predicted_bad_rate"))
        ).collect()
        warnings = rank_order_breaks(bands, min_users=settings.validation_min_band_users)
        if ranked.gini is not None and ranked.gini < settings.validation_min_gini:
            warnings.append(
                f"Gini {ranked.gini:.3f} at {snapshot} is below {settings.validation_min_gini}"
            )
        if psi is not None and psi > settings.validation_max_stability_index:
            warnings.append(f"score PSI {psi:.3f} between {snapshot} and {report_date}")
        row = _empty_row(model, snapshot, "ok" if ranked.gini is not None else "no bads")
        row |= {
            "users": ranked.users,
            "bads": ranked.bads,
            "indeterminate": indeterminate,
            "bad_rate": ranked.bads / ranked.users if ranked.users else None,
            "auc": ranked.auc,
            "gini": ranked.gini,
            "ks": ranked.ks,
            "gini_low": low,
            "gini_high": high,
            "oracle_gini": _oracle_gini(con, truth, sample, snapshot),
            "psi_vs_snapshot": psi,
            "cap_curve": cumulative_accuracy(score, bad),
        }
        for band in bands.to_dicts():
            result.bands.append({"model_version": model, "snapshot_date": snapshot} | band)
        if model_card is not None and table == "score_snapshots":
            for stable in _stability(con, model_card, report_date, snapshot):
                for column in ("csi_vs_snapshot", "csi_vs_previous_month_end"):
                    value = stable[column]
                    if value is not None and value > settings.validation_max_stability_index:
                        warnings.append(f"{stable['characteristic']} {column} {value:.3f}")
                result.stability.append({"model_version": model} | stable)
        row["warnings"] = warnings
        result.performance.append(row)
        log.info(
            "validation of %s at %s: %s users, %s bads, Gini %s",
            model,
            snapshot,
            f"{ranked.users:,}",
            f"{ranked.bads:,}",
            "-" if ranked.gini is None else f"{ranked.gini:.3f}",
        )
    return result


PERFORMANCE_SCHEMA: dict[str, Any] = {
    "report_date": pl.Date,
    "model_version": pl.String,
    "snapshot_date": pl.Date,
    "status": pl.String,
    "users": pl.Int64,
    "bads": pl.Int64,
    "indeterminate": pl.Int64,
    "bad_rate": pl.Float64,
    "auc": pl.Float64,
    "gini": pl.Float64,
    "ks": pl.Float64,
    "gini_low": pl.Float64,
    "gini_high": pl.Float64,
    "oracle_gini": pl.Float64,
    "psi_vs_snapshot": pl.Float64,
    "warnings": pl.List(pl.String),
    "cap_curve": pl.List(pl.Struct({"share_users": pl.Float64, "share_bads": pl.Float64})),
}
BANDS_SCHEMA: dict[str, Any] = {
    "report_date": pl.Date,
    "model_version": pl.String,
    "snapshot_date": pl.Date,
    "band_low": pl.Int32,
    "users": pl.Int64,
    "bads": pl.Int64,
    "bad_rate": pl.Float64,
    "predicted_bad_rate": pl.Float64,
}
STABILITY_SCHEMA: dict[str, Any] = {
    "report_date": pl.Date,
    "model_version": pl.String,
    "characteristic": pl.String,
    "baseline_date": pl.Date,
    "previous_date": pl.Date,
    "csi_vs_snapshot": pl.Float64,
    "csi_vs_previous_month_end": pl.Float64,
}


def frames(validation: Validation) -> dict[str, pl.DataFrame]:
    """The three report tables' rows, typed."""
    stamp = {"report_date": validation.report_date}
    return {
        "report_model_performance": pl.DataFrame(
            [stamp | row for row in validation.performance], schema=PERFORMANCE_SCHEMA
        ),
        "report_score_bands": pl.DataFrame(
            [stamp | row for row in validation.bands], schema=BANDS_SCHEMA
        ),
        "report_characteristic_stability": pl.DataFrame(
            [stamp | row for row in validation.stability], schema=STABILITY_SCHEMA
        ),
    }
