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
from sesame.transforms.tiers import TIER_NAMES

TOP_ROWS = 15  # rows shown per table on the page; the files hold them all
TIER_ORDER = ("new", *reversed(TIER_NAMES[:-1]), "unscorable")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, **params: Any) -> list[dict[str, Any]]:
    return con.sql(sql, params=params).pl().to_dicts()


def _one(con: duckdb.DuckDBPyConnection, sql: str, **params: Any) -> dict[str, Any]:
    rows = _rows(con, sql, **params)
    return rows[0] if rows else {}


def _headline(con: duckdb.DuckDBPyConnection, day: date | None) -> dict[str, Any]:
    """Users, scored, unscorable and mean score of the snapshot of ``day``."""
    return _one(
        con,
        "select count(*) as users, count(score) as scored, "
        "count(*) - count(score) as unscorable, avg(score) as mean_score, "
        "count(*) filter (where tier = 'excellent') as excellent "
        "from score_snapshots where snapshot_date = $d",
        d=day,
    )


def briefing_context(
    con: duckdb.DuckDBPyConnection, settings: Settings, report_date: date
) -> dict[str, Any]:
    """Every number and row the page shows, from the warehouse's tables."""
    d = report_date
    champion = con.sql(
        "select model_version from snapshot_dates where snapshot_date = $d", params={"d": d}
    ).fetchall()
    champion_version = champion[0][0] if champion else ""
    headline = _headline(con, d)
    # the previous snapshot date of the champion, and the headline as it stood then
    previous = con.sql(
        "select max(snapshot_date) from snapshot_dates where snapshot_date < $d "
        "and model_version = $champion",
        params={"d": d, "champion": champion_version},
    ).fetchall()[0][0]
    before = _headline(con, previous)
    movement = _one(
        con,
        "select count(*) filter (where now.score > earlier.score) as rose, "
        "count(*) filter (where now.score < earlier.score) as fell, "
        "count(*) filter (where now.score = earlier.score) as unchanged, "
        "count(*) filter (where earlier.score is null) as newly_scored "
        "from (select user_id, score from score_snapshots "
        "      where snapshot_date = $d and score is not null) as now "
        "left join (select user_id, score from score_snapshots "
        "      where snapshot_date = $p and score is not null) as earlier "
        "on now.user_id = earlier.user_id",
        d=d,
        p=previous,
    )
    quality = _data_quality(con, settings, d, champion_version)
    trend = _month_end_trend(con, d, champion_version)
    counts = _one(
        con,
        "select "
        "(select count(*) from report_score_drops where report_date = $d) as drops, "
        "(select count(*) from report_score_drops where report_date = $d and "
        "  len(new_overdue_bill_ids) + len(new_negative_record_ids) "
        "  + len(new_profile_change_ids) + len(new_loan_application_ids) "
        "  + len(new_risk_event_ids) = 0) as drops_without_events, "
        "(select count(*) from report_stuck_users where report_date = $d) as stuck, "
        "(select count(*) from report_tier_changes where report_date = $d) as tier_changes, "
        "(select count(*) from report_tier_changes where report_date = $d "
        "  and score > previous_score) as tier_ups, "
        "(select count(*) from report_borrowing_risk where report_date = $d) as borrowing_risk, "
        "(select count(*) from report_negative_records where report_date = $d "
        "  and status = 'counting') as records_counting, "
        "(select count(*) from report_negative_records where report_date = $d "
        "  and status = 'expired') as records_expired, "
        "(select count(*) from repair_decisions where decision = 'approved') as repairs_approved, "
        "(select count(*) from repair_decisions where decision = 'rejected') as repairs_rejected",
        d=d,
    )
    distribution = _rows(
        con,
        "select band_lower, band_upper, users, share, baseline_users, baseline_share "
        "from report_score_distribution where report_date = $d order by band_lower",
        d=d,
    )
    migration = _rows(
        con,
        "select previous_tier, tier, users from report_tier_migration where report_date = $d",
        d=d,
    )
    cells = {(row["previous_tier"], row["tier"]): row["users"] for row in migration}
    present = {t for pair in cells for t in pair}
    tiers = [t for t in TIER_ORDER if t in present]
    drop_causes = _rows(
        con,
        "select change.reason_code as cause, count(distinct user_id) as users, "
        "-sum(change.points_change) as points_lost "
        "from (select user_id, unnest(point_changes) as change from report_score_drops "
        "      where report_date = $d) "
        "where change.points_change < 0 group by all order by points_lost desc",
        d=d,
    )
    for row in drop_causes:
        row["text"] = reason_text(row["cause"])
    stuck_factors = _rows(
        con,
        "select factor, stuck_users, share_stuck, share_others, lift, points_lost_stuck, "
        "points_lost_others, points_gap from report_stuck_factors "
        "where report_date = $d and coalesce(points_gap, lift, 0) > 0 "
        "order by points_gap desc nulls last, lift desc nulls last, share_stuck desc",
        d=d,
    )
    for row in stuck_factors:
        row["text"] = reason_text(row["factor"])
    flags = _rows(
        con,
        "select flag, count(*) as users from (select unnest(flags) as flag "
        "from report_borrowing_risk where report_date = $d) group by flag order by users desc",
        d=d,
    )
    population = _rows(
        con,
        "select measure, baseline_date, mean, baseline_mean, psi, band, share_unscorable, "
        "baseline_share_unscorable from report_population where report_date = $d "
        "order by case measure when 'score' then 0 else 1 end, measure",
        d=d,
    )
    validation: dict[str, Any] = {
        "models": _rows(
            con,
            "select model_version, snapshot_date, status, users, bads, indeterminate, bad_rate, "
            "auc, gini, ks, gini_low, gini_high, oracle_gini, psi_vs_snapshot, warnings, "
            "cap_curve from report_model_performance where report_date = $d "
            "order by model_version <> $champion, model_version",
            d=d,
            champion=champion_version,
        ),
        "bands": _rows(
            con,
            "select model_version, band_low, users, bads, bad_rate, predicted_bad_rate "
            "from report_score_bands where report_date = $d order by model_version, band_low",
            d=d,
        ),
        "stability": _rows(
            con,
            "select characteristic, csi_vs_snapshot, csi_vs_previous_month_end "
            "from report_characteristic_stability where report_date = $d "
            "and model_version = $champion "
            "order by csi_vs_snapshot desc nulls last, characteristic limit 8",
            d=d,
            champion=champion_version,
        ),
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
        "drops": _drops(con, d, with_events=True),
        "drops_without_events": _drops(con, d, with_events=False),
        "stuck": _rows(
            con,
            "select user_id, months_without_rise, month_end_then, score_then, score, "
            "fell_in_between, factors "
            "from report_stuck_users where report_date = $d "
            "order by months_without_rise desc, user_id limit $n",
            d=d,
            n=TOP_ROWS,
        ),
        "tier_changes": _rows(
            con,
            "select user_id, previous_tier, tier, previous_score, score, "
            "array_to_string(benefits_gained, ', ') as benefits_gained, "
            "array_to_string(benefits_lost, ', ') as benefits_lost "
            "from report_tier_changes where report_date = $d "
            "order by len(benefits_lost) desc, abs(score - previous_score) desc, user_id "
            "limit $n",
            d=d,
            n=TOP_ROWS,
        ),
        "borrowing": _rows(
            con,
            "select user_id, score, array_to_string(flags, ', ') as flags, "
            "array_to_string(triggers, '; ') as triggers "
            "from report_borrowing_risk where report_date = $d "
            "order by len(flags) desc, score desc, user_id limit $n",
            d=d,
            n=TOP_ROWS,
        ),
        "records": _rows(
            con,
            "select record_id, user_id, category, source, status, occurred_at, resolved_at, "
            "counts_until "
            "from report_negative_records where report_date = $d "
            "order by occurred_at desc, record_id desc limit $n",  # newest first
            d=d,
            n=TOP_ROWS,
        ),
        "repairs": _rows(
            con,
            "select rule, decision, count(*) as requests from repair_decisions "
            "group by all order by requests desc",
        ),
    }
    for row in tables["stuck"]:
        row["factors"] = _coded(row["factors"])
    return {
        "report_date": d,
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


def _drops(con: duckdb.DuckDBPyConnection, d: date, *, with_events: bool) -> list[dict[str, Any]]:
    """The largest drops after new events, or with none (windows moving past older events),
    each cause with its plain-language text."""
    rows = _rows(
        con,
        "select user_id, previous_date, previous_score, score, score_drop, "
        "array_to_string(dimensions_fell, ', ') as dimensions_fell, causes, new_events "
        "from (select *, len(new_overdue_bill_ids) + len(new_negative_record_ids) "
        "      + len(new_profile_change_ids) + len(new_loan_application_ids) "
        "      + len(new_risk_event_ids) as new_events "
        "      from report_score_drops where report_date = $d) "
        "where (new_events > 0) = $with_events "
        "order by score_drop desc, user_id limit $n",
        d=d,
        with_events=with_events,
        n=TOP_ROWS,
    )
    for row in rows:
        row["causes"] = _coded(row["causes"])
    return rows


def _coded(codes: list[str] | None) -> list[dict[str, str]]:
    """Reason codes with their plain words, for the page to show side by side."""
    return [{"code": code, "text": reason_text(code)} for code in codes or []]


TREND_MONTHS = 12


def _month_end_trend(
    con: duckdb.DuckDBPyConnection, d: date, champion: str
) -> list[dict[str, Any]]:
    """Mean score and tier shares at the champion's latest month-end snapshots up to D."""
    shares = ", ".join(
        f"count(*) filter (where tier = '{tier}') / count(*) as {tier}" for tier in TIER_NAMES
    )  # the tier names are the contract's constants
    return _rows(
        con,
        f"select snapshot_date, avg(score) as mean_score, {shares} from score_snapshots "
        "where snapshot_date in (select snapshot_date from snapshot_dates "
        "  where snapshot_date <= $d and model_version = $champion "
        "  and snapshot_date = last_day(snapshot_date) "
        "  order by snapshot_date desc limit $months) "
        "group by snapshot_date order by snapshot_date",
        d=d,
        champion=champion,
        months=TREND_MONTHS,
    )


def _data_quality(
    con: duckdb.DuckDBPyConnection, settings: Settings, d: date, champion: str
) -> dict[str, Any]:
    """The run that scored D, what it read and quarantined, and each export's freshness."""
    from sesame.freshness import check_freshness, limits_from_settings

    run = con.sql(
        "select run_id from snapshot_dates where snapshot_date = $d and model_version = $m",
        params={"d": d, "m": champion},
    ).fetchall()
    run_id = run[0][0] if run else None
    inputs = _one(
        con,
        "select count(*) as files, coalesce(sum(rows_read), 0) as rows_read, "
        "coalesce(sum(rows_quarantined), 0) as rows_quarantined, "
        "(select count(*) from ingested_files) as files_all, "
        "(select count(*) from quarantine) as quarantined_all "
        "from ingested_files where run_id = $r",
        r=run_id,
    )
    quarantined = _rows(
        con,
        "select table_name, reason, count(*) as rows_ from quarantine where run_id = $r "
        "group by all order by rows_ desc, table_name limit 10",
        r=run_id,
    )
    freshness = check_freshness(con, d, limits_from_settings(settings), allow_stale=True)
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
