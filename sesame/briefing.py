"""The morning briefing: one self-contained HTML page per report date.

The page is rendered by Jinja2 with autoescaping on (every value is escaped), its charts are
inline SVG drawn by the template from numbers computed here, and it loads nothing from the
network. Tables show the top rows and link to the full CSV and Parquet files beside the page.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from sesame import __version__, rules
from sesame.display import visible
from sesame.reason_codes import reason_text
from sesame.settings import Settings
from sesame.sqlmodels import bind, read_sql
from sesame.transforms.tiers import TIER_NAMES

TOP_ROWS = 15  # rows shown per table on the page; the files hold them all
TIER_ORDER = ("new", *reversed(TIER_NAMES[:-1]), "unscorable")


def _rows(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[dict[str, Any]]:
    """The rows of the page's query ``sql/briefing/<name>.sql``, its parameters bound."""
    sql = read_sql(f"briefing/{name}")
    return con.sql(sql, params=bind(sql, params)).pl().to_dicts()


def _one(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> dict[str, Any]:
    rows = _rows(con, name, **params)
    return rows[0] if rows else {}


def _headline(con: duckdb.DuckDBPyConnection, day: date | None) -> dict[str, Any]:
    """Users, scored, unscorable and mean score of the snapshot of ``day``."""
    return _one(con, "headline", report_date=day)


def briefing_context(
    con: duckdb.DuckDBPyConnection, settings: Settings, report_date: date
) -> dict[str, Any]:
    """Every number and row the page shows, from the warehouse's tables."""
    champion_version = _one(con, "champion", report_date=report_date).get("model_version", "")
    headline = _headline(con, report_date)
    # the previous snapshot date of the champion, and the headline as it stood then
    previous = _one(con, "previous_date", report_date=report_date, champion=champion_version)[
        "previous_date"
    ]
    before = _headline(con, previous)
    movement = _one(con, "movement", report_date=report_date, previous_date=previous)
    quality = _data_quality(con, settings, report_date, champion_version)
    trend = _month_end_trend(con, report_date, champion_version)
    counts = _one(con, "counts", report_date=report_date)
    distribution = _rows(con, "distribution", report_date=report_date)
    migration = _rows(con, "migration", report_date=report_date)
    cells = {(row["previous_tier"], row["tier"]): row["users"] for row in migration}
    present = {t for pair in cells for t in pair}
    tiers = [t for t in TIER_ORDER if t in present]
    drop_causes = _rows(con, "drop_causes", report_date=report_date)
    for row in drop_causes:
        row["text"] = reason_text(row["cause"])
    stuck_factors = _rows(con, "stuck_factors", report_date=report_date)
    for row in stuck_factors:
        row["text"] = reason_text(row["factor"])
    flags = _rows(con, "flags", report_date=report_date)
    population = _rows(con, "population", report_date=report_date)
    validation: dict[str, Any] = {
        "models": _rows(
            con, "model_performance", report_date=report_date, champion=champion_version
        ),
        "bands": _rows(con, "score_bands", report_date=report_date),
        "stability": _rows(con, "stability", report_date=report_date, champion=champion_version),
    }
    champion_bands = [
        band for band in validation["bands"] if band["model_version"] == champion_version
    ]
    validation["max_bad_rate"] = max(
        [band["bad_rate"] or 0 for band in champion_bands]
        + [band["predicted_bad_rate"] or 0 for band in champion_bands]
        + [0.0001]
    )
    validation["champion_bands"] = champion_bands
    tables = {
        "drops": _drops(con, report_date, with_events=True),
        "drops_without_events": _drops(con, report_date, with_events=False),
        "stuck": _rows(con, "top_stuck", report_date=report_date, top_rows=TOP_ROWS),
        "tier_changes": _rows(con, "top_tier_changes", report_date=report_date, top_rows=TOP_ROWS),
        "borrowing": _rows(con, "top_borrowing", report_date=report_date, top_rows=TOP_ROWS),
        "records": _rows(
            con, "top_records", report_date=report_date, top_rows=TOP_ROWS
        ),  # newest first
        "repairs": _rows(con, "repair_rules"),
    }
    for row in tables["stuck"]:
        row["factors"] = _coded(row["factors"])
    return {
        "report_date": report_date,
        "generated_at": datetime.now().replace(microsecond=0),
        "version": __version__,
        "database": str(settings.database_path().resolve()),
        "headline": headline,
        "previous_date": previous,
        "before": before,
        "movement": movement,
        "quality": quality,
        "trend": trend,
        "tier_names": TIER_NAMES,
        "counts": counts,
        "borrowing_risk_min_score": settings.borrowing_risk_min_score,
        "stuck_months": rules.STUCK_MONTHS,
        "distribution": distribution,
        "max_share": max(
            [r["share"] or 0 for r in distribution]
            + [r["baseline_share"] or 0 for r in distribution]
            + [0.0001]
        ),
        "tiers": tiers,
        "cells": cells,
        "max_cell": max(cells.values(), default=1),
        "drop_causes": drop_causes,
        "max_points_lost": max((r["points_lost"] for r in drop_causes), default=1),
        "stuck_factors": stuck_factors,
        "max_lift": max((r["lift"] or 0 for r in stuck_factors), default=1) or 1,
        "max_gap": max((r["points_gap"] or 0 for r in stuck_factors), default=1) or 1,
        "flags": flags,
        "population": population,
        "tables": tables,
        "validation": validation,
    }


def _drops(
    con: duckdb.DuckDBPyConnection, report_date: date, *, with_events: bool
) -> list[dict[str, Any]]:
    """The largest drops after new events, or with none (windows moving past older events),
    each cause with its plain-language text."""
    rows = _rows(
        con, "top_drops", report_date=report_date, with_events=with_events, top_rows=TOP_ROWS
    )
    for row in rows:
        row["causes"] = _coded(row["causes"])
    return rows


def _coded(codes: list[str] | None) -> list[dict[str, str]]:
    """Reason codes with their plain words, for the page to show side by side."""
    return [{"code": code, "text": reason_text(code)} for code in codes or []]


TREND_MONTHS = 12


def _month_end_trend(
    con: duckdb.DuckDBPyConnection, report_date: date, champion: str
) -> list[dict[str, Any]]:
    """Mean score and tier shares at the champion's latest month-end snapshots up to D."""
    shares = ", ".join(
        f"count(*) filter (where tier = '{tier}') / count(*) as {tier}" for tier in TIER_NAMES
    )  # the tier names are the contract's constants
    # built here, not in sql/briefing: its columns are the tiers' names
    return (
        con.sql(
            f"select snapshot_date, avg(score) as mean_score, {shares} from score_snapshots "
            "where snapshot_date in (select snapshot_date from snapshot_dates "
            "  where snapshot_date <= $report_date and model_version = $champion "
            "  and snapshot_date = last_day(snapshot_date) "
            "  order by snapshot_date desc limit $months) "
            "group by snapshot_date order by snapshot_date",
            params={"report_date": report_date, "champion": champion, "months": TREND_MONTHS},
        )
        .pl()
        .to_dicts()
    )


def _data_quality(
    con: duckdb.DuckDBPyConnection, settings: Settings, report_date: date, champion: str
) -> dict[str, Any]:
    """The run that scored D, what it read and quarantined, and each export's freshness."""
    from sesame.freshness import check_freshness, limits_from_settings

    run_id = _one(con, "run_of_date", report_date=report_date, model_version=champion).get("run_id")
    inputs = _one(con, "inputs", run_id=run_id)
    quarantined = _rows(con, "quarantined", run_id=run_id)
    freshness = check_freshness(con, report_date, limits_from_settings(settings), allow_stale=True)
    return {
        "run_id": run_id,
        "inputs": inputs,
        "quarantined": quarantined,
        "freshness": list(freshness.values()),
    }


TEXT_LIMIT = 200  # characters of one text value the page shows; the CSV beside it holds it all


def _as_data(value: Any) -> Any:
    """Every value the page prints: text with its invisible and reordering characters made
    visible and cut to ``TEXT_LIMIT`` (then escaped by the autoescape)."""
    if isinstance(value, Markup):  # the template's own markup (a macro's output), not data
        return value
    return visible(value, TEXT_LIMIT) if isinstance(value, str) else value


def render_briefing(con: duckdb.DuckDBPyConnection, settings: Settings, report_date: date) -> str:
    """The page's HTML text."""
    environment = Environment(
        loader=PackageLoader("sesame", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_as_data,
    )
    template = environment.get_template("briefing.html.j2")
    return template.render(**briefing_context(con, settings, report_date))
